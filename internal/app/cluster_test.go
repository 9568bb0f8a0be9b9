package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/cluster"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy/state"
)

// TestNoStateSectionNoCluster: without state.redis nothing of the shared
// state runs: no node, no queue file, overrides stay local.
func TestNoStateSectionNoCluster(t *testing.T) {
	dir := t.TempDir()
	up := upstreamAnswering(t, "192.0.2.1")
	cfg := loadConfig(t, dir, []string{"127.0.0.1:0"}, up.Addr, "blocked.example")
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	if _, ok := h.ClusterStatus(); ok || h.cluster != nil {
		t.Fatal("a cluster node runs without state.redis")
	}
	if _, ok := h.sharedState(); ok {
		t.Error("the dashboard is told of shared state without state.redis")
	}
	if _, err := h.engine.Overrides().Add(state.Override{Kind: state.OverridePause, All: true, Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDirectory(), cluster.QueueFile)); !os.IsNotExist(err) {
		t.Errorf("a queue file without state.redis: %v", err)
	}
}

// TestRedisDownDNSAnswers: with state.redis naming a Redis that does not
// answer, Hearth starts at once, answers DNS, and says it is degraded.
func TestRedisDownDNSAnswers(t *testing.T) {
	dir := t.TempDir()
	up := upstreamAnswering(t, "192.0.2.1")
	cfg := loadConfig(t, dir, []string{"127.0.0.1:0"}, up.Addr, "blocked.example")
	cfg.State.Redis = "redis://:pw-not-shown@" + dnstest.FreeAddrOn(t, "127.0.0.1") + "/0"
	cfg.State.Node = "pi-kitchen"
	begun := time.Now()
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	if got := answer(t, h.Addrs()[0].String(), "one.example"); got != "192.0.2.1" {
		t.Errorf("one.example = %s, want 192.0.2.1", got)
	}
	if took := time.Since(begun); took > 5*time.Second {
		t.Errorf("start and first answer took %v with Redis down", took)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, ok := h.ClusterStatus()
		if !ok {
			t.Fatal("no cluster node with state.redis set")
		}
		if !st.DegradedSince.IsZero() {
			if st.Connected || st.Node != "pi-kitchen" || st.LastError == "" || strings.Contains(st.Redis+st.LastError, "pw-not-shown") {
				t.Errorf("status = %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not degraded after 5 s: %+v", st)
		}
		time.Sleep(10 * time.Millisecond) // polling the node's goroutine
	}
}
