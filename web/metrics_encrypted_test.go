package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/resolver"
)

// TestMetricsEncrypted: DoT's and DoH's connection figures and the
// certificate's end, as the resolver reports them.
func TestMetricsEncrypted(t *testing.T) {
	t.Parallel()
	end := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	m := NewMetrics(MetricsSources{Resolver: func() resolver.Stats {
		return resolver.Stats{CertNotAfter: end, Encrypted: []resolver.EncryptedStat{
			{Proto: resolver.ProtoDoT, Accepted: 12, Open: 3, HandshakeFailures: 2},
			{Proto: resolver.ProtoDoH, Accepted: 40, Open: 1},
		}}
	}})
	h := &metricsHarness{metrics: m, http: httptest.NewServer(m.Handler())}
	defer h.http.Close()
	s := h.scrape(t)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hearth_dns_connections_total", map[string]string{"protocol": "dot"}, 12},
		{"hearth_dns_connections_total", map[string]string{"protocol": "doh"}, 40},
		{"hearth_dns_connections_open", map[string]string{"protocol": "dot"}, 3},
		{"hearth_dns_tls_handshake_failures_total", map[string]string{"protocol": "dot"}, 2},
		{"hearth_dns_tls_handshake_failures_total", map[string]string{"protocol": "doh"}, 0},
		{"hearth_dns_tls_certificate_expiry_timestamp_seconds", nil, float64(end.Unix())},
		{"hearth_dns_queries_total", map[string]string{"protocol": "doh", "result": "allowed"}, 0},
	} {
		if got := s.value(t, c.name, c.labels); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
