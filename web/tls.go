package web

// HTTPS for the dashboard (web.tls): a certificate and key from files, or a
// certificate Hearth makes for itself on first start and keeps in the state
// directory. Its SHA-256 fingerprint is shown by `hearth doctor` and on the
// login page, so a parent can compare it with what the browser shows.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/clock"
)

// The self-signed certificate's files in the state directory (mode 0600).
const (
	SelfSignedCertFile = "dashboard-tls.crt"
	SelfSignedKeyFile  = "dashboard-tls.key"

	selfSignedValidity = 397 * 24 * time.Hour // what every browser accepts
	renewBefore        = 30 * 24 * time.Hour  // made again when this close to its end
	recheckFiles       = time.Minute          // cert_file/key_file looked at again this often
)

// Fingerprint is the SHA-256 of a certificate's DER bytes, as browsers show
// it: "AB:CD:...", 32 pairs.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// certSource hands the TLS handshake the current certificate: reloading
// cert_file/key_file when they change (a renewal), or making the
// self-signed one again as it nears its end.
type certSource struct {
	cfg      TLSConfig
	stateDir string
	names    []string     // the self-signed certificate's DNS names
	ips      []netip.Addr // and addresses
	clk      clock.Clock

	mu      sync.Mutex
	cert    *tls.Certificate
	checked time.Time // cert_file last looked at
	modTime time.Time // cert_file's, as loaded
}

func newCertSource(c Config, stateDir string, clk clock.Clock) (*certSource, error) {
	hostname, _ := os.Hostname()
	cs := &certSource{cfg: c.TLS, stateDir: stateDir, clk: clk, names: HostNames(c, hostname), ips: certAddrs(c)}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if err := cs.load(clk.Now()); err != nil {
		return nil, err
	}
	return cs, nil
}

// load reads (or makes) the certificate. Called with cs.mu held.
func (cs *certSource) load(now time.Time) error {
	if cs.cfg.SelfSigned {
		cert, err := selfSigned(cs.stateDir, cs.names, cs.ips, now)
		if err != nil {
			return fmt.Errorf("web.tls.self_signed: %w", err)
		}
		cs.cert = cert
		return nil
	}
	cs.checked = now
	fi, err := os.Stat(cs.cfg.CertFile)
	if err != nil {
		return fmt.Errorf("web.tls.cert_file: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(cs.cfg.CertFile, cs.cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("web.tls.cert_file %s, key_file %s: %w", cs.cfg.CertFile, cs.cfg.KeyFile, err)
	}
	cs.cert, cs.modTime = &cert, fi.ModTime()
	return nil
}

// get is tls.Config.GetCertificate. A renewal that fails keeps the
// certificate there is.
func (cs *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	now := cs.clk.Now()
	switch {
	case cs.cfg.SelfSigned:
		if now.After(cs.cert.Leaf.NotAfter.Add(-renewBefore)) {
			_ = cs.load(now)
		}
	case now.Sub(cs.checked) >= recheckFiles:
		cs.checked = now
		if fi, err := os.Stat(cs.cfg.CertFile); err == nil && !fi.ModTime().Equal(cs.modTime) {
			_ = cs.load(now)
		}
	}
	return cs.cert, nil
}

// fingerprint is the current certificate's.
func (cs *certSource) fingerprint() string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return Fingerprint(cs.cert.Certificate[0])
}

func (cs *certSource) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: cs.get, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// selfSigned reads the self-signed certificate from dir, or makes and
// stores a new one if there is none, it cannot be read, or it ends within
// renewBefore.
func selfSigned(dir string, names []string, ips []netip.Addr, now time.Time) (*tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, SelfSignedCertFile), filepath.Join(dir, SelfSignedKeyFile)
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && now.Before(cert.Leaf.NotAfter.Add(-renewBefore)) {
		return &cert, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Hearth dashboard", Organization: []string{"Hearth"}},
		NotBefore:             now.Add(-time.Hour), // a clock a little behind
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(ip.AsSlice()))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// The key first: a certificate without its key is made again next time.
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(certPath, certPEM, 0o600); err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &cert, nil
}

// certAddrs are the addresses the self-signed certificate is good for: the
// machine's (every interface, link-local ones aside), loopback, and those
// in web.hosts.
func certAddrs(c Config) []netip.Addr {
	set := map[netip.Addr]bool{netip.MustParseAddr("127.0.0.1"): true, netip.IPv6Loopback(): true}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLinkLocalUnicast() {
				set[p.Addr().Unmap()] = true
			}
		}
	}
	for _, h := range c.Hosts {
		if ip, err := netip.ParseAddr(strings.Trim(normalHost(h), "[]")); err == nil {
			set[ip.Unmap()] = true
		}
	}
	out := make([]netip.Addr, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	return out
}

// CertificateInfo describes the certificate the dashboard serves, for
// `hearth doctor`.
type CertificateInfo struct {
	Source      string // "self-signed, <path>" or "<cert_file>"
	Fingerprint string // SHA-256, as browsers show it
	NotAfter    time.Time
	Names       []string // DNS names and addresses it is good for
}

// ErrNoCertificateYet: web.tls.self_signed is on but the certificate is
// made at the dashboard's first start, which has not happened.
var ErrNoCertificateYet = errors.New("the self-signed certificate is made when Hearth first starts with web.tls.self_signed")

// DashboardCertificate reads (never makes) the certificate that the
// dashboard of c serves; stateDir holds the self-signed one.
func DashboardCertificate(c Config, stateDir string) (CertificateInfo, error) {
	path, src := c.TLS.CertFile, c.TLS.CertFile
	if c.TLS.SelfSigned {
		path = filepath.Join(stateDir, SelfSignedCertFile)
		src = "self-signed, " + path
	}
	b, err := os.ReadFile(path)
	if c.TLS.SelfSigned && errors.Is(err, os.ErrNotExist) {
		return CertificateInfo{Source: src}, ErrNoCertificateYet
	}
	if err != nil {
		return CertificateInfo{Source: src}, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return CertificateInfo{Source: src}, fmt.Errorf("%s holds no PEM certificate", path)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return CertificateInfo{Source: src}, fmt.Errorf("%s: %w", path, err)
	}
	info := CertificateInfo{Source: src, Fingerprint: Fingerprint(block.Bytes), NotAfter: leaf.NotAfter, Names: leaf.DNSNames}
	for _, ip := range leaf.IPAddresses {
		info.Names = append(info.Names, ip.String())
	}
	return info, nil
}
