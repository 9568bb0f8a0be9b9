package resolver

import (
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// TLSConfig is the `tls:` section: the certificate of the DNS-over-TLS and
// DNS-over-HTTPS listeners and how long they keep a connection.
type TLSConfig struct {
	// CertFile and KeyFile: a PEM certificate (chain) and its key, read
	// again when the file changes (a renewal); or SelfSigned.
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// SelfSigned: Hearth's local CA (made on first start in state_dir)
	// signs a certificate for Names, a wildcard below each, and this
	// machine's addresses.
	SelfSigned bool `mapstructure:"self_signed"`
	// Names the listeners answer to. A device ID is the first label of a
	// server name below one of them (alex-phone.dns.home.arpa).
	Names []string `mapstructure:"names"`
	// IdleTimeout: a connection that asks nothing this long is closed.
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// MaxConnections bounds the open connections per listener; a client
	// beyond it waits until one closes.
	MaxConnections int `mapstructure:"max_connections"`
}

// Equal reports whether c and o make the same certificate and listeners.
func (c TLSConfig) Equal(o TLSConfig) bool {
	return c.CertFile == o.CertFile && c.KeyFile == o.KeyFile && c.SelfSigned == o.SelfSigned &&
		slices.Equal(c.Names, o.Names) && c.IdleTimeout == o.IdleTimeout && c.MaxConnections == o.MaxConnections
}

// encrypted reports whether any encrypted listener is configured.
func (c Config) encrypted() bool { return len(c.ListenTLS)+len(c.ListenHTTPS) > 0 }

func (c Config) validateEncrypted() []error {
	var errs []error
	for _, l := range []struct {
		key   string
		addrs []string
	}{{"listen_tls", c.ListenTLS}, {"listen_https", c.ListenHTTPS}} {
		for _, a := range l.addrs {
			if _, err := parseListen(a); err != nil {
				errs = append(errs, fielderr.New(l.key, "%q: %v", a, err))
			}
		}
	}
	t := c.TLS
	for i, n := range t.Names {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".")
		if _, ok := dns.IsDomainName(n); !ok || n == "" || strings.ContainsAny(n, "* ") {
			errs = append(errs, fielderr.New("tls.names", "[%d] %q is not a domain name (e.g. dns.home.arpa)", i, t.Names[i]))
		}
	}
	if t.IdleTimeout < 0 {
		errs = append(errs, fielderr.New("tls.idle_timeout", "%s is negative", t.IdleTimeout))
	}
	if t.MaxConnections < 0 {
		errs = append(errs, fielderr.New("tls.max_connections", "%d is negative (0: no limit)", t.MaxConnections))
	}
	files := t.CertFile != "" || t.KeyFile != ""
	switch {
	case t.SelfSigned && files:
		errs = append(errs, fielderr.New("tls.self_signed", "true together with tls.cert_file/key_file: choose one"))
	case t.SelfSigned && len(t.Names) == 0:
		errs = append(errs, fielderr.New("tls.names", "empty with tls.self_signed: name the host the devices will use (e.g. [dns.home.arpa])"))
	case files && (t.CertFile == "" || t.KeyFile == ""):
		errs = append(errs, fielderr.New("tls.key_file", "tls.cert_file and tls.key_file go together: set both"))
	case !t.SelfSigned && !files && c.encrypted():
		key := "listen_tls"
		if len(c.ListenTLS) == 0 {
			key = "listen_https"
		}
		errs = append(errs, fielderr.New(key, "needs a certificate: set tls.cert_file and tls.key_file, or tls.self_signed: true with tls.names"))
	}
	return errs
}

// deviceIDFromSNI is the device ID a TLS server name gives: its first label
// when the rest is one of names (alex-phone.dns.home.arpa with
// dns.home.arpa), lowercased; "" otherwise. It allocates only when the
// name has capitals.
func deviceIDFromSNI(sni string, names []string) string {
	sni = strings.TrimSuffix(sni, ".")
	dot := strings.IndexByte(sni, '.')
	if dot <= 0 {
		return ""
	}
	rest := sni[dot+1:]
	for _, n := range names {
		if strings.EqualFold(rest, strings.TrimSuffix(n, ".")) {
			return deviceID(sni[:dot])
		}
	}
	return ""
}

// deviceID checks a device ID: a slug (lowercase letters, digits, '-', at
// most 40), after lowering its case; "" if it is not one.
func deviceID(s string) string {
	if len(s) == 0 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return ""
	}
	lower := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-':
		case c >= 'A' && c <= 'Z':
			lower = false
		default:
			return ""
		}
	}
	if lower {
		return s
	}
	return strings.ToLower(s)
}
