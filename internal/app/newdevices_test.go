package app

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/state"
)

// TestNewDevicesFreshInstallAndNeighbours: on a fresh installation, the
// devices on the network in its first 10 minutes (two only in the
// neighbour table, one asking over DNS) make one summary, not three alerts;
// after it, a MAC that appears in the neighbour table and never asks is
// told of once, with its MAC and address, as is a device asking for the
// first time; after a restart nothing already told of is told again.
func TestNewDevicesFreshInstallAndNeighbours(t *testing.T) {
	url, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	fixture := filepath.Join(dir, "neigh.txt")
	table := "127.0.0.2 dev lo lladdr aa:bb:cc:dd:ee:02 REACHABLE\n" + // alex-tablet, configured
		"192.168.1.8 dev eth0 lladdr aa:bb:cc:dd:ee:08 REACHABLE\n192.168.1.9 dev eth0 lladdr aa:bb:cc:dd:ee:09 DELAY\n" +
		"192.168.1.12 dev eth0 lladdr aa:bb:cc:dd:ee:12 STALE\n" // not heard from lately: not counted
	write := func(s string) {
		if err := os.WriteFile(fixture, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(table)
	yaml := testHead(dir, up.Addr) +
		"devices:\n  - {name: alex-tablet, ip: [127.0.0.2]}\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + url + "\"}\n  dashboard: http://hearth.lan:8080\n  events: {silent_device: 40m}\n"
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 18, 0, 0, 0, london))
	opts := Options{NeighbourCommand: []string{"cat", fixture}}
	h := startWith(t, dir, yaml, clk, opts)
	addr := h.Addrs()[0].String()
	askFrom(t, "127.0.0.2", addr, "example.org")
	askFrom(t, "127.0.0.3", addr, "example.org") // a new device over DNS, while settling
	tick(t, clk, 9)
	if a := drain(got); len(a) != 0 {
		t.Fatalf("while settling: %+v", a)
	}
	st := h.NeighbourStatus()
	if st == nil || !st.On || !st.Readable || st.Online != 3 || st.Watched != 1 || !st.LastRun.Equal(clk.Now()) {
		t.Errorf("status: %+v", st)
	}
	tick(t, clk, 1)
	a := awaitAlerts(got)
	if len(a) != 1 || a[0].Kind != alerts.KindNewDevice || a[0].Link != "http://hearth.lan:8080/devices" ||
		a[0].Text != "3 devices on the network are not named yet. Name them on the dashboard to give them their rules." {
		t.Fatalf("the summary: %+v", a)
	}
	write(table + "192.168.1.40 dev eth0 lladdr aa:bb:cc:dd:ee:40 REACHABLE\n")
	tick(t, clk, 1)
	askFrom(t, "127.0.0.5", addr, "example.org")
	a = awaitAlerts(got)
	var texts []string
	for _, x := range a {
		texts = append(texts, x.Text)
	}
	want := "A new device joined the network (aa:bb:cc:dd:ee:40, 192.168.1.40) and is not named yet; it has not used Hearth: its DNS may point elsewhere|" +
		"A new device joined the network and is not named yet: 127.0.0.5. Name it on the dashboard to give it its rules."
	if strings.Join(texts, "|") != want {
		t.Fatalf("after settling:\n%q\nwant\n%q", texts, want)
	}
	tick(t, clk, 2)
	if a := drain(got); len(a) != 0 {
		t.Fatalf("told again: %+v", a)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	saved, ok, err := alerts.ReadNeighbourStatus(filepath.Join(dir, "state"))
	if !ok || err != nil || !saved.Readable || saved.Online != 4 {
		t.Errorf("saved status: %+v %v %v", saved, ok, err)
	}
	h = startWith(t, dir, yaml, clk, opts)
	defer h.Shutdown(context.Background())
	tick(t, clk, 12)
	if a := drain(got); len(a) != 0 {
		t.Fatalf("after a restart: %+v", a)
	}
}

// TestNewDeviceNeighbourTableUnreadable: without a readable neighbour
// table the status says why, and a fresh installation's summary still
// comes.
func TestNewDeviceNeighbourTableUnreadable(t *testing.T) {
	url, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	yaml := "listen: [\"127.0.0.1:0\"]\nallow_clients: [127.0.0.0/8]\nstate_dir: " + filepath.Join(dir, "state") + "\n" +
		"upstreams:\n  servers: [\"udp://" + up.Addr + "\"]\n  strategy: ordered\n  timeout: 1s\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\nalerts:\n  webhook: {url: \"" + url + "\"}\n"
	clk := clocktest.New(time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC))
	h := startWith(t, dir, yaml, clk, Options{NeighbourCommand: []string{filepath.Join(dir, "no-such-ip")}})
	defer h.Shutdown(context.Background())
	askFrom(t, "127.0.0.3", h.Addrs()[0].String(), "example.org")
	tick(t, clk, 10)
	a := awaitAlerts(got)
	if len(a) != 1 || a[0].Text != "1 device on the network is not named yet. Name it on the dashboard to give it its rules." {
		t.Errorf("summary: %+v", a)
	}
	if st := h.NeighbourStatus(); st == nil || st.Readable || !strings.Contains(st.Error, "no-such-ip") {
		t.Errorf("status: %+v", st)
	}
}

