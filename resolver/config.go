package resolver

import (
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// Config is the resolver's part of hearth.yaml. Defaults live in the embedded
// default configuration (internal/config/default.yaml), not here.
type Config struct {
	// Listen addresses, host:port; each gets a UDP and a TCP listener.
	Listen []string `mapstructure:"listen"`
	// AllowClients are the networks (CIDRs) whose queries are answered;
	// everyone else gets REFUSED.
	AllowClients []string `mapstructure:"allow_clients"`
	// UDPSize is the largest UDP answer Hearth sends to an EDNS client
	// (the client's own advertised size may be smaller).
	UDPSize   int             `mapstructure:"udp_size"`
	Upstreams upstream.Config `mapstructure:"upstreams"`
	Cache     CacheConfig     `mapstructure:"cache"`
	Local     LocalConfig     `mapstructure:"local"`
	RateLimit RateLimitConfig `mapstructure:"rate_limit"`
	Rebinding RebindingConfig `mapstructure:"rebinding"`
	// ListenTLS are DNS-over-TLS addresses (RFC 7858, port 853);
	// ListenHTTPS DNS-over-HTTPS ones (RFC 8484, /dns-query). Both need tls.
	ListenTLS   []string  `mapstructure:"listen_tls"`
	ListenHTTPS []string  `mapstructure:"listen_https"`
	TLS         TLSConfig `mapstructure:"tls"`
}

// RateLimitConfig is the `rate_limit:` section: a token bucket per client
// address (IPv6: per /64).
type RateLimitConfig struct {
	// QPS is the queries per second one client may ask, sustained; 0
	// turns the limit off.
	QPS int `mapstructure:"qps"`
	// Burst is how many queries a client may ask at once above QPS.
	Burst int `mapstructure:"burst"`
}

// RebindingConfig is the `rebinding:` section: DNS rebinding protection.
type RebindingConfig struct {
	// Protect drops upstream answers that give a public name an address in
	// a private, loopback or link-local range.
	Protect bool `mapstructure:"protect"`
	// Allow are names (with their subdomains) whose answers may point
	// into the home network, e.g. a router's public name.
	Allow []string `mapstructure:"allow"`
}

// CacheConfig is the `cache:` section.
type CacheConfig struct {
	// Size is the number of answers kept; 0 turns the cache off.
	Size int `mapstructure:"size"`
	// MaxMB bounds the memory the cached answers take, in MiB (their
	// bytes plus a fixed overhead each); 0 bounds them by Size only.
	MaxMB int `mapstructure:"max_mb"`
	// MaxAnswerBytes: answers larger than this (packed) are passed on but
	// not cached; 0 caches any size.
	MaxAnswerBytes int `mapstructure:"max_answer_bytes"`
	// MinTTL and MaxTTL clamp the TTLs of cached answers.
	MinTTL time.Duration `mapstructure:"min_ttl"`
	MaxTTL time.Duration `mapstructure:"max_ttl"`
	// NegativeTTL caps how long NXDOMAIN/NODATA answers are kept (RFC 2308).
	NegativeTTL time.Duration `mapstructure:"negative_ttl"`
	// Prefetch refreshes popular entries shortly before they expire.
	Prefetch bool `mapstructure:"prefetch"`
	// ServeStale answers from expired entries, for up to StaleMaxAge past
	// expiry, when every upstream fails (RFC 8767).
	ServeStale  bool          `mapstructure:"serve_stale"`
	StaleMaxAge time.Duration `mapstructure:"stale_max_age"`
}

// LocalConfig is the `local:` section: names that belong to the home network
// and never leave it.
type LocalConfig struct {
	// Router, if set (host or host:port), receives queries for local names
	// (e.g. the router's own DHCP names under "lan"); otherwise they are
	// answered NXDOMAIN.
	Router string `mapstructure:"router"`
	// Domains are extra local suffixes besides the built-in ones (home.arpa,
	// local, and the reverse zones of private address ranges).
	Domains []string `mapstructure:"domains"`
}

// Validate returns every problem in the resolver's configuration, each naming
// its key.
func (c Config) Validate() []error {
	var errs []error
	if len(c.Listen) == 0 {
		errs = append(errs, fielderr.New("listen", "at least one address is needed"))
	}
	for _, l := range c.Listen {
		if _, err := parseListen(l); err != nil {
			errs = append(errs, fielderr.New("listen", "%q: %v", l, err))
		}
	}
	if len(c.AllowClients) == 0 {
		errs = append(errs, fielderr.New("allow_clients", "empty: no client could ask; list the networks to serve (e.g. 192.168.0.0/16)"))
	}
	for _, p := range c.AllowClients {
		if _, err := parseClientPrefix(p); err != nil {
			errs = append(errs, fielderr.New("allow_clients", "%q is not a CIDR or address: %v", p, err))
		}
	}
	if c.UDPSize < 512 || c.UDPSize > dns.MaxMsgSize {
		errs = append(errs, fielderr.New("udp_size", "%d is outside 512..65535 (1232 avoids fragmentation)", c.UDPSize))
	}
	errs = append(errs, c.Upstreams.Validate("upstreams")...)
	errs = append(errs, c.Cache.validate()...)
	errs = append(errs, c.Local.validate()...)
	if c.RateLimit.QPS < 0 {
		errs = append(errs, fielderr.New("rate_limit.qps", "%d is negative (0 turns the limit off)", c.RateLimit.QPS))
	}
	if c.RateLimit.Burst < 0 {
		errs = append(errs, fielderr.New("rate_limit.burst", "%d is negative", c.RateLimit.Burst))
	} else if c.RateLimit.QPS > 0 && c.RateLimit.Burst == 0 {
		errs = append(errs, fielderr.New("rate_limit.burst", "0 while rate_limit.qps is %d: no query could pass; set it to at least qps (e.g. %d)", c.RateLimit.QPS, 2*c.RateLimit.QPS))
	}
	errs = append(errs, c.validateEncrypted()...)
	for _, d := range c.Rebinding.Allow {
		if _, ok := dns.IsDomainName(d); !ok || strings.Trim(strings.TrimSpace(d), ".") == "" {
			errs = append(errs, fielderr.New("rebinding.allow", "%q is not a domain name", d))
		}
	}
	return errs
}

func (c CacheConfig) validate() []error {
	var errs []error
	if c.Size < 0 {
		errs = append(errs, fielderr.New("cache.size", "%d is negative (0 turns the cache off)", c.Size))
	}
	if c.MaxMB < 0 || c.MaxMB > 1<<20 {
		errs = append(errs, fielderr.New("cache.max_mb", "%d is outside 0..1048576 (0: bounded by cache.size only; 32 suits a Raspberry Pi)", c.MaxMB))
	}
	if c.MaxAnswerBytes < 0 || c.MaxAnswerBytes > dns.MaxMsgSize {
		errs = append(errs, fielderr.New("cache.max_answer_bytes", "%d is outside 0..65535 (0: any size)", c.MaxAnswerBytes))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"cache.min_ttl", c.MinTTL}, {"cache.max_ttl", c.MaxTTL}, {"cache.negative_ttl", c.NegativeTTL}, {"cache.stale_max_age", c.StaleMaxAge}} {
		if d.v < 0 {
			errs = append(errs, fielderr.New(d.key, "%s is negative", d.v))
		}
	}
	if c.MaxTTL > 0 && c.MinTTL > c.MaxTTL {
		errs = append(errs, fielderr.New("cache.min_ttl", "%s is larger than cache.max_ttl (%s)", c.MinTTL, c.MaxTTL))
	}
	if c.MaxTTL == 0 {
		errs = append(errs, fielderr.New("cache.max_ttl", "must be positive (e.g. 24h)"))
	}
	return errs
}

