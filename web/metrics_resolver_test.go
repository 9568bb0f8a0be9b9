package web

import (
	"testing"

	"github.com/hearth-dns/hearth/resolver"
)

// TestMetricsResolverStats: the cache's size and the queries the resolver
// turned away are read from resolver.Server.Stats at scrape time.
func TestMetricsResolverStats(t *testing.T) {
	t.Parallel()
	m := NewMetrics(MetricsSources{Resolver: func() resolver.Stats {
		return resolver.Stats{Cache: resolver.CacheStats{Entries: 12, Bytes: 3456, MaxBytes: 32 << 20},
			UpstreamBusy: 7, Rebinding: 2, LogSuppressed: 99}
	}})
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			switch {
			case mt.GetGauge() != nil:
				got[f.GetName()] = mt.GetGauge().GetValue()
			case mt.GetCounter() != nil:
				got[f.GetName()] = mt.GetCounter().GetValue()
			}
		}
	}
	for name, want := range map[string]float64{
		"hearth_cache_entries": 12, "hearth_cache_bytes": 3456, "hearth_cache_max_bytes": 32 << 20,
		"hearth_upstream_busy_total": 7, "hearth_rebinding_blocked_total": 2, "hearth_log_suppressed_total": 99,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}
