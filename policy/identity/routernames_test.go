package identity

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestRouterNamesCached(t *testing.T) {
	t.Parallel()
	a, b := netip.MustParseAddr("192.168.1.23"), netip.MustParseAddr("192.168.1.24")
	asked := map[netip.Addr]int{}
	fail := false
	lookup := func(_ context.Context, x netip.Addr) (string, error) {
		asked[x]++
		if fail {
			return "", errors.New("router timed out")
		}
		if x == a {
			return "nintendo-switch.lan", nil
		}
		return "", nil
	}
	var r RouterNames
	now := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	if err := r.Refresh(context.Background(), []netip.Addr{a, b}, now, lookup); err != nil {
		t.Fatal(err)
	}
	if r.Name(a) != "nintendo-switch.lan" || r.Name(b) != "" {
		t.Errorf("names: %q %q", r.Name(a), r.Name(b))
	}
	// Within the hour: not asked again.
	r.Refresh(context.Background(), []netip.Addr{a, b}, now.Add(30*time.Minute), lookup)
	if asked[a] != 1 || asked[b] != 1 {
		t.Errorf("asked again within the hour: %v", asked)
	}
	// After it, asked again; a failure keeps the name found before.
	fail = true
	if err := r.Refresh(context.Background(), []netip.Addr{a}, now.Add(61*time.Minute), lookup); err == nil {
		t.Error("a failed lookup was not reported")
	}
	if asked[a] != 2 || r.Name(a) != "nintendo-switch.lan" {
		t.Errorf("after a failure: asked %v, name %q", asked, r.Name(a))
	}
	if r.Name(b) != "" {
		t.Error("an address no longer seen is kept")
	}
}
