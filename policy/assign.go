package policy

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

// Errors from Engine.Assign, for the API's status codes.
var (
	// ErrConfigured: the device or name is in hearth.yaml, which wins.
	ErrConfigured = errors.New("policy: set in hearth.yaml")
	// ErrUnknownGroup: no such group in the configuration.
	ErrUnknownGroup = errors.New("policy: no such group")
	// ErrNameTaken: another device has the name.
	ErrNameTaken = errors.New("policy: name taken")
	// ErrNoAssignment: no assignment has the key.
	ErrNoAssignment = errors.New("policy: no such assignment")
)

// maxAssignments bounds the store (the registry of devices seen holds 1024).
const maxAssignments = 1024

// Assignments is the store of assignments, kept in one JSON file beside the
// other state. Safe for concurrent use.
type Assignments struct {
	path string // "" keeps them in memory
	mu   sync.Mutex
	list []Assignment // sorted by Name
}

// OpenAssignments loads the store at path ("" for memory only). A missing
// file is an empty store; a damaged one is renamed aside and an empty store
// returned with an error saying so.
func OpenAssignments(path string) (*Assignments, error) {
	a := &Assignments{path: path}
	if path == "" {
		return a, nil
	}
	var file struct {
		Assignments []Assignment `json:"assignments"`
	}
	if fatal, err := loadState(path, &file, "devices named on the dashboard are forgotten"); fatal {
		return nil, err
	} else if err != nil {
		return a, err
	}
	for _, as := range file.Assignments {
		if checkAssignment(as) == nil {
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

// set replaces the assignment with as.Key (or adds it) and saves.
func (a *Assignments) set(as Assignment) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(a.list), func(x Assignment) bool { return x.Key == as.Key })
	if len(next) >= maxAssignments {
		return fmt.Errorf("policy: %d devices are named already; remove some first", maxAssignments)
	}
	next = append(next, as)
	sortAssignments(next)
	return a.saveLocked(next)
}

// remove deletes the assignment with key and saves.
func (a *Assignments) remove(key string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.list, func(x Assignment) bool { return x.Key == key })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNoAssignment, key)
	}
	return a.saveLocked(slices.Delete(slices.Clone(a.list), i, i+1))
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

// checkAssignment checks an assignment's own fields, keyed by JSON name.
func checkAssignment(as Assignment) error {
	var errs []error
	if _, _, err := ParseDeviceKey(as.Key); err != nil {
		errs = append(errs, fielderr.New("key", "%v", err))
	}
	switch n := strings.TrimSpace(as.Name); {
	case n == "":
		errs = append(errs, fielderr.New("name", "a device needs a name"))
	case len(n) > 40 || strings.ContainsAny(n, "\n\r\t") || n != as.Name:
		errs = append(errs, fielderr.New("name", "%q: a name of at most 40 characters, on one line, without spaces around it", as.Name))
	}
	return errors.Join(errs...)
}

// Assign names the device with key and puts it in group ("" is the default
// group). It fails with a *fielderr.Error (bad field), ErrUnknownGroup,
// ErrConfigured (hearth.yaml lists the device or the name), ErrNameTaken, or
// a save error; on success the policy applies from the next query.
func (e *Engine) Assign(as Assignment) error {
	if err := checkAssignment(as); err != nil {
		return err
	}
	as.At = e.opts.Clock.Now().UTC().Round(0)
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.state.Load().plan
	if as.Group == "" {
		as.Group = DefaultGroup
	}
	if _, ok := p.groups[as.Group]; !ok {
		return fmt.Errorf("%w %q (groups: %s)", ErrUnknownGroup, as.Group, strings.Join(groupNamesOf(p), ", "))
	}
	if d := yamlDeviceFor(p, as.Key); d != nil {
		return fmt.Errorf("%w: this device is %s (%s) there; change it in the file", ErrConfigured, d.name, d.key)
	}
	for _, d := range p.devices {
		if strings.EqualFold(d.name, as.Name) && d.assigned != as.Key {
			if d.assigned == "" {
				return fmt.Errorf("%w: %q is the name of %s there", ErrConfigured, as.Name, d.key)
			}
			return fmt.Errorf("%w: %q is the name of another device (%s)", ErrNameTaken, as.Name, d.assigned)
		}
	}
	if err := e.opts.Assignments.set(as); err != nil {
		return err
	}
	e.rebindLocked()
	return nil
}

