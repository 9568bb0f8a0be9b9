package web

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSharedStateLine: the Now page's line says the node, its peers, and
// when it is on its own.
func TestSharedStateLine(t *testing.T) {
	t.Parallel()
	s := SharedState{Node: "pi-kitchen", Connected: true, Peers: []string{"pi-attic", "pi-garage"}}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Line(london), "Shared state: node pi-kitchen, with pi-attic and pi-garage."; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	// In the household's time: 19:05 UTC in July is 20:05 in London.
	s = SharedState{Node: "pi-kitchen", DegradedSince: time.Date(2026, 7, 4, 19, 5, 0, 0, time.UTC)}
	if got, want := s.Line(london), "Shared state: node pi-kitchen is on its own since 20:05:00 (Redis does not answer); its changes are kept and sent when Redis is back."; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

// TestSharedMetrics: the gauges are there with shared state, absent without.
func TestSharedMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	st, ok := SharedState{Node: "pi-kitchen", Queued: 2, Peers: []string{"pi-attic"}}, true
	reg.MustRegister(SharedCollector(func() (SharedState, bool) { return st, ok }))
	values := func() map[string]float64 {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				if l := m.GetLabel(); len(l) != 1 || l[0].GetValue() != "pi-kitchen" {
					t.Errorf("%s: labels %v", f.GetName(), l)
				}
				out[f.GetName()] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	got := values()
	if len(got) != 3 || got["hearth_shared_state_connected"] != 0 || got["hearth_shared_state_queued_changes"] != 2 || got["hearth_shared_state_peers"] != 1 {
		t.Errorf("with shared state: %v", got)
	}
	ok = false
	if got := values(); len(got) != 0 {
		t.Errorf("alone: %v, want none", got)
	}
}

// TestSharedConfigLine: a refused shared hearth.yaml says which, from whom
// and why; one in step says nothing.
func TestSharedConfigLine(t *testing.T) {
	s := SharedState{Node: "pi-attic", Connected: true, Config: &SharedConfig{Seq: 7, From: "pi-kitchen", State: "applied"}}
	if got := s.ConfigLine(); got != "" {
		t.Errorf("in step: %q", got)
	}
	s.Config = &SharedConfig{Seq: 8, From: "pi-kitchen", State: "refused", Refused: true, Problems: []string{"hearth.yaml:12: lists.files: /srv/a.txt: no such file"}}
	want := "hearth.yaml version 8 from pi-kitchen was refused here: this Hearth keeps its last good configuration. hearth.yaml:12: lists.files: /srv/a.txt: no such file"
	if got := s.ConfigLine(); got != want {
		t.Errorf("refused:\n got %q\nwant %q", got, want)
	}
}