// awaitAlerts waits up to 10 s for a first alert, then returns it with
// those that follow it (drain).
func awaitAlerts(got chan alerts.Alert) []alerts.Alert {
	select {
	case a := <-got:
		return append([]alerts.Alert{a}, drain(got)...)
	case <-time.After(10 * time.Second):
		return nil
	}
}

// TestNewDevicesLookOneMACManyAddresses: a configured device's other
// addresses (its IPv6 link-local one) in the neighbour table are not a new
// device; a MAC seen with two addresses is told of once, by its first.
func TestNewDevicesLookOneMACManyAddresses(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	n, err := openNewDevices(filepath.Join(t.TempDir(), newDevicesFile), t0)
	if err != nil {
		t.Fatal(err)
	}
	n.settleUntil = time.Time{} // not a fresh installation
	n.looked = t0
	tablet, _ := net.ParseMAC("aa:bb:cc:dd:ee:02")
	phone, _ := net.ParseMAC("aa:bb:cc:dd:ee:40")
	online := map[netip.Addr]net.HardwareAddr{
		netip.MustParseAddr("192.168.1.2"): tablet, netip.MustParseAddr("fe80::2"): tablet,
		netip.MustParseAddr("192.168.1.40"): phone, netip.MustParseAddr("fe80::40"): phone,
	}
	configured := func(a netip.Addr, _ net.HardwareAddr) bool { return a == netip.MustParseAddr("192.168.1.2") }
	got := n.look(t0.Add(time.Minute), online, nil, configured)
	if len(got) != 1 || !strings.Contains(got[0].Text, "(aa:bb:cc:dd:ee:40, 192.168.1.40)") {
		t.Fatalf("first look: %+v", got)
	}
	if got := n.look(t0.Add(2*time.Minute), online, nil, configured); len(got) != 0 {
		t.Fatalf("told again: %+v", got)
	}
}

// TestNewDevicesSettlingSurvivesARestart: a fresh installation restarted
// within its first 10 minutes goes on counting, and its summary counts the
// devices seen before the restart.
func TestNewDevicesSettlingSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts", newDevicesFile)
	t0 := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	n, err := openNewDevices(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	if n.firstSight(state.SeenDevice{Key: "ip:192.168.1.7", Addr: "192.168.1.7", FirstSeen: t0.Add(time.Minute)}) {
		t.Fatal("told while settling")
	}
	if err := n.save(); err != nil {
		t.Fatal(err)
	}
	n, err = openNewDevices(path, t0.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	n.firstSight(state.SeenDevice{Key: "ip:192.168.1.8", Addr: "192.168.1.8", FirstSeen: t0.Add(6 * time.Minute)})
	if got := n.settled(t0.Add(9 * time.Minute)); len(got) != 0 {
		t.Fatalf("summary before 10 minutes: %+v", got)
	}
	got := n.settled(t0.Add(10 * time.Minute))
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, "2 devices on the network are not named yet.") {
		t.Fatalf("summary: %+v", got)
	}
	if !n.firstSight(state.SeenDevice{Key: "ip:192.168.1.9", Addr: "192.168.1.9", FirstSeen: t0.Add(11 * time.Minute)}) {
		t.Error("not told after settling")
	}
}
