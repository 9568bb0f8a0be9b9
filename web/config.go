package web

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Config is the `web:` section: the dashboard, the API and /metrics.
type Config struct {
	// Enabled: false serves no dashboard, API or metrics.
	Enabled bool `mapstructure:"enabled"`
	// Listen is host:port; an empty host is every address.
	Listen string `mapstructure:"listen"`
	// AllowClients are the networks that may reach the dashboard; empty:
	// the same networks as DNS (allow_clients).
	AllowClients []string `mapstructure:"allow_clients"`
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// EditConfig: the dashboard and the API may change hearth.yaml (groups,
	// devices, household settings); false shows the YAML to paste instead.
	EditConfig bool `mapstructure:"edit_config"`
}

// Validate returns every problem, keyed under prefix ("web").
func (c Config) Validate(prefix string) []error {
	var errs []error
	if !c.Enabled {
		return nil
	}
	if _, err := ParseListen(c.Listen); err != nil {
		errs = append(errs, fielderr.New(prefix+".listen", "%q: %v", c.Listen, err))
	}
	for i, s := range c.AllowClients {
		if _, err := parsePrefix(s); err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("%s.allow_clients[%d]", prefix, i), "%q is not a CIDR or address: %v", s, err))
		}
	}
	if c.SessionTTL < time.Minute || c.SessionTTL > 30*24*time.Hour {
		errs = append(errs, fielderr.New(prefix+".session_ttl", "%s is outside 1m..720h", c.SessionTTL))
	}
	return errs
}

// ParseListen checks a host:port and returns it; the port must be a number.
func ParseListen(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("want host:port, like :8080 or 192.168.1.2:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("port %q is not 1..65535 (or 0: any free port)", port)
	}
	if host != "" {
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
			return "", fmt.Errorf("host %q is not an IP address (leave it empty for every address)", host)
		}
	}
	return s, nil
}

// Prefixes parses networks as allow_clients writes them (CIDRs or single
// addresses).
func Prefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
