package doctor

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/internal/tlscert"
)

// certEnding writes a certificate for dns.example.net ending at end, and its key.
func certEnding(t *testing.T, dir string, end time.Time) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dns.example.net"},
		NotBefore: end.Add(-90 * 24 * time.Hour), NotAfter: end, DNSNames: []string{"dns.example.net", "*.dns.example.net"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	_ = os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certPath, keyPath
}

func TestDoctorEncryptedDNSCertificate(t *testing.T) {
	dir := t.TempDir()
	tlsYAML := func(certPath, keyPath string) string {
		return "listen_tls: [\"127.0.0.1:0\"]\ntls:\n  cert_file: " + certPath + "\n  key_file: " + keyPath + "\n  names: [dns.example.net]\n"
	}
	// Ten days left: a warning, with how to renew.
	path, _ := writeDoctorConfig(t, doctorSetup{extra: tlsYAML(certEnding(t, dir, doctorNow.Add(10*24*time.Hour)))})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "warn", "encrypted DNS certificate: valid until 6 Dec 2026", "fullchain.pem", "*.dns.example.net", "renew tls.cert_file")
	// Sixty days: fine.
	path, _ = writeDoctorConfig(t, doctorSetup{extra: tlsYAML(certEnding(t, dir, doctorNow.Add(60*24*time.Hour)))})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "encrypted DNS certificate: valid until", "DEVICE.dns.example.net", "https://dns.example.net/dns-query/DEVICE")
	// Expired: a failure.
	path, _ = writeDoctorConfig(t, doctorSetup{extra: tlsYAML(certEnding(t, dir, doctorNow.Add(-time.Hour)))})
	code, out := runDoctor(t, path, nil)
	wantFinding(t, out, "FAIL", "encrypted DNS certificate", "expired")
	if code != 1 {
		t.Errorf("exit %d with an expired certificate, want 1", code)
	}

	// Hearth's own: not made yet, then made (by the listeners' start).
	path, stateDir := writeDoctorConfig(t, doctorSetup{extra: "listen_https: [\"127.0.0.1:0\"]\ntls: {self_signed: true, names: [dns.home.arpa]}\n"})
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "encrypted DNS certificate: Hearth's own, made when Hearth next starts", tlscert.CACertFile)
	if _, err := tlscert.New(tlscert.Config{SelfSigned: true, Names: []string{"dns.home.arpa"}}, stateDir, clocktest.New(doctorNow)); err != nil {
		t.Fatal(err)
	}
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "encrypted DNS certificate: valid until", "local CA", "*.dns.home.arpa")
}

// TestDoctorEncryptedPorts: an encrypted listen address that is free, held
// by Hearth (its certificate is served there), or held by another program.
func TestDoctorEncryptedPorts(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := certEnding(t, dir, doctorNow.Add(60*24*time.Hour))
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	go func() {
		for {
			c, err := ours.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() {
		for {
			c, err := other.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	free := dnstest.FreeAddrOn(t, "127.0.0.1")
	yaml := fmt.Sprintf("listen_tls: [%q, %q]\nlisten_https: [%q]\ntls:\n  cert_file: %s\n  key_file: %s\n  names: [dns.example.net]\n",
		ours.Addr(), free, other.Addr(), certPath, keyPath)
	path, _ := writeDoctorConfig(t, doctorSetup{extra: yaml})
	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "listen_tls "+ours.Addr().String()+": in use by Hearth")
	wantFinding(t, out, "ok", "listen_tls "+free+": free")
	wantFinding(t, out, "FAIL", "listen_https "+other.Addr().String()+": in use by another program", "ss -tlpn")
}
