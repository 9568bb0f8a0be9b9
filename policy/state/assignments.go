package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Assignment names a device the family did not list in hearth.yaml and puts
// it in a group: what the dashboard's Devices page stores. The device is
// recognised by the key the registry of devices seen gives it: its MAC
// address when known ("mac:3c:22:fb:12:34:56"), else its address
// ("ip:192.168.1.7").
//
// hearth.yaml wins: an assignment whose address, MAC or name is also in the
// file's devices is ignored (and reported by Engine.Conflicts), and the file
// is never rewritten.
type Assignment struct {
	Key   string    `json:"key"`
	Name  string    `json:"name"`
	Group string    `json:"group,omitempty"` // "" is the default group
	By    string    `json:"by,omitempty"`    // who made it ("dashboard 192.168.1.5", "token backup")
	At    time.Time `json:"at"`
}

// ErrNoAssignment: no assignment has the key (Remove, Engine.Unassign).
var ErrNoAssignment = errors.New("policy: no such assignment")

// maxAssignments bounds the store (the registry of devices seen holds 1024).
const maxAssignments = 1024

// Assignments is the store of assignments, kept in one JSON file beside the
// other state. Safe for concurrent use.
type Assignments struct {
	path     string // "" keeps them in memory
	readOnly bool
	mu       sync.Mutex
	list     []Assignment             // sorted by Name
	local    []func(AssignmentChange) // OnLocalChange (shared.go)
	replaced []func()                 // OnReplace
}

// OpenAssignments loads the store at path ("" for memory only). A missing
// file is an empty store; a damaged one is renamed aside and an empty store
// returned with an error saying so.
func OpenAssignments(path string) (*Assignments, error) {
	return openAssignments(path, "")
}

// OpenAssignmentsReadOnly loads the store at path for a program that must
// not write (hearth explain): a damaged file is left where it is, an empty
// store returned with an error saying so, and Set and Remove fail with
// ErrReadOnly. A file that cannot be read returns a nil store.
func OpenAssignmentsReadOnly(path string) (*Assignments, error) {
	a, err := openAssignments(path, "devices named on the dashboard")
	if a != nil {
		a.readOnly = true
	}
	return a, err
}

func openAssignments(path, readOnly string) (*Assignments, error) {
	a := &Assignments{path: path}
	if path == "" {
		return a, nil
	}
	var file struct {
		Assignments []Assignment `json:"assignments"`
	}
	if fatal, err := loadState(path, &file, "devices named on the dashboard are forgotten", readOnly); fatal {
		return nil, err
	} else if err != nil {
		return a, err
	}
	for _, as := range file.Assignments {
		if CheckAssignment(as) == nil {
			a.list = append(a.list, as)
		}
	}
	sortAssignments(a.list)
	return a, nil
}

// List returns a copy of the assignments, sorted by name.
func (a *Assignments) List() []Assignment {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.list)
}

// Set replaces the assignment with as.Key (or adds it) and saves. It checks
// nothing against the configuration: use Engine.Assign, which does.
func (a *Assignments) Set(as Assignment) error {
	if a.readOnly {
		return ErrReadOnly
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(a.list), func(x Assignment) bool { return x.Key == as.Key })
	if len(next) >= maxAssignments {
		return fmt.Errorf("policy: %d devices are named already; remove some first", maxAssignments)
	}
	next = append(next, as)
	sortAssignments(next)
	if err := a.saveLocked(next); err != nil {
		return err
	}
	a.localLocked(AssignmentChange{Assignment: as})
	return nil
}

// Remove deletes the assignment with key and saves (ErrNoAssignment if
// none).
func (a *Assignments) Remove(key string) error {
	if a.readOnly {
		return ErrReadOnly
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.list, func(x Assignment) bool { return x.Key == key })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNoAssignment, key)
	}
	gone := a.list[i]
	if err := a.saveLocked(slices.Delete(slices.Clone(a.list), i, i+1)); err != nil {
		return err
	}
	a.localLocked(AssignmentChange{Assignment: gone, Removed: true})
	return nil
}

// saveLocked writes next and, if that worked, makes it the list: a change
// that cannot be saved is not made, so memory and disk agree.
func (a *Assignments) saveLocked(next []Assignment) error {
	if a.path != "" {
		data, err := json.MarshalIndent(struct {
			Version     int          `json:"version"`
			Assignments []Assignment `json:"assignments"`
		}{1, next}, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(a.path, append(data, '\n'), 0o600); err != nil {
			return fmt.Errorf("policy: saving %s: %w", a.path, err)
		}
	}
	a.list = next
	return nil
}

func sortAssignments(l []Assignment) {
	slices.SortFunc(l, func(x, y Assignment) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
}

// ParseDeviceKey reads a registry key: "mac:3c:22:fb:12:34:56" or
// "ip:192.168.1.7". Exactly one of the results is set.
func ParseDeviceKey(key string) (net.HardwareAddr, netip.Addr, error) {
	kind, v, _ := strings.Cut(key, ":")
	switch kind {
	case "mac":
		mac, err := net.ParseMAC(v)
		if err == nil && len(mac) == 6 {
			return mac, netip.Addr{}, nil
		}
	case "ip":
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			return nil, a.Unmap(), nil
		}
	}
	return nil, netip.Addr{}, fmt.Errorf("%q is not a device key (mac:3c:22:fb:12:34:56 or ip:192.168.1.7)", key)
}

// CheckAssignment checks an assignment's own fields, keyed by JSON name.
func CheckAssignment(as Assignment) error {
	var errs []error
	if _, _, err := ParseDeviceKey(as.Key); err != nil {
		errs = append(errs, fielderr.New("key", "%v", err))
	}
	switch n := strings.TrimSpace(as.Name); {
	case n == "":
		errs = append(errs, fielderr.New("name", "a device needs a name"))
	case len(n) > 40 || strings.ContainsAny(n, "\n\r\t") || n != as.Name:
		errs = append(errs, fielderr.New("name", "%q: a name of at most 40 characters, on one line, without spaces around it", as.Name))
	case badText(as.Name) != "":
		errs = append(errs, fielderr.New("name", "%q: %s; use letters, digits, spaces and punctuation", as.Name, badText(as.Name)))
	}
	if as.Group != "" && badText(as.Group) != "" {
		errs = append(errs, fielderr.New("group", "%q: %s", as.Group, badText(as.Group)))
	}
	return errors.Join(errs...)
}

// badText says what in s could not be shown as it is on a terminal or a
// page: invalid UTF-8, a control character (C0 such as ESC and BEL, DEL,
// C1), a line or paragraph separator, or a bidirectional control (which
// can make text read in another order than it is written). "" if none.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("control character U+%04X", r)
		case r == '\u2028' || r == '\u2029':
			return fmt.Sprintf("line separator U+%04X", r)
		case unicode.Is(unicode.Bidi_Control, r):
			return fmt.Sprintf("text-direction control U+%04X", r)
		}
	}
	return ""
}
