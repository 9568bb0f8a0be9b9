package identity

import (
	"strings"
	"testing"
)

// TestParseIPNeighReachable keeps only the neighbours heard from lately.
func TestParseIPNeighReachable(t *testing.T) {
	t.Parallel()
	got, err := ParseIPNeighReachable(openIdentifyFixture(t, "ip6neigh.txt"))
	checkSkippedLines(t, err, 3)
	checkNeighTable(t, got, map[string]string{
		"fe80::1":                         "00:11:22:33:44:55",
		"2001:db8:1::1c2d:3e4f:5a6b:7c8d": "aa:bb:cc:dd:ee:01",
		"2001:db8:1::9a8b:7c6d:5e4f:3a2b": "aa:bb:cc:dd:ee:01",
	})
	v4, err := ParseIPNeighReachable(strings.NewReader("192.168.1.20 dev br-lan lladdr aa:bb:cc:dd:ee:20 PROBE\n" +
		"192.168.1.21 dev br-lan lladdr aa:bb:cc:dd:ee:21 STALE\n192.168.1.22 dev br-lan FAILED\n"))
	if err != nil {
		t.Fatal(err)
	}
	checkNeighTable(t, v4, map[string]string{"192.168.1.20": "aa:bb:cc:dd:ee:20"})
}
