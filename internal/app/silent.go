package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// The "online but silent" device: a configured device the kernel's
// neighbour table has heard from lately (REACHABLE, DELAY, PROBE) that has
// not asked Hearth anything for alerts.events.silent_device, though it
// asked in the last day: its DNS may have been changed. Looked at once a
// minute with the unwell checks; told once per silence.
const (
	silentUsual      = 24 * time.Hour // "normally asks": asked within this
	neighbourTimeout = 5 * time.Second
)

// defaultNeighbourCommand lists both families' neighbours with their states.
var defaultNeighbourCommand = []string{"ip", "neigh", "show"}

// silentWatch remembers, per device, the last sighting it was told about.
type silentWatch struct {
	started time.Time // silences count from here at the earliest
	told    map[string]time.Time
}

// look returns the alerts for devices online (their MAC or an address in
// online) and silent for at least after(device) (0: not watched) at now. seen is the registry of
// devices seen; only configured devices count.
func (w *silentWatch) look(now time.Time, after func(device string) time.Duration, seen []state.SeenDevice, online map[netip.Addr]net.HardwareAddr) []alerts.Alert {
	if w.told == nil {
		w.told = map[string]time.Time{}
	}
	macs := make(map[string]bool, len(online))
	for _, m := range online {
		macs[m.String()] = true
	}
	type dev struct {
		last    time.Time
		present bool
	}
	devs := map[string]*dev{}
	var order []string
	for _, s := range seen {
		if s.Device == "" {
			continue
		}
		d := devs[s.Device]
		if d == nil {
			d = &dev{}
			devs[s.Device] = d
			order = append(order, s.Device)
		}
		if s.LastSeen.After(d.last) {
			d.last = s.LastSeen
		}
		if s.MAC != "" && macs[s.MAC] {
			d.present = true
		}
		if a, err := netip.ParseAddr(s.Addr); err == nil {
			if _, ok := online[a.Unmap().WithZone("")]; ok {
				d.present = true
			}
		}
	}
	var out []alerts.Alert
	for _, name := range order {
		d := devs[name]
		from := d.last
		if from.Before(w.started) {
			from = w.started
		}
		quiet := now.Sub(from)
		if a := after(name); !d.present || a <= 0 || quiet < a || now.Sub(d.last) > silentUsual || w.told[name].Equal(d.last) {
			continue
		}
		w.told[name] = d.last
		out = append(out, alerts.Alert{Kind: alerts.KindSilent, Owner: name, Time: now,
			ID:    idPart("silent-" + name + "-" + strconv.FormatInt(d.last.Unix(), 36)),
			Title: name + " is online but not using Hearth",
			Text:  fmt.Sprintf("%s is online but has not used Hearth for %s: its DNS may have been changed", name, span(quiet))})
	}
	return out
}

// watched is how many configured devices the silent check watches now:
// those with silent_device on that asked in the last day.
func (w *silentWatch) watched(now time.Time, after func(string) time.Duration, seen []state.SeenDevice) int {
	names := map[string]bool{}
	for _, s := range seen {
		if s.Device != "" && after(s.Device) > 0 && now.Sub(s.LastSeen) <= silentUsual {
			names[s.Device] = true
		}
	}
	return len(names)
}

// span is "40 minutes", or "3 hours" from two hours on.
func span(d time.Duration) string {
	if d < 2*time.Hour {
		return minutes(int(d / time.Minute))
	}
	return strconv.Itoa(int(d/time.Hour)) + " hours"
}

// readOnline runs argv (`ip neigh show`) and returns the neighbours heard
// from lately. Malformed lines are skipped (their error is not returned).
func readOnline(ctx context.Context, argv []string) (map[netip.Addr]net.HardwareAddr, error) {
	ctx, cancel := context.WithTimeout(ctx, neighbourTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("silent devices: %s: %w", argv[0], err)
	}
	m, err := identity.ParseIPNeighReachable(bytes.NewReader(b))
	var skipped *identity.MalformedLinesError
	if err != nil && !errors.As(err, &skipped) {
		return nil, err
	}
	return m, nil
}
