package resolver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/tlscert"
)

// selfSignedPair writes a self-signed certificate for names to cert and key
// files (what a parent's Let's Encrypt files stand in for) and returns it.
func selfSignedPair(t *testing.T, certPath, keyPath, cn string, names ...string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour), DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// TestCertificateFileRenewed: a certificate file replaced on disk is served
// to the next connection, without a restart, once the file is looked at
// again (tlscert.RecheckFiles).
func TestCertificateFileRenewed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	first := selfSignedPair(t, certPath, keyPath, "first", "*.dns.example.net", "dns.example.net")
	h := encServer(t, func(c *Config) {
		c.TLS = TLSConfig{CertFile: certPath, KeyFile: keyPath, Names: []string{"dns.example.net"}}
	})
	served := func() *x509.Certificate {
		t.Helper()
		conn, err := tls.Dial("tcp", h.dot, &tls.Config{ServerName: "alex-tablet.dns.example.net", InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	if got := served(); !got.Equal(first) {
		t.Fatalf("serving %q, want the first certificate", got.Subject.CommonName)
	}
	second := selfSignedPair(t, certPath, keyPath, "second", "*.dns.example.net", "dns.example.net")
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(certPath, later, later) // a new modification time, whatever the file system's resolution
	if got := served(); !got.Equal(first) {
		t.Fatalf("serving %q before the recheck, want the first certificate still", got.Subject.CommonName)
	}
	h.clk.Advance(tlscert.RecheckFiles)
	if got := served(); !got.Equal(second) {
		t.Fatalf("serving %q after the file was replaced, want the second", got.Subject.CommonName)
	}
	// A strict client trusting the new certificate: the device ID still works.
	roots := x509.NewCertPool()
	roots.AddCert(second)
	m, err := askDoT(t, h.dot, "alex-tablet.dns.example.net", roots, "www.roblox.com.")
	if err != nil {
		t.Fatal(err)
	}
	wantBlocked(t, "alex-tablet with the renewed certificate", m, "NXDOMAIN: ", gamingText)
	if m.Rcode != dns.RcodeNameError {
		t.Errorf("rcode %d", m.Rcode)
	}
}

func TestDeviceIDFromSNI(t *testing.T) {
	t.Parallel()
	names := []string{"dns.home.arpa", "dns.example.net."}
	for sni, want := range map[string]string{
		"alex-phone.dns.home.arpa":    "alex-phone",
		"Alex-Phone.DNS.home.arpa.":   "alex-phone",
		"alex-phone.dns.example.net":  "alex-phone",
		"dns.home.arpa":               "",
		"a.b.dns.home.arpa":           "",
		"alex_phone.dns.home.arpa":    "",
		"alex-phone.other.home.arpa":  "",
		"-x.dns.home.arpa":            "",
		"":                            "",
		"x.dns.home.arpa":             "x",
		"0123456789.dns.example.net.": "0123456789",
	} {
		if got := deviceIDFromSNI(sni, names); got != want {
			t.Errorf("deviceIDFromSNI(%q) = %q, want %q", sni, got, want)
		}
	}
}

func TestMinTTL(t *testing.T) {
	t.Parallel()
	m := new(dns.Msg).SetQuestion("example.com.", dns.TypeA)
	m.Response = true
	a1, _ := dns.NewRR("example.com. 300 IN CNAME b.example.com.")
	a2, _ := dns.NewRR("b.example.com. 60 IN A 192.0.2.1")
	ns, _ := dns.NewRR("example.com. 900 IN NS ns.example.com.")
	m.Answer, m.Ns = []dns.RR{a1, a2}, []dns.RR{ns}
	m.SetEdns0(1232, false)
	m.Compress = true
	b, _ := m.Pack()
	if got := minTTL(b); got != 60 {
		t.Errorf("minTTL = %d, want 60", got)
	}
	m.Answer, m.Ns = nil, nil
	b, _ = m.Pack()
	if got := minTTL(b); got != 0 {
		t.Errorf("minTTL without records = %d, want 0", got)
	}
	if got := minTTL(b[:15]); got != 0 {
		t.Errorf("minTTL of a cut message = %d, want 0", got)
	}
}

func TestTLSConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tweak func(*Config)
		want  string
	}{
		{func(c *Config) { c.ListenTLS = []string{":853"} }, "listen_tls: needs a certificate"},
		{func(c *Config) { c.ListenHTTPS = []string{"nope"} }, "listen_https: \"nope\""},
		{func(c *Config) { c.TLS.SelfSigned = true }, "tls.names: empty with tls.self_signed"},
		{func(c *Config) { c.TLS.CertFile = "a.pem" }, "tls.key_file"},
		{func(c *Config) { c.TLS = TLSConfig{SelfSigned: true, CertFile: "a", KeyFile: "b"} }, "tls.self_signed: true together"},
		{func(c *Config) { c.TLS.Names = []string{"*.x"} }, "tls.names: [0]"},
		{func(c *Config) { c.TLS.MaxConnections = -1 }, "tls.max_connections"},
	} {
		cfg := testConfig("udp://127.0.0.1:1")
		tc.tweak(&cfg)
		errs := cfg.Validate()
		found := false
		for _, e := range errs {
			if len(e.Error()) >= len(tc.want) && e.Error()[:len(tc.want)] == tc.want {
				found = true
			}
		}
		if !found {
			t.Errorf("want an error starting %q, got %v", tc.want, errs)
		}
	}
}
