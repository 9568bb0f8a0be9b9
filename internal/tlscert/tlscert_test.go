package tlscert

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// TestLocalCA: the first start makes a CA and a certificate it signs for
// the names (and a wildcard below each) and addresses, every file 0600;
// the next start keeps both; new names get a new certificate from the same
// CA; a damaged CA is an error, never silently replaced.
func TestLocalCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := clocktest.New(time.Now())
	cfg := Config{SelfSigned: true, Names: []string{"dns.home.arpa"}, IPs: []netip.Addr{netip.MustParseAddr("192.168.1.2")}}
	s, err := New(cfg, dir, clk)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{CACertFile, CAKeyFile, IssuedCertFile, IssuedKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi, err)
		}
	}
	caPEM, err := CACertPEM(dir)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caPEM)
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !caCert.IsCA {
		t.Fatalf("CA certificate: %v (IsCA %v)", err, caCert != nil && caCert.IsCA)
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	leaf := s.Leaf()
	for _, name := range []string{"dns.home.arpa", "alex-phone.dns.home.arpa", "192.168.1.2"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "a.b.dns.home.arpa"}); err == nil {
		t.Error("verified for a name two labels below")
	}

	again, err := New(cfg, dir, clk)
	if err != nil || !again.Leaf().Equal(leaf) {
		t.Fatalf("second start: %v, same certificate %v", err, err == nil && again.Leaf().Equal(leaf))
	}
	cfg.Names = []string{"dns.home.arpa", "dns.lan"}
	renamed, err := New(cfg, dir, clk)
	if err != nil {
		t.Fatal(err)
	}
	if renamed.Leaf().Equal(leaf) {
		t.Error("a new name kept the old certificate")
	}
	if _, err := renamed.Leaf().Verify(x509.VerifyOptions{Roots: roots, DNSName: "kid.dns.lan"}); err != nil {
		t.Errorf("the new certificate is not from the same CA: %v", err)
	}
	info, err := Read(cfg, dir)
	if err != nil || !info.NotAfter.Equal(renamed.Leaf().NotAfter) {
		t.Errorf("Read: %+v %v", info, err)
	}

	if err := os.WriteFile(filepath.Join(dir, CAKeyFile), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, IssuedCertFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, dir, clk); err == nil {
		t.Fatal("a damaged CA key was not reported")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, CACertFile)); string(b) != string(caPEM) {
		t.Error("the CA certificate was replaced")
	}
}

func TestReadBeforeFirstStart(t *testing.T) {
	t.Parallel()
	if _, err := Read(Config{SelfSigned: true}, t.TempDir()); err != ErrNotMadeYet {
		t.Errorf("got %v, want ErrNotMadeYet", err)
	}
	if _, err := New(Config{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent.key", Field: "tls"}, t.TempDir(), nil); err == nil {
		t.Error("a missing cert_file was not reported")
	}
}
