package upstream

import "time"

// Config is the `upstreams:` section of hearth.yaml.
type Config struct {
	// Servers are upstream addresses: "9.9.9.9" or "udp://9.9.9.9:53" (plain
	// DNS over UDP, retried over TCP when truncated), "tcp://9.9.9.9:53",
	// "tls://dns.quad9.net" (DNS-over-TLS, port 853 by default) and
	// "https://dns.quad9.net/dns-query" (DNS-over-HTTPS, RFC 8484).
	Servers []string `mapstructure:"servers"`
	// Strategy chooses among several servers: "fastest" (default) races the
	// two with the best recent latency and fails over to the others;
	// "ordered" tries them one at a time in the order written.
	Strategy string `mapstructure:"strategy"`
	// Timeout bounds one exchange with one upstream.
	Timeout time.Duration `mapstructure:"timeout"`
	// Bootstrap are plain-IP DNS servers used only to resolve the host names
	// of DoT and DoH upstreams.
	Bootstrap []string `mapstructure:"bootstrap"`
}
