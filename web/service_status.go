package web

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// Devices and their status, as the policy engine knows them. The state of
// each device (paused, bedtime, limited, open) is the policy's own
// (policy.DeviceStatus.State): the dashboard shows it, never recomputes it.

// statusView is every device now: GET /api/status and the Now page.
type statusView struct {
	Now     time.Time             `json:"now"`
	Zone    string                `json:"zone"`
	Devices []policy.DeviceStatus `json:"devices"`
	// Budgets are the daily budgets of every owner (a person, a device
	// nobody owns, the devices nobody named), with the figures the
	// decision uses.
	Budgets []policy.BudgetStatus `json:"budgets"`
	// Person is set for ?person=: Devices and Budgets are that person's.
	Person    string   `json:"person,omitempty"`
	Conflicts []string `json:"conflicts"`
	// Reload is the last reload's outcome: refused with its problems, until
	// a later reload succeeds.
	Reload ReloadOutcome `json:"reload"`
	// SetupUnfinished is true while the running configuration chooses
	// nothing to block: only the ways round the filter are blocked, for the
	// default group (policy.Config.FirstStart); every page says so.
	SetupUnfinished bool `json:"setup_unfinished"`
	// Shared is this node's part in state shared with other Hearths
	// (state.redis); absent when it runs alone.
	Shared *SharedState `json:"shared,omitempty"`
	// Journal is the journal's health (failing: its database is unavailable,
	// lookups kept in memory); absent when the journal is off.
	Journal *JournalHealth `json:"journal,omitempty"`
}

// Status is every device's status now.
func (sv *service) Status() statusView {
	st, _ := sv.PersonStatus("")
	return st
}

// PersonStatus is one person's devices and budgets now ("" for everyone's);
// an unknown person is a not-found error suggesting the closest name.
func (sv *service) PersonStatus(person string) (statusView, error) {
	person = strings.ToLower(strings.TrimSpace(person)) // people's names are slugs
	e := sv.opts.Engine
	now := sv.opts.Clock.Now()
	conflicts := e.Conflicts()
	if conflicts == nil {
		conflicts = []string{}
	}
	budgets, err := e.BudgetStatus(now, person)
	if err != nil {
		return statusView{}, classify(err)
	}
	devices := e.Status(now)
	if person != "" {
		own, _ := e.PersonDevices(person)
		kept := []policy.DeviceStatus{}
		for _, d := range devices {
			if d.Name != "" && slices.Contains(own, d.Name) {
				kept = append(kept, d)
			}
		}
		devices = kept
	}
	return statusView{Now: now.In(e.Location()), Zone: e.Location().String(), Devices: devices, Budgets: budgets, Person: person,
		Conflicts: conflicts, Reload: sv.LastReload(), SetupUnfinished: e.FirstStart(), Shared: sv.shared(),
		Journal: sv.journalHealth()}, nil
}

// DeviceStatus is one device's status now ("" for the unknown devices).
func (sv *service) DeviceStatus(name string) (policy.DeviceStatus, error) {
	st, ok := sv.opts.Engine.DeviceStatus(name, sv.opts.Clock.Now())
	if !ok {
		return st, notFound("no device %q", name)
	}
	return st, nil
}

// deviceView is one device seen, with its name and group if it has one.
type deviceView struct {
	state.SeenDevice
	Name   string `json:"name"`
	Group  string `json:"group"`
	Source string `json:"source"` // "config", "dashboard" or "unknown"
	deviceClues
}

// Devices are the devices seen, with the names and groups they have (or
// will have from their next lookup).
func (sv *service) Devices() []deviceView {
	e := sv.opts.Engine
	assigned := map[string]state.Assignment{}
	for _, a := range e.Assignments().List() {
		assigned[a.Key] = a
	}
	groups := map[string]string{}
	for _, gw := range e.Week() {
		for _, d := range gw.Devices {
			groups[d] = gw.Group
		}
	}
	out := []deviceView{}
	today := e.ServicesToday(sv.opts.Clock.Now())
	unknown := e.NewDevicesGroup()
	for _, sd := range e.Devices().List() {
		v := deviceView{SeenDevice: sd, Name: sd.Device, Group: unknown, Source: "unknown"}
		if g, ok := groups[sd.Device]; ok && sd.Device != "" {
			v.Group, v.Source = g, "config"
			if a, ok := assigned[sd.Key]; ok && a.Name == sd.Device {
				v.Source = "dashboard"
			}
		} else if a, ok := assigned[sd.Key]; ok {
			// Named since the device's last query: it takes the name at its next.
			v.Name, v.Group, v.Source = a.Name, a.Group, "dashboard"
		} else if info := e.Lookup(clientOf(sd)); info.Device != "" {
			// Named in hearth.yaml since its last query.
			v.Name, v.Group, v.Source = info.Device, info.Group, "config"
		}
		v.deviceClues = cluesOf(sd, v.Source == "unknown", today, sv.opts.Catalogue)
		out = append(out, v)
	}
	return out
}

// Seen reports whether key is a device seen, or named on the dashboard.
func (sv *service) Seen(key string) bool {
	e := sv.opts.Engine
	for _, d := range e.Devices().List() {
		if d.Key == key {
			return true
		}
	}
	for _, a := range e.Assignments().List() {
		if a.Key == key {
			return true
		}
	}
	return false
}

// NameDevice names the device with key and puts it in group ("" for
// default). hearth.yaml wins: a device or name of the file is a conflict.
func (sv *service) NameDevice(a state.Assignment) error {
	if err := sv.checkNewName(a.Name); err != nil {
		return err
	}
	if err := sv.opts.Engine.Assign(a); err != nil {
		return classify(err)
	}
	return nil
}

// clientOf is what a query from the device seen would tell the policy: its
// last address and, when known, its MAC.
func clientOf(sd state.SeenDevice) identity.ClientInfo {
	ci := identity.ClientInfo{}
	if a, err := netip.ParseAddr(sd.Addr); err == nil {
		ci.Addr, ci.Remote = a, a
	}
	if hw, err := net.ParseMAC(sd.MAC); err == nil {
		ci.MAC = hw
	}
	if id, ok := strings.CutPrefix(sd.Key, "id:"); ok {
		ci.DeviceID = id
	}
	return ci
}

// ForgetDevice forgets the name given to key on the dashboard, returning
// the name forgotten.
func (sv *service) ForgetDevice(key string) (name string, err error) {
	name = key
	for _, a := range sv.opts.Engine.Assignments().List() {
		if a.Key == key {
			name = a.Name
		}
	}
	if err := sv.opts.Engine.Unassign(key); err != nil {
		return name, classify(err)
	}
	return name, nil
}
