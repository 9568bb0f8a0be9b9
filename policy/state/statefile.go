package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// The state files, by name, in the state directory (state_dir). Every
// program that opens one takes its name from here.
const (
	OverridesFile   = "overrides.json"   // pauses and bonus time (Overrides)
	DevicesFile     = "devices.json"     // the devices seen (Registry)
	AssignmentsFile = "assignments.json" // the devices named on the dashboard (Assignments)
	BudgetsFile     = "budgets.json"     // the minutes used today of daily budgets (Budgets)
)

// ErrReadOnly is returned by a change to a store opened read-only.
var ErrReadOnly = errors.New("policy: state opened read-only (hearth explain, hearth doctor): not changed")

// loadState reads the JSON state file at path into v. A missing file
// leaves v as it is and is no error. A file that cannot be read is fatal
// (fatal is true). One that cannot be parsed is set aside
// (atomicfile.SetAside) and reported with lost, which says what is
// forgotten; v is then as it was. Read-only (readOnly names what the file
// holds, for the error), a file that cannot be parsed is left where it is
// and reported as not taken into account.
func loadState(path string, v any, lost, readOnly string) (fatal bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		if readOnly != "" {
			return false, damagedReadOnly(path, readOnly, err)
		}
		aside, _ := atomicfile.SetAside(path, time.Now())
		return false, fmt.Errorf("%s is damaged (%v): moved to %s, %s", path, err, aside, lost)
	}
	return false, nil
}

// damagedReadOnly is the error for a state file a read-only opener cannot
// parse and leaves alone.
func damagedReadOnly(path, what string, err error) error {
	return fmt.Errorf("%s cannot be parsed: %s were not taken into account (%v)", path, what, err)
}
