//go:build netns

// The "online but silent" device with a real kernel neighbour table: a
// network namespace joined by a veth pair is the device (a real MAC that
// answers ARP). Needs root and `ip netns`; run by nothing by default:
//
//	go test -tags netns -run TestSilentDeviceNetns -v ./internal/app/
package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

const (
	nsHostAddr = "10.231.0.1"
	nsDevAddr  = "10.231.0.2"
	nsDevMAC   = "02:00:5e:10:00:02"
)

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestNetnsDeviceAsks is the device's side: run inside the namespace by
// TestSilentDeviceNetns (HEARTH_NETNS_ASK is Hearth's address); alone it
// does nothing.
func TestNetnsDeviceAsks(t *testing.T) {
	addr := os.Getenv("HEARTH_NETNS_ASK")
	if addr == "" {
		return
	}
	askFrom(t, nsDevAddr, addr, "example.org")
}

func TestSilentDeviceNetns(t *testing.T) {
	ns := fmt.Sprintf("hearth-silent-%d", os.Getpid())
	host, dev := fmt.Sprintf("hs%dh", os.Getpid()%10000), fmt.Sprintf("hs%dd", os.Getpid()%10000)
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "link", "add", host, "type", "veth", "peer", "name", dev)
	t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
	run(t, "ip", "link", "set", dev, "netns", ns)
	run(t, "ip", "addr", "add", nsHostAddr+"/24", "dev", host)
	run(t, "ip", "link", "set", host, "up")
	in := func(args ...string) string { return run(t, append([]string{"ip", "netns", "exec", ns}, args...)...) }
	in("ip", "link", "set", dev, "address", nsDevMAC)
	in("ip", "addr", "add", nsDevAddr+"/24", "dev", dev)
	in("ip", "link", "set", dev, "up")
	in("ip", "link", "set", "lo", "up")

	url, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	yaml := "listen: [\"" + nsHostAddr + ":0\"]\nallow_clients: [10.231.0.0/24]\nstate_dir: " + filepath.Join(dir, "state") + "\n" +
		"timezone: Europe/London\nupstreams:\n  servers: [\"udp://" + up.Addr + "\"]\n  strategy: ordered\n  timeout: 1s\n" +
		"identify: {neighbours: true}\ndevices:\n  - {name: alex-tablet, mac: [\"" + nsDevMAC + "\"]}\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + url + "\"}\n  events: {silent_device: 40m, new_device: false}\n"
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 18, 0, 0, 0, london))
	h := startWith(t, dir, yaml, clk, Options{})
	defer h.Shutdown(context.Background())
	addr := h.Addrs()[0].String()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ask := func() {
		cmd := exec.Command("ip", "netns", "exec", ns, self, "-test.run=^TestNetnsDeviceAsks$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HEARTH_NETNS_ASK="+addr)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the device's query: %v\n%s", err, out)
		}
	}
	// The kernel learns the device's MAC (traffic to it: an ARP exchange),
	// Hearth reads the table and so knows the device by its MAC.
	c, err := net.Dial("udp", nsDevAddr+":9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	poke := func() string {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c.Write([]byte("x"))
			st := run(t, "ip", "neigh", "show", nsDevAddr, "dev", host)
			if strings.Contains(st, "REACHABLE") || strings.Contains(st, "DELAY") || strings.Contains(st, "PROBE") {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("never reachable: %s", st)
			}
			time.Sleep(100 * time.Millisecond) // the real kernel's ARP exchange
		}
	}
	poke()
	if err := h.engine.RefreshIdentity(context.Background()); err != nil {
		t.Logf("refresh: %v", err)
	}
	ask()
	if d := h.engine.Devices().List(); len(d) != 1 || d[0].Device != "alex-tablet" || d[0].MAC != nsDevMAC {
		t.Fatalf("devices seen: %+v", d)
	}
	t.Logf("neighbours:\n%s", run(t, "ip", "neigh", "show", "dev", host))
	if a := minutesThen(t, clk, got, 39); len(a) != 0 {
		t.Fatalf("before 40 minutes: %+v", a)
	}
	// Still REACHABLE (the kernel confirmed it seconds ago, real time).
	a := minutesThen(t, clk, got, 1)
	if len(a) != 1 || a[0].Kind != alerts.KindSilent || a[0].Owner != "alex-tablet" {
		t.Fatalf("at 40 minutes: %+v", a)
	}

	// It asks again, then its entry goes STALE (as on a machine it no
	// longer talks to): silent 40 minutes, yet not told of.
	ask()
	run(t, "ip", "neigh", "change", nsDevAddr, "dev", host, "lladdr", nsDevMAC, "nud", "stale")
	if a := minutesThen(t, clk, got, 40); len(a) != 0 {
		t.Fatalf("told of a STALE device: %+v", a)
	}
	// Traffic to it (as a router forwards its browsing): the kernel probes,
	// the device answers ARP, the entry is REACHABLE or DELAY again.
	t.Logf("after traffic: %s", poke())
	a = minutesThen(t, clk, got, 1)
	if len(a) != 1 || a[0].Text != "alex-tablet is online but has not used Hearth for 41 minutes: its DNS may have been changed" {
		t.Fatalf("online again, still silent: %+v", a)
	}
}

// minutesThen ticks n minutes and returns the alerts that arrived.
func minutesThen(t *testing.T, clk *clocktest.Fake, got chan alerts.Alert, n int) []alerts.Alert {
	tick(t, clk, n)
	return drain(got)
}
