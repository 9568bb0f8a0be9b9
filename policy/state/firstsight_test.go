package state

import (
	"net/netip"
	"testing"
	"time"
)

// TestFirstSight: told once per new device not configured; never of a
// configured one or a second sighting.
func TestFirstSight(t *testing.T) {
	r := NewRegistry("")
	var told []SeenDevice
	r.OnFirstSight(func(d SeenDevice) { told = append(told, d) })
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	r.Observe("kid-laptop", nil, netip.MustParseAddr("192.168.1.5"), "", now)
	r.Observe("", nil, netip.MustParseAddr("192.168.1.9"), "Galaxy-A14", now)
	r.Observe("", nil, netip.MustParseAddr("192.168.1.9"), "Galaxy-A14", now.Add(time.Minute))
	if len(told) != 1 || told[0].Key != "ip:192.168.1.9" || told[0].Lease != "Galaxy-A14" || !told[0].FirstSeen.Equal(now) {
		t.Errorf("told %+v", told)
	}
}
