package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/tlscert"
	"github.com/hearth-dns/hearth/resolver"
)

// encryptedYAML is a hearth.yaml with DoT and DoH on free loopback ports,
// Hearth's own CA, and two devices known by name alone.
func encryptedYAML(t *testing.T, dir, upstream, tlsSection string) *config.Config {
	t.Helper()
	yaml := "listen: [\"127.0.0.1:0\"]\nlisten_tls: [\"127.0.0.1:0\"]\nlisten_https: [\"127.0.0.1:0\"]\n" +
		"allow_clients: [127.0.0.0/8]\nstate_dir: " + filepath.Join(dir, "state") + "\n" +
		"upstreams:\n  servers: [\"udp://" + upstream + "\"]\n  strategy: ordered\n  timeout: 1s\n" +
		tlsSection +
		"devices:\n  - {name: alex-tablet, group: kids, block: [blocked.example]}\n  - {name: parent-phone, group: parents}\n" +
		"groups:\n  kids: {}\n  parents: {}\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n"
	cfg := loadYAML(t, dir, yaml)
	return cfg
}

// startEncrypted starts Hearth on cfg (with its own local CA) and returns
// it, a pool trusting that CA, and its DNS-over-TLS address.
func startEncrypted(t *testing.T, cfg *config.Config) (*Hearth, *x509.CertPool, string) {
	t.Helper()
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	caPEM, err := tlscert.CACertPEM(cfg.StateDirectory())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	dot := h.srv.EncryptedAddrs(resolver.ProtoDoT)[0].String()
	return h, roots, dot
}

// TestEncryptedServe: `hearth serve`'s start with encrypted listeners from a
// hearth.yaml; the kid's tablet, named in its TLS server name, is blocked
// and the parent's phone is not, both from 127.0.0.1. A reload whose
// certificate cannot be read is refused whole and the old one stays.
func TestEncryptedServe(t *testing.T) {
	dir := t.TempDir()
	up := upstreamAnswering(t, "192.0.2.1")
	cfg := encryptedYAML(t, dir, up.Addr, "tls: {self_signed: true, names: [dns.home.arpa]}\n")
	h, roots, dot := startEncrypted(t, cfg)
	askAs := func(device string) string {
		t.Helper()
		c := &dns.Client{Net: "tcp-tls", Timeout: 3 * time.Second, TLSConfig: &tls.Config{ServerName: device + ".dns.home.arpa", RootCAs: roots}}
		r, _, err := c.Exchange(new(dns.Msg).SetQuestion("blocked.example.", dns.TypeA), dot)
		if err != nil {
			t.Fatalf("DoT as %s: %v", device, err)
		}
		return dns.RcodeToString[r.Rcode]
	}
	if got := askAs("alex-tablet"); got != "NXDOMAIN" {
		t.Errorf("alex-tablet: %s, want NXDOMAIN", got)
	}
	if got := askAs("parent-phone"); got != "NOERROR" {
		t.Errorf("parent-phone: %s, want NOERROR", got)
	}

	bad := encryptedYAML(t, dir, up.Addr, "tls: {cert_file: "+filepath.Join(dir, "missing.pem")+", key_file: "+filepath.Join(dir, "missing.key")+", names: [dns.home.arpa]}\n")
	if err := h.Reload(bad); err == nil || !strings.Contains(err.Error(), "tls.cert_file") {
		t.Fatalf("Reload with a missing certificate = %v, want an error naming tls.cert_file", err)
	}
	if got := askAs("alex-tablet"); got != "NXDOMAIN" {
		t.Errorf("after the refused reload, alex-tablet: %s, want NXDOMAIN with the old certificate", got)
	}
}