func (c LocalConfig) validate() []error {
	var errs []error
	if c.Router != "" {
		if _, err := hostPort(c.Router, "53"); err != nil {
			errs = append(errs, fielderr.New("local.router", "%q: %v", c.Router, err))
		}
	}
	for _, d := range c.Domains {
		if _, ok := dns.IsDomainName(d); !ok || strings.TrimSpace(d) == "" || strings.Trim(d, ".") == "" {
			errs = append(errs, fielderr.New("local.domains", "%q is not a domain name", d))
		}
	}
	return errs
}

// parseClientPrefix accepts a CIDR or a single address.
func parseClientPrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// privateNets are the networks a home resolver may serve without becoming an
// open resolver: loopback, RFC 1918, CGNAT (RFC 6598), link-local and ULA.
var privateNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
		"169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// isPrivatePrefix reports whether every address of p is in a private network.
func isPrivatePrefix(p netip.Prefix) bool {
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-(p.Addr().BitLen()-p.Addr().Unmap().BitLen()))
	for _, n := range privateNets {
		if p.Bits() >= n.Bits() && n.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// Equal reports whether c and o describe the same cache: a reload keeps the
// cached answers only then. Every field matters.
func (c CacheConfig) Equal(o CacheConfig) bool {
	return c.Size == o.Size && c.MaxMB == o.MaxMB && c.MaxAnswerBytes == o.MaxAnswerBytes && c.MinTTL == o.MinTTL && c.MaxTTL == o.MaxTTL && c.NegativeTTL == o.NegativeTTL &&
		c.Prefetch == o.Prefetch && c.ServeStale == o.ServeStale && c.StaleMaxAge == o.StaleMaxAge
}
