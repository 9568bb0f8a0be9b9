package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/policy/state"
)

// Errors from Engine.Assign, for the API's status codes.
var (
	// ErrConfigured: the device or name is in hearth.yaml, which wins.
	ErrConfigured = errors.New("policy: set in hearth.yaml")
	// ErrUnknownGroup: no such group in the configuration.
	ErrUnknownGroup = errors.New("policy: no such group")
	// ErrNameTaken: another device has the name.
	ErrNameTaken = errors.New("policy: name taken")
)

// Assign names the device with key and puts it in group ("" is the default
// group). It fails with a *fielderr.Error (bad field), ErrUnknownGroup,
// ErrConfigured (hearth.yaml lists the device or the name), ErrNameTaken, or
// a save error; on success the policy applies from the next query.
func (e *Engine) Assign(as state.Assignment) error {
	if err := state.CheckAssignment(as); err != nil {
		return err
	}
	as.At = e.opts.Clock.Now().UTC().Round(0)
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.cur.Load().plan
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
	if err := e.opts.Assignments.Set(as); err != nil {
		return err
	}
	e.rebindLocked()
	return nil
}

// Unassign forgets the assignment with key (ErrNoAssignment if none).
func (e *Engine) Unassign(key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.opts.Assignments.Remove(key); err != nil {
		return err
	}
	e.rebindLocked()
	return nil
}

// Assignments returns the store of devices named on the dashboard.
func (e *Engine) Assignments() *state.Assignments { return e.opts.Assignments }

// Conflicts returns a sentence for each assignment hearth.yaml overrides
// (or whose group is gone), for the dashboard and the log.
func (e *Engine) Conflicts() []string { return e.cur.Load().plan.conflicts }

// yamlDeviceFor returns the device from hearth.yaml with the key's MAC or
// exactly its address, if any. A prefix in the file (a whole network) does
// not claim the address: the named device is more specific and wins, as a
// single address in the file would.
func yamlDeviceFor(p *plan, key string) *device {
	mac, addr, err := state.ParseDeviceKey(key)
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
func assign(p *plan, list []state.Assignment) {
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
		mac, addr, _ := state.ParseDeviceKey(as.Key)
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
