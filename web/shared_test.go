package web

import (
	"testing"
	"time"
)

// TestSharedStateLine: the Now page's line says the node, its peers, and
// when it is on its own.
func TestSharedStateLine(t *testing.T) {
	t.Parallel()
	s := SharedState{Node: "pi-kitchen", Connected: true, Peers: []string{"pi-attic", "pi-garage"}}
	if got, want := s.Line(), "Shared state: node pi-kitchen, with pi-attic and pi-garage."; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	s = SharedState{Node: "pi-kitchen", DegradedSince: time.Date(2026, 12, 4, 19, 5, 0, 0, time.UTC)}
	if got, want := s.Line(), "Shared state: node pi-kitchen is on its own since 19:05:00 (Redis does not answer); its changes are kept and sent when Redis is back."; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}
