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
	// Hosts are more names (or addresses) the dashboard answers to, beyond
	// HostNames' defaults; "*" turns the Host check off (hosts.go).
	Hosts []string `mapstructure:"hosts"`
	// TLS serves the dashboard over HTTPS (tls.go).
	TLS TLSConfig `mapstructure:"tls"`
	// EditConfig: the dashboard and the API may change hearth.yaml (groups,
	// devices, household settings); false shows the YAML to paste instead.
	EditConfig bool `mapstructure:"edit_config"`
}

// TLSConfig is `web.tls`: a certificate from files, or one Hearth makes for
// itself. Neither: plain HTTP, as before.
type TLSConfig struct {
	// CertFile and KeyFile are a PEM certificate (chain) and its key.
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// SelfSigned makes a certificate in the state directory on first start.
	SelfSigned bool `mapstructure:"self_signed"`
}

// Enabled reports whether the dashboard is served over HTTPS.
func (t TLSConfig) Enabled() bool { return t.SelfSigned || t.CertFile != "" || t.KeyFile != "" }

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
	for i, h := range c.Hosts {
		if err := checkHostEntry(h); err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("%s.hosts[%d]", prefix, i), "%q: %v", h, err))
		}
	}
	switch t := c.TLS; {
	case t.SelfSigned && (t.CertFile != "" || t.KeyFile != ""):
		errs = append(errs, fielderr.New(prefix+".tls.self_signed", "true together with cert_file/key_file: choose one"))
	case t.CertFile != "" && t.KeyFile == "":
		errs = append(errs, fielderr.New(prefix+".tls.cert_file", "set without key_file: the key's file is needed too"))
	case t.KeyFile != "" && t.CertFile == "":
		errs = append(errs, fielderr.New(prefix+".tls.key_file", "set without cert_file: the certificate's file is needed too"))
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