// Unassign forgets the assignment with key (ErrNoAssignment if none).
func (e *Engine) Unassign(key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.opts.Assignments.remove(key); err != nil {
		return err
	}
	e.rebindLocked()
	return nil
}

// Assignments returns the store of devices named on the dashboard.
func (e *Engine) Assignments() *Assignments { return e.opts.Assignments }

// Conflicts returns a sentence for each assignment hearth.yaml overrides
// (or whose group is gone), for the dashboard and the log.
func (e *Engine) Conflicts() []string { return e.state.Load().plan.conflicts }

// yamlDeviceFor returns the device from hearth.yaml with the key's MAC or
// exactly its address, if any. A prefix in the file (a whole network) does
// not claim the address: the named device is more specific and wins, as a
// single address in the file would.
func yamlDeviceFor(p *plan, key string) *device {
	mac, addr, err := ParseDeviceKey(key)
	if err != nil {
		return nil
	}
	if mac != nil {
		if d := p.byMAC[string(mac)]; d != nil && d.assigned == "" {
			return d
		}
		return nil
	}
	for _, e := range p.byIP {
		if e.prefix.IsSingleIP() && e.prefix.Addr() == addr && e.dev.assigned == "" {
			return e.dev
		}
	}
	return nil
}

func groupNamesOf(p *plan) []string {
	names := make([]string, len(p.groupList))
	for i, g := range p.groupList {
		names[i] = g.name
	}
	return names
}

// assign adds the dashboard's devices to a compiled plan, after those of
// hearth.yaml, which win: an assignment whose MAC, address or name the file
// already has is skipped and noted in p.conflicts, as is one whose group no
// longer exists (the device goes to the default group).
func assign(p *plan, list []Assignment) {
	names := map[string]bool{}
	for _, d := range p.devices {
		names[strings.ToLower(d.name)] = true
	}
	added := false
	for _, as := range list {
		if d := yamlDeviceFor(p, as.Key); d != nil {
			p.conflicts = append(p.conflicts, fmt.Sprintf("%s (named %q on the dashboard) is %s in hearth.yaml, which wins", as.Key, as.Name, d.key))
			continue
		}
		if names[strings.ToLower(as.Name)] {
			p.conflicts = append(p.conflicts, fmt.Sprintf("%s: the name %q is taken in hearth.yaml, which wins", as.Key, as.Name))
			continue
		}
		g, ok := p.groups[as.Group]
		if !ok {
			g = p.deflt
			p.conflicts = append(p.conflicts, fmt.Sprintf("%s (%q): group %q is gone, so the device is in the default group", as.Key, as.Name, as.Group))
		}
		names[strings.ToLower(as.Name)] = true
		d := &device{idx: len(p.devices), name: as.Name, key: "dashboard:" + as.Key, assigned: as.Key, group: g}
		d.allowKey, d.blockKey = d.key+".allow", d.key+".block"
		mac, addr, _ := ParseDeviceKey(as.Key)
		if mac != nil {
			p.byMAC[string(mac)] = d
			d.macs = append(d.macs, mac)
		} else {
			p.byIP = append(p.byIP, ipDevice{netip.PrefixFrom(addr, addr.BitLen()), d})
			added = true
		}
		p.devices = append(p.devices, d)
	}
	if added {
		slices.SortStableFunc(p.byIP, func(a, b ipDevice) int { return b.prefix.Bits() - a.prefix.Bits() })
	}
}
