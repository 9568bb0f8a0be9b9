package identity

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func mustHWAddr(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openIdentifyFixture(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "identify", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// checkNeighTable compares a parsed table with want (address -> MAC text).
func checkNeighTable(t *testing.T, got map[netip.Addr]net.HardwareAddr, want map[string]string) {
	t.Helper()
	for a, m := range want {
		g, ok := got[netip.MustParseAddr(a)]
		if !ok {
			t.Errorf("%s missing", a)
			continue
		}
		if g.String() != m {
			t.Errorf("%s: MAC %s, want %s", a, g, m)
		}
	}
	wantAddrs := make(map[netip.Addr]bool, len(want))
	for a := range want {
		wantAddrs[netip.MustParseAddr(a)] = true
	}
	for a, m := range got {
		if !wantAddrs[a] {
			t.Errorf("unexpected %s -> %s", a, m)
		}
	}
}

func TestParseProcARPFixture(t *testing.T) {
	t.Parallel()
	got, err := ParseProcARP(openIdentifyFixture(t, "arp.txt"))
	var mal *MalformedLinesError
	if !errors.As(err, &mal) {
		t.Fatalf("err = %v, want *MalformedLinesError", err)
	}
	// 192.168.1.300, short MAC, flags "zz", IPv6 address, the 1-field line.
	if mal.Count != 5 || mal.FirstLine != 8 {
		t.Errorf("skipped %d from line %d, want 5 from line 8 (%v)", mal.Count, mal.FirstLine, mal)
	}
	checkNeighTable(t, got, map[string]string{
		"192.168.1.1":  "00:11:22:33:44:55",
		"192.168.1.20": "aa:bb:cc:dd:ee:01",
		"192.168.1.21": "aa:bb:cc:dd:ee:02", // PERM|COM, upper case
		"10.0.0.7":     "aa:bb:cc:dd:ee:03", // second interface
		"192.168.1.25": "aa:bb:cc:dd:ee:07",
	})
}

func TestParseProcARP(t *testing.T) {
	t.Parallel()
	const header = "IP address       HW type     Flags       HW address            Mask     Device\n"
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		skipped int
	}{
		{"empty", "", map[string]string{}, 0},
		{"header only", header, map[string]string{}, 0},
		{"no header", "192.168.1.5 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n", map[string]string{"192.168.1.5": "aa:bb:cc:dd:ee:ff"}, 0},
		{"no trailing newline", header + "192.168.1.5 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0", map[string]string{"192.168.1.5": "aa:bb:cc:dd:ee:ff"}, 0},
		{"crlf", header + "192.168.1.5 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\r\n", map[string]string{"192.168.1.5": "aa:bb:cc:dd:ee:ff"}, 0},
		{"incomplete", header + "192.168.1.5 0x1 0x0 aa:bb:cc:dd:ee:ff * eth0\n", map[string]string{}, 0},
		{"garbage", header + "\x00\xff\xfe\n", map[string]string{}, 1},
		{"too long", header + strings.Repeat("x", 3*maxLineLen) + "\n192.168.1.5 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n",
			map[string]string{"192.168.1.5": "aa:bb:cc:dd:ee:ff"}, 1},
		{"too long at end", header + strings.Repeat("x", 3*maxLineLen), map[string]string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProcARP(strings.NewReader(tt.in))
			checkSkippedLines(t, err, tt.skipped)
			checkNeighTable(t, got, tt.want)
		})
	}
}

func checkSkippedLines(t *testing.T, err error, want int) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	var mal *MalformedLinesError
	if !errors.As(err, &mal) {
		t.Fatalf("err = %v, want *MalformedLinesError", err)
	}
	if mal.Count != want {
		t.Errorf("skipped %d, want %d (%v)", mal.Count, want, mal)
	}
}

func TestParseIPNeighFixture(t *testing.T) {
	t.Parallel()
	got, err := ParseIPNeigh(openIdentifyFixture(t, "ip6neigh.txt"))
	// "lladdr" with no address, bad lladdr, bad address.
	checkSkippedLines(t, err, 3)
	checkNeighTable(t, got, map[string]string{
		"fe80::1":                         "00:11:22:33:44:55",
		"fe80::a8bb:ccff:fedd:ee01":       "aa:bb:cc:dd:ee:01",
		"2001:db8:1::1c2d:3e4f:5a6b:7c8d": "aa:bb:cc:dd:ee:01",
		"2001:db8:1::9a8b:7c6d:5e4f:3a2b": "aa:bb:cc:dd:ee:01",
		"2001:db8:1::20":                  "aa:bb:cc:dd:ee:02",
		"2001:db8:1::30":                  "aa:bb:cc:dd:ee:03",
		"2001:db8:1::50":                  "aa:bb:cc:dd:ee:05",
	})
}

