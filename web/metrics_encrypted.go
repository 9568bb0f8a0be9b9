package web

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The encrypted listeners' figures (DNS-over-TLS, DNS-over-HTTPS), read at
// scrape time from resolver.Stats. Their queries are in
// hearth_dns_queries_total under protocol "dot" and "doh".
var (
	descEncConnections = prometheus.NewDesc("hearth_dns_connections_total",
		"Encrypted DNS connections whose TLS handshake succeeded, by protocol (dot, doh).", []string{"protocol"}, nil)
	descEncOpen = prometheus.NewDesc("hearth_dns_connections_open",
		"Encrypted DNS connections open now (handshaking included), by protocol.", []string{"protocol"}, nil)
	descEncHandshakeFailures = prometheus.NewDesc("hearth_dns_tls_handshake_failures_total",
		"TLS handshakes that failed or timed out (a client that does not trust the certificate, a scanner), by protocol.", []string{"protocol"}, nil)
	descCertExpiry = prometheus.NewDesc("hearth_dns_tls_certificate_expiry_timestamp_seconds",
		"When the encrypted listeners' certificate ends (Unix seconds); absent without listen_tls or listen_https.", nil, nil)
)

type encryptedCollector struct{ src MetricsSources }

func (c encryptedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEncConnections, descEncOpen, descEncHandshakeFailures, descCertExpiry} {
		ch <- d
	}
}

func (c encryptedCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Resolver == nil {
		return
	}
	st := c.src.Resolver()
	for _, e := range st.Encrypted {
		p := e.Proto.String()
		ch <- prometheus.MustNewConstMetric(descEncConnections, prometheus.CounterValue, float64(e.Accepted), p)
		ch <- prometheus.MustNewConstMetric(descEncOpen, prometheus.GaugeValue, float64(e.Open), p)
		ch <- prometheus.MustNewConstMetric(descEncHandshakeFailures, prometheus.CounterValue, float64(e.HandshakeFailures), p)
	}
	if !st.CertNotAfter.IsZero() {
		ch <- prometheus.MustNewConstMetric(descCertExpiry, prometheus.GaugeValue, unixSeconds(st.CertNotAfter))
	}
}
