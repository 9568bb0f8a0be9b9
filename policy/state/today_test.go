package state

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServicesToday(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.json")
	r := NewRegistry(path)
	loc := time.FixedZone("home", 3600)
	now := time.Date(2026, 11, 26, 17, 0, 0, 0, loc)
	s := r.Observe("", nil, netip.MustParseAddr("192.168.1.9"), "", now)
	names := []string{"nintendo", "", "fortnite"}
	today := Day(now)
	s.LookedUp(today, 1, [2]uint64{1 << 0}, names)
	s.LookedUp(today, 1, [2]uint64{1<<0 | 1<<1 | 1<<2}, names) // 1 is a list, not a service
	s.LookedUp(today, 1, [2]uint64{1 << 2}, names)
	if got := r.ServicesToday(today)["ip:192.168.1.9"]; strings.Join(got, ",") != "nintendo,fortnite" {
		t.Errorf("today: %q", got)
	}
	// The lists compiled again with other numbers: still recorded once.
	s.LookedUp(today, 2, [2]uint64{1 << 1}, []string{"", "nintendo"})
	if got := r.ServicesToday(today)["ip:192.168.1.9"]; len(got) != 2 {
		t.Errorf("after a recompile: %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { s.LookedUp(today, 2, [2]uint64{1 << 1}, names) }); n != 0 {
		t.Errorf("a repeated service allocates %v times", n)
	}
	// Not written to the file.
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "nintendo") {
		t.Errorf("services looked up were saved:\n%s", data)
	}
	// Local midnight: a new day starts empty.
	tomorrow := Day(time.Date(2026, 11, 27, 0, 0, 1, 0, loc))
	if got := r.ServicesToday(tomorrow); len(got) != 0 {
		t.Errorf("after midnight: %v", got)
	}
	s.LookedUp(tomorrow, 2, [2]uint64{1 << 1}, []string{"", "roblox"})
	if got := r.ServicesToday(tomorrow)["ip:192.168.1.9"]; strings.Join(got, ",") != "roblox" {
		t.Errorf("the next day: %q", got)
	}
	// Bounded.
	var many []string
	for i := range 64 {
		many = append(many, "svc"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	s.LookedUp(tomorrow, 3, [2]uint64{^uint64(0), 0}, many)
	if got := r.ServicesToday(tomorrow)["ip:192.168.1.9"]; len(got) != MaxServicesToday {
		t.Errorf("bounded: %d services", len(got))
	}
}

func TestRouterNamesPersist(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "devices.json")
	r := NewRegistry(path)
	a := netip.MustParseAddr("192.168.1.7")
	r.Observe("", nil, a, "", time.Now())
	r.RelabelRouter(func(b netip.Addr) string {
		if b == a {
			return "switch.lan"
		}
		return ""
	})
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	r2, err := OpenRegistry(path)
	if err != nil || len(r2.List()) != 1 || r2.List()[0].Router != "switch.lan" {
		t.Errorf("router name after reload: %+v %v", r2.List(), err)
	}
}