func TestParseIPNeigh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		skipped int
	}{
		{"empty", "", map[string]string{}, 0},
		{"reachable", "fe80::1 dev eth0 lladdr aa:bb:cc:dd:ee:ff router REACHABLE\n", map[string]string{"fe80::1": "aa:bb:cc:dd:ee:ff"}, 0},
		{"zone dropped", "fe80::1%eth0 dev eth0 lladdr aa:bb:cc:dd:ee:ff STALE\n", map[string]string{"fe80::1": "aa:bb:cc:dd:ee:ff"}, 0},
		{"failed", "2001:db8::1 dev eth0  FAILED\n", map[string]string{}, 0},
		{"incomplete", "2001:db8::1 dev eth0  INCOMPLETE\n", map[string]string{}, 0},
		{"failed with lladdr", "2001:db8::1 dev eth0 lladdr aa:bb:cc:dd:ee:ff FAILED\n", map[string]string{}, 0},
		{"no state", "2001:db8::1 dev eth0 lladdr aa:bb:cc:dd:ee:ff\n", map[string]string{"2001:db8::1": "aa:bb:cc:dd:ee:ff"}, 0},
		{"ipv4 line", "192.168.1.5 dev eth0 lladdr aa:bb:cc:dd:ee:ff STALE\n", map[string]string{"192.168.1.5": "aa:bb:cc:dd:ee:ff"}, 0},
		{"dangling lladdr", "2001:db8::1 dev eth0 lladdr\n", map[string]string{}, 1},
		{"bad address", "2001:db8:::1 dev eth0 lladdr aa:bb:cc:dd:ee:ff STALE\n", map[string]string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIPNeigh(strings.NewReader(tt.in))
			checkSkippedLines(t, err, tt.skipped)
			checkNeighTable(t, got, tt.want)
		})
	}
}

// catFixtureCommand returns argv printing a fixture, skipping the test without cat.
func catFixtureCommand(t *testing.T, fixture string) []string {
	t.Helper()
	if _, err := exec.LookPath("cat"); err != nil {
		t.Skip("no cat command")
	}
	return []string{"cat", filepath.Join("testdata", "identify", fixture)}
}

func TestNeighboursRefresh(t *testing.T) {
	t.Parallel()
	n := NewNeighbours(NeighbourSources{
		ProcARP: filepath.Join("testdata", "identify", "arp.txt"),
		IPNeigh: catFixtureCommand(t, "ip6neigh.txt"),
	})
	if _, ok := n.MAC(netip.MustParseAddr("192.168.1.20")); ok {
		t.Fatal("MAC known before Refresh")
	}
	err := n.Refresh(context.Background())
	var mal *MalformedLinesError
	if !errors.As(err, &mal) {
		t.Fatalf("Refresh: %v, want the fixtures' malformed lines reported", err)
	}
	if errors.Is(err, ErrNoIPCommand) {
		t.Fatalf("Refresh: %v", err)
	}
	tablet := mustHWAddr(t, "aa:bb:cc:dd:ee:01")
	for _, a := range []string{
		"192.168.1.20",
		"::ffff:192.168.1.20",              // from a dual-stack socket
		"fe80::a8bb:ccff:fedd:ee01%br-lan", // link-local with zone
		"2001:db8:1::1c2d:3e4f:5a6b:7c8d",  // privacy addresses
		"2001:db8:1::9a8b:7c6d:5e4f:3a2b",
	} {
		m, ok := n.MAC(netip.MustParseAddr(a))
		if !ok || !bytes.Equal(m, tablet) {
			t.Errorf("MAC(%s) = %v, %v; want %v", a, m, ok, tablet)
		}
	}
	if _, ok := n.MAC(netip.MustParseAddr("2001:db8:1::dead")); ok {
		t.Error("FAILED entry known")
	}
	if n.Len() != 12 || n.Updated().IsZero() {
		t.Errorf("Len = %d, Updated = %v", n.Len(), n.Updated())
	}
}

