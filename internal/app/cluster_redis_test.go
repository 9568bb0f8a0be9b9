//go:build redis

package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
	"github.com/hearth-dns/hearth/policy/state"
)

// TestPauseOnABlocksOnB: two Hearths (one process, each with its own state
// directory and DNS port) share one Redis; a pause for everyone given on A
// blocks lookups answered by B within one second, and ending it on B opens
// A again.
func TestPauseOnABlocksOnB(t *testing.T) {
	srv := redistest.Start(t)
	up := upstreamAnswering(t, "192.0.2.1")
	start := func(node string) *Hearth {
		dir := filepath.Join(t.TempDir(), node)
		cfg := loadConfig(t, t.TempDir(), []string{"127.0.0.1:0"}, up.Addr, "blocked.example")
		cfg.StateDir = dir
		cfg.State.Redis, cfg.State.Node = srv.URL(0), node
		h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
		return h
	}
	a, b := start("pi-kitchen"), start("pi-attic")
	addrA, addrB := a.Addrs()[0].String(), b.Addrs()[0].String()
	if got := answer(t, addrB, "one.example"); got != "192.0.2.1" {
		t.Fatalf("B before the pause: %s", got)
	}
	waitConnected := func(h *Hearth) {
		deadline := time.Now().Add(5 * time.Second)
		for st, _ := h.ClusterStatus(); !st.Connected; st, _ = h.ClusterStatus() {
			if time.Now().After(deadline) {
				t.Fatalf("not connected: %+v", st)
			}
			time.Sleep(10 * time.Millisecond) // polling the node's goroutine
		}
	}
	waitConnected(a)
	waitConnected(b)

	p, err := a.engine.Overrides().Add(state.Override{Kind: state.OverridePause, All: true, Until: time.Now().Add(time.Hour), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	waitAnswer := func(addr, name, want string) time.Duration {
		t.Helper()
		begun := time.Now()
		for {
			got := answer(t, addr, name)
			if got == want {
				return time.Since(begun)
			}
			if time.Since(begun) > time.Second {
				t.Fatalf("%s on %s = %s after 1 s, want %s", name, addr, got, want)
			}
			time.Sleep(20 * time.Millisecond) // asking again: the change travels through Redis
		}
	}
	t.Logf("the pause blocked on B after %v", waitAnswer(addrB, "two.example", "NXDOMAIN"))
	if err := b.engine.Overrides().Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	t.Logf("ending it on B opened A after %v", waitAnswer(addrA, "three.example", "192.0.2.1"))
}
