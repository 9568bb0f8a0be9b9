package upstream

import (
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Strategies of a Group.
const (
	StrategyFastest = "fastest" // race the two best by recent latency
	StrategyOrdered = "ordered" // one at a time, in the order written
)

// Defaults used when a Config leaves a field empty.
const (
	DefaultStrategy = StrategyFastest
	DefaultTimeout  = 2 * time.Second
	MaxTimeout      = 30 * time.Second
)

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
	// MaxInFlight bounds the queries waiting on these upstreams at once;
	// beyond it Exchange fails at once with ErrBusy. 0: no bound.
	MaxInFlight int `mapstructure:"max_in_flight"`
}

// Validate returns every problem in the section; prefix is its key path.
// An empty strategy means "fastest".
func (c Config) Validate(prefix string) []error {
	var errs []error
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	if len(c.Servers) == 0 {
		errs = append(errs, fielderr.New(key("servers"), "at least one server is required"))
	}
	var needBootstrap []string
	for i, s := range c.Servers {
		a, err := parseAddress(s)
		if err != nil {
			errs = append(errs, fielderr.New(key("servers"), "entry %d: %v", i, err))
			continue
		}
		if !a.ip {
			needBootstrap = append(needBootstrap, s)
		}
	}
	switch c.Strategy {
	case "", StrategyFastest, StrategyOrdered:
	default:
		errs = append(errs, fielderr.New(key("strategy"), "%q: want %q or %q", c.Strategy, StrategyFastest, StrategyOrdered))
	}
	if c.Timeout <= 0 || c.Timeout > MaxTimeout {
		errs = append(errs, fielderr.New(key("timeout"), "%v: want more than 0 and at most %v", c.Timeout, MaxTimeout))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, fielderr.New(key("max_in_flight"), "%d is negative (0: no bound)", c.MaxInFlight))
	}
	for i, s := range c.Bootstrap {
		if _, err := parseIPPort(s, "53"); err != nil {
			errs = append(errs, fielderr.New(key("bootstrap"), "entry %d: %v", i, err))
		}
	}
	if len(needBootstrap) > 0 && len(c.Bootstrap) == 0 {
		errs = append(errs, fielderr.New(key("bootstrap"),
			"empty, but %q name a host that must be resolved first: add plain-IP DNS servers (e.g. 9.9.9.9) or use IP addresses",
			needBootstrap))
	}
	return errs
}