func TestNeighboursNoIPCommand(t *testing.T) {
	t.Parallel()
	n := NewNeighbours(NeighbourSources{
		ProcARP: filepath.Join("testdata", "identify", "arp.txt"),
		IPNeigh: []string{"hearth-test-no-such-ip-command", "-6", "neigh", "show"},
	})
	err := n.Refresh(context.Background())
	if !errors.Is(err, ErrNoIPCommand) {
		t.Fatalf("Refresh: %v, want ErrNoIPCommand", err)
	}
	if _, ok := n.MAC(netip.MustParseAddr("192.168.1.20")); !ok {
		t.Error("IPv4 neighbours not loaded without ip")
	}
}

func TestNeighboursKeepsFamilyOnFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	arp := filepath.Join(dir, "arp")
	if err := os.WriteFile(arp, []byte("192.168.1.5 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := NewNeighbours(NeighbourSources{ProcARP: arp, IPNeigh: catFixtureCommand(t, "ip6neigh.txt")})
	if err := n.Refresh(context.Background()); err == nil {
		t.Fatal("want the ip fixture's malformed lines reported")
	}
	// ARP file gone: IPv4 entries carried over, IPv6 refreshed.
	if err := os.Remove(arp); err != nil {
		t.Fatal(err)
	}
	err := n.Refresh(context.Background())
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Refresh: %v, want not-exist", err)
	}
	for _, a := range []string{"192.168.1.5", "2001:db8:1::20"} {
		if _, ok := n.MAC(netip.MustParseAddr(a)); !ok {
			t.Errorf("%s lost", a)
		}
	}
	// ip failing (non-zero exit): IPv6 entries carried over.
	if _, err := exec.LookPath("false"); err == nil {
		n.ipNeigh = []string{"false"}
		if err := n.Refresh(context.Background()); err == nil {
			t.Fatal("want an error")
		}
		if _, ok := n.MAC(netip.MustParseAddr("2001:db8:1::20")); !ok {
			t.Error("IPv6 entry lost")
		}
	}
}

func BenchmarkNeighboursMAC(b *testing.B) {
	n := NewNeighbours(NeighbourSources{})
	m, _ := ParseIPNeigh(strings.NewReader("2001:db8:1::20 dev br-lan lladdr aa:bb:cc:dd:ee:02 STALE\n"))
	n.table.Store(&neighTable{m: m})
	a := netip.MustParseAddr("2001:db8:1::20")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := n.MAC(a); !ok {
			b.Fatal("missing")
		}
	}
}

func TestNeighboursMACAllocs(t *testing.T) {
	n := NewNeighbours(NeighbourSources{})
	m, _ := ParseIPNeigh(strings.NewReader("fe80::1 dev br-lan lladdr aa:bb:cc:dd:ee:02 STALE\n"))
	n.table.Store(&neighTable{m: m})
	a := netip.MustParseAddr("fe80::1%br-lan")
	if allocs := testing.AllocsPerRun(100, func() { n.MAC(a) }); allocs != 0 {
		t.Errorf("MAC allocates %v times", allocs)
	}
}

func FuzzParseProcARP(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "identify", "arp.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("IP address HW type\n1.2.3.4 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ParseProcARP(bytes.NewReader(in))
		var mal *MalformedLinesError
		if err != nil && !errors.As(err, &mal) {
			t.Fatalf("non-malformed error from memory: %v", err)
		}
		for a, m := range got {
			if !a.Is4() || len(m) == 0 {
				t.Fatalf("bad entry %v -> %v", a, m)
			}
		}
	})
}

func FuzzParseIPNeigh(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "identify", "ip6neigh.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("fe80::1 dev eth0 lladdr aa:bb:cc:dd:ee:ff router REACHABLE"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ParseIPNeigh(bytes.NewReader(in))
		var mal *MalformedLinesError
		if err != nil && !errors.As(err, &mal) {
			t.Fatalf("non-malformed error from memory: %v", err)
		}
		for a, m := range got {
			if !a.IsValid() || a.Zone() != "" || len(m) == 0 {
				t.Fatalf("bad entry %v -> %v", a, m)
			}
		}
	})
}
