// Package tlscert hands a TLS server the certificate it should serve now:
// one read from files (a Let's Encrypt certificate, say), read again when
// the file changes on disk, or one signed by Hearth's own small local CA,
// made on first start in the state directory. The CA's key never leaves
// that directory (mode 0600); only its certificate is shown, for a device
// to trust.
package tlscert

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/internal/clock"
)

// Config says where the certificate comes from.
type Config struct {
	// CertFile and KeyFile: a PEM certificate (chain) and its key.
	CertFile, KeyFile string
	// SelfSigned: Hearth's local CA signs a certificate for Names (each
	// also with a wildcard below it, for device IDs) and IPs.
	SelfSigned bool
	Names      []string
	IPs        []netip.Addr
	// Field prefixes errors ("tls"), so they name the configuration key.
	Field string
}

// RecheckFiles is how often cert_file is looked at again for a renewal.
const RecheckFiles = time.Minute

// Source is a tls.Config's GetCertificate. Safe for concurrent use.
type Source struct {
	cfg      Config
	stateDir string
	clk      clock.Clock

	mu      sync.Mutex
	cert    *tls.Certificate
	checked time.Time // cert_file last looked at
	modTime time.Time // cert_file's, as loaded
	size    int64
}

// New reads (or, self-signed, makes) the certificate. stateDir holds the
// local CA and the certificate it signed.
func New(cfg Config, stateDir string, clk clock.Clock) (*Source, error) {
	if clk == nil {
		clk = clock.System{}
	}
	if cfg.Field == "" {
		cfg.Field = "tls"
	}
	s := &Source{cfg: cfg, stateDir: stateDir, clk: clk}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(clk.Now()); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads (or makes) the certificate. Called with s.mu held.
func (s *Source) load(now time.Time) error {
	if s.cfg.SelfSigned {
		cert, err := issued(s.stateDir, s.cfg.Names, s.cfg.IPs, now)
		if err != nil {
			return fmt.Errorf("%s.self_signed: %w", s.cfg.Field, err)
		}
		s.cert = cert
		return nil
	}
	s.checked = now
	fi, err := os.Stat(s.cfg.CertFile)
	if err != nil {
		return fmt.Errorf("%s.cert_file: %w", s.cfg.Field, err)
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("%s.cert_file %s, %s.key_file %s: %w", s.cfg.Field, s.cfg.CertFile, s.cfg.Field, s.cfg.KeyFile, err)
	}
	s.cert, s.modTime, s.size = &cert, fi.ModTime(), fi.Size()
	return nil
}

// GetCertificate is tls.Config.GetCertificate: the current certificate,
// read again when cert_file changed (checked at most every RecheckFiles),
// or made again as it nears its end. A renewal that fails keeps the
// certificate there is.
func (s *Source) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	switch {
	case s.cfg.SelfSigned:
		if now.After(s.cert.Leaf.NotAfter.Add(-renewBefore)) {
			_ = s.load(now)
		}
	case now.Sub(s.checked) >= RecheckFiles:
		s.checked = now
		if fi, err := os.Stat(s.cfg.CertFile); err == nil && (!fi.ModTime().Equal(s.modTime) || fi.Size() != s.size) {
			_ = s.load(now)
		}
	}
	return s.cert, nil
}

// Leaf is the certificate served now.
func (s *Source) Leaf() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cert.Leaf
}

// Info describes a certificate for `hearth doctor`.
type Info struct {
	Path     string
	NotAfter time.Time
	Names    []string // DNS names and addresses it is good for
}

// ErrNotMadeYet: the self-signed certificate is made at the first start.
var ErrNotMadeYet = errors.New("the certificate is made when Hearth first starts with tls.self_signed")

// Read reads (never makes) the certificate cfg serves.
func Read(cfg Config, stateDir string) (Info, error) {
	path := cfg.CertFile
	if cfg.SelfSigned {
		path = IssuedCertPath(stateDir)
	}
	b, err := os.ReadFile(path)
	if cfg.SelfSigned && errors.Is(err, os.ErrNotExist) {
		return Info{Path: path}, ErrNotMadeYet
	}
	if err != nil {
		return Info{Path: path}, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return Info{Path: path}, fmt.Errorf("%s holds no PEM certificate", path)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return Info{Path: path}, fmt.Errorf("%s: %w", path, err)
	}
	info := Info{Path: path, NotAfter: leaf.NotAfter, Names: leaf.DNSNames}
	for _, ip := range leaf.IPAddresses {
		info.Names = append(info.Names, ip.String())
	}
	return info, nil
}
