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

// loadState reads the JSON state file at path into v. A missing file
// leaves v as it is and is no error. A file that cannot be read is fatal
// (fatal is true). One that cannot be parsed is set aside
// (atomicfile.SetAside) and reported with lost, which says what is
// forgotten; v is then as it was.
func loadState(path string, v any, lost string) (fatal bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		aside, _ := atomicfile.SetAside(path, time.Now())
		return false, fmt.Errorf("%s is damaged (%v): moved to %s, %s", path, err, aside, lost)
	}
	return false, nil
}
