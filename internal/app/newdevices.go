package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/policy/state"
)

// New devices: a device seen for the first time in DNS (the registry's
// first sight) and one seen only in the kernel's neighbour table (a MAC on
// the LAN that never asked Hearth and is not named). Each is told of once;
// what was told is remembered in newDevicesFile. A fresh installation (no
// file yet) does not flood the parent: for its first settleFor every new
// device is counted, not told of, then one summary says how many are not
// named yet.
const (
	newDevicesFile = "new-devices.json"
	settleFor      = 10 * time.Minute
)

// newDevices is the state of both kinds of new device; the query path (a
// first sight) and the once-a-minute look share it.
type newDevices struct {
	path string
	mu   sync.Mutex
	// known is every MAC address the neighbour table showed that was not a
	// configured device nor one that asked Hearth, by when it was first seen.
	known map[string]time.Time
	// settleUntil: while before it (a fresh installation), new devices are
	// counted in held, not told of; zero once the summary was made.
	settleUntil time.Time
	held        map[string]bool // keys of the devices counted while settling
	// looked is when the neighbour table was first read (zero: never): the
	// first read only records what is there.
	looked time.Time
	dirty  bool
}

type newDevicesState struct {
	Known  map[string]time.Time `json:"known"`           // MAC -> first seen in the neighbour table
	Looked time.Time            `json:"looked,omitzero"` // the first read of the neighbour table
	// A fresh installation restarted while settling goes on settling.
	SettleUntil time.Time `json:"settle_until,omitzero"`
	Held        []string  `json:"held,omitempty"`
}

// openNewDevices loads path; a missing file is a fresh installation, which
// settles from now on. A damaged file is reported and counts as missing.
func openNewDevices(path string, now time.Time) (*newDevices, error) {
	n := &newDevices{path: path, known: map[string]time.Time{}, held: map[string]bool{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		n.settleUntil, n.dirty = now.Add(settleFor), true
		return n, nil
	}
	var st newDevicesState
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		n.settleUntil, n.dirty = now.Add(settleFor), true
		return n, fmt.Errorf("new devices: %s: %w (starting afresh)", path, err)
	}
	if st.Known != nil {
		n.known = st.Known
	}
	n.looked, n.settleUntil = st.Looked, st.SettleUntil
	for _, k := range st.Held {
		n.held[k] = true
	}
	return n, nil
}

// firstSight says whether a device seen for the first time in DNS is told
// of now: not while settling (it is counted), not when the neighbour table
// already showed its MAC (it was told of, or counted, then).
func (n *newDevices) firstSight(d state.SeenDevice) bool {
	if n == nil {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if d.MAC != "" {
		if _, ok := n.known[d.MAC]; ok {
			return false
		}
	}
	if !n.settleUntil.IsZero() && d.FirstSeen.Before(n.settleUntil) {
		n.held[d.Key], n.dirty = true, true
		return false
	}
	return true
}

// look takes the neighbour table's reachable entries at now and returns the
// alerts to send: a new device for each MAC that is not configured
// (configured reports whether an address and MAC are a configured device),
// has not asked Hearth (not in seen) and was not seen before; the summary
// when settling ends.
func (n *newDevices) look(now time.Time, online map[netip.Addr]net.HardwareAddr, seen []state.SeenDevice,
	configured func(netip.Addr, net.HardwareAddr) bool) []alerts.Alert {
	if n == nil {
		return nil
	}
	asked := map[string]bool{}
	for _, s := range seen {
		if s.MAC != "" {
			asked[s.MAC] = true
		}
		asked[s.Addr] = true
	}
	addrs := slices.SortedFunc(func(yield func(netip.Addr) bool) {
		for a := range online {
			if !yield(a) {
				return
			}
		}
	}, netip.Addr.Compare)
	// A MAC is one device whatever its addresses (IPv4, IPv6, link-local):
	// it is not new if any of them is configured or asked Hearth.
	notNew := map[string]bool{}
	for _, a := range addrs {
		if mac := online[a]; len(mac) > 0 && (asked[mac.String()] || asked[a.String()] || configured(a, mac)) {
			notNew[mac.String()] = true
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	first := n.looked.IsZero()
	if first {
		n.looked, n.dirty = now.UTC(), true
	}
	var out []alerts.Alert
	for _, a := range addrs {
		mac := online[a]
		if len(mac) == 0 {
			continue
		}
		m := mac.String()
		if _, ok := n.known[m]; ok || notNew[m] {
			continue
		}
		n.known[m], n.dirty = now.UTC(), true
		if !n.settleUntil.IsZero() && now.Before(n.settleUntil) {
			n.held["mac:"+m] = true
			continue
		}
		if first {
			continue // what was there before Hearth looked is not news
		}
		out = append(out, alerts.NewDeviceAlert(alerts.NewDevice{Key: "mac:" + m, MAC: m, Addr: a.String(), First: now, NeighbourOnly: true}))
	}
	return out
}

// settled returns the summary of the devices counted while settling, once
// settling has ended (called each minute, whether the neighbour table can
// be read or not).
func (n *newDevices) settled(now time.Time) []alerts.Alert {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []alerts.Alert
	if !n.settleUntil.IsZero() && !now.Before(n.settleUntil) {
		if k := len(n.held); k > 0 {
			out = append(out, alerts.Alert{Kind: alerts.KindNewDevice, Time: now,
				ID:    "new-devices-" + strconv.FormatInt(now.Unix(), 36),
				Title: "Devices not named yet",
				Text:  notNamedText(k)})
		}
		n.settleUntil, n.held, n.dirty = time.Time{}, map[string]bool{}, true
	}
	return out
}

// notNamedText is "6 devices on the network are not named yet."
func notNamedText(k int) string {
	if k == 1 {
		return "1 device on the network is not named yet. Name it on the dashboard to give it its rules."
	}
	return strconv.Itoa(k) + " devices on the network are not named yet. Name them on the dashboard to give them their rules."
}

// save writes the state if it changed.
func (n *newDevices) save() error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	if !n.dirty {
		n.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(newDevicesState{Known: n.known, Looked: n.looked, SettleUntil: n.settleUntil,
		Held: slices.Sorted(maps.Keys(n.held))})
	n.dirty = false
	n.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(n.path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(n.path, b, 0o600)
}
