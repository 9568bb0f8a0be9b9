package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// neighFixture is `ip neigh show` on a home router: alex-tablet (by MAC)
// and the TV reachable, sam-phone's entry stale (it left), a printer
// reachable that never asks Hearth.
const neighFixture = `192.168.1.20 dev br-lan lladdr aa:bb:cc:dd:ee:20 REACHABLE
192.168.1.21 dev br-lan lladdr aa:bb:cc:dd:ee:21 STALE
192.168.1.22 dev br-lan lladdr aa:bb:cc:dd:ee:22 DELAY
192.168.1.30 dev br-lan lladdr aa:bb:cc:dd:ee:30 REACHABLE
fe80::a8bb:ccff:fedd:ee20 dev br-lan lladdr aa:bb:cc:dd:ee:20 router STALE
192.168.1.99 dev br-lan FAILED
`

// TestSilentWatch: online (reachable) and silent 40 minutes, though it
// asked in the last day: told once per silence.
func TestSilentWatch(t *testing.T) {
	online, err := identity.ParseIPNeighReachable(strings.NewReader(neighFixture))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	w := silentWatch{started: t0.Add(-time.Hour)}
	seen := []state.SeenDevice{
		// alex-tablet came back with a new address: found by its MAC.
		{Key: "mac:aa:bb:cc:dd:ee:20", Device: "alex-tablet", MAC: "aa:bb:cc:dd:ee:20", Addr: "192.168.1.120", LastSeen: t0},
		{Key: "mac:aa:bb:cc:dd:ee:21", Device: "sam-phone", MAC: "aa:bb:cc:dd:ee:21", Addr: "192.168.1.21", LastSeen: t0},
		// the TV is known by its address only (no MAC learnt).
		{Key: "ip:192.168.1.22", Device: "living-room-tv", Addr: "192.168.1.22", LastSeen: t0.Add(-10 * time.Minute)},
		// not asked for two days: not "normally asks".
		{Key: "mac:aa:bb:cc:dd:ee:30", Device: "printer", MAC: "aa:bb:cc:dd:ee:30", LastSeen: t0.Add(-48 * time.Hour)},
		// a device nobody named: the new-device alert's business.
		{Key: "ip:192.168.1.40", Addr: "192.168.1.30", LastSeen: t0.Add(-2 * time.Hour)},
	}
	texts := func(now time.Time) []string {
		var out []string
		for _, a := range w.look(now, every(40*time.Minute), seen, online) {
			if a.Kind != alerts.KindSilent || a.Owner == "" || a.ID == "" {
				t.Errorf("alert %+v", a)
			}
			out = append(out, a.Text)
		}
		return out
	}
	check := func(now time.Time, want ...string) {
		t.Helper()
		if got := texts(now); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("at %s: got %q, want %q", now.Format("15:04"), got, want)
		}
	}
	check(t0.Add(29 * time.Minute))
	check(t0.Add(30*time.Minute), "living-room-tv is online but has not used Hearth for 40 minutes: its DNS may have been changed")
	check(t0.Add(40*time.Minute), "alex-tablet is online but has not used Hearth for 40 minutes: its DNS may have been changed")
	check(t0.Add(90 * time.Minute)) // once per silence
	// alex-tablet asks again, then falls silent again: told again.
	seen[0].LastSeen = t0.Add(2 * time.Hour)
	check(t0.Add(2*time.Hour + 39*time.Minute))
	check(t0.Add(3*time.Hour), "alex-tablet is online but has not used Hearth for 60 minutes: its DNS may have been changed")
	// Silent since before Hearth started: counted from the start.
	w2 := silentWatch{started: t0.Add(4 * time.Hour)}
	if got := w2.look(t0.Add(4*time.Hour+39*time.Minute), every(40*time.Minute), seen, online); len(got) != 0 {
		t.Errorf("counted from before the start: %+v", got)
	}
	if got := w2.look(t0.Add(4*time.Hour+40*time.Minute), every(40*time.Minute), seen, online); len(got) != 2 ||
		got[0].Text != "alex-tablet is online but has not used Hearth for 40 minutes: its DNS may have been changed" ||
		got[1].Owner != "living-room-tv" {
		t.Errorf("after the start: %+v", got)
	}
}

// TestSilentDeviceFromRealQueries: alex-tablet (127.0.0.2, reachable in
// the neighbour-table fixture) asks at 18:00 and then nothing; sam-phone
// (127.0.0.4, its entry stale) likewise. At 18:40 the webhook hears of
// alex-tablet only, once; alex-tablet asks again and is told of again 40
// minutes later.
func TestSilentDeviceFromRealQueries(t *testing.T) {
	url, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	fixture := filepath.Join(dir, "neigh.txt")
	if err := os.WriteFile(fixture, []byte("127.0.0.2 dev lo lladdr aa:bb:cc:dd:ee:02 REACHABLE\n127.0.0.4 dev lo lladdr aa:bb:cc:dd:ee:04 STALE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := testHead(dir, up.Addr) +
		"devices:\n  - {name: alex-tablet, ip: [127.0.0.2]}\n  - {name: sam-phone, ip: [127.0.0.4]}\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + url + "\"}\n  dashboard: http://hearth.lan:8080\n  events: {silent_device: 40m}\n"
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 18, 0, 0, 0, london))
	h := startWith(t, dir, yaml, clk, Options{NeighbourCommand: []string{"cat", fixture}})
	defer h.Shutdown(context.Background())
	addr := h.Addrs()[0].String()
	askFrom(t, "127.0.0.2", addr, "example.org")
	askFrom(t, "127.0.0.4", addr, "example.org")
	minutes := func(n int) []alerts.Alert {
		tick(t, clk, n)
		return drain(got)
	}
	if a := minutes(39); len(a) != 0 {
		t.Fatalf("before 40 minutes: %+v", a)
	}
	a := minutes(1)
	if len(a) != 1 || a[0].Kind != alerts.KindSilent || a[0].Owner != "alex-tablet" || a[0].Link != "http://hearth.lan:8080/devices" ||
		a[0].Text != "alex-tablet is online but has not used Hearth for 40 minutes: its DNS may have been changed" {
		t.Fatalf("at 40 minutes: %+v", a)
	}
	if a := minutes(5); len(a) != 0 {
		t.Fatalf("told again: %+v", a)
	}
	askFrom(t, "127.0.0.2", addr, "example.org")
	a = minutes(40)
	if len(a) != 1 || a[0].Owner != "alex-tablet" {
		t.Fatalf("the next silence: %+v", a)
	}
}

// tick moves clk on n minutes, one at a time, each time waiting for the
// once-a-minute watch to have looked and gone back to sleep.
func tick(t *testing.T, clk *clocktest.Fake, n int) {
	t.Helper()
	for range n {
		if !clk.WaitTimers(steadyTimers, 5*time.Second) {
			t.Fatalf("%d timers", clk.Timers())
		}
		clk.Advance(time.Minute)
	}
	if !clk.WaitTimers(steadyTimers, 5*time.Second) {
		t.Fatalf("%d timers", clk.Timers())
	}
}

// drain returns the alerts that arrive until none has for 300 ms (the
// sender posts what the watch queued on disk).
func drain(got chan alerts.Alert) []alerts.Alert {
	var out []alerts.Alert
	for {
		select {
		case a := <-got:
			out = append(out, a)
		case <-time.After(300 * time.Millisecond):
			return out
		}
	}
}

// every is a silent_device setting the same for every device.
func every(d time.Duration) func(string) time.Duration {
	return func(string) time.Duration { return d }
}
