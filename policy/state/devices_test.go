package state

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRegistryPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "devices.json")
	r := NewRegistry(path)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r.Observe("", nil, netip.MustParseAddr("192.168.1.7"), "kids-phone", now)
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	r2, err := OpenRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	got := r2.List()
	if len(got) != 1 || got[0].Key != "ip:192.168.1.7" || got[0].Lease != "kids-phone" || !got[0].FirstSeen.Equal(now) {
		t.Errorf("after reload: %+v", got)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r3, err := OpenRegistry(path)
	if err == nil || r3 == nil || len(r3.List()) != 0 || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged registry: %v", err)
	}
}
