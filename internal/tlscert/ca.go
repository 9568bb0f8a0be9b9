package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// The local CA's and the DNS listeners' certificate files in the state
// directory, all mode 0600. Only CACertFile is ever shown outside it (to be
// trusted by a device); the keys never leave.
const (
	CACertFile     = "dns-ca.crt"
	CAKeyFile      = "dns-ca.key"
	IssuedCertFile = "dns-tls.crt"
	IssuedKeyFile  = "dns-tls.key"

	caValidity     = 10 * 365 * 24 * time.Hour
	issuedValidity = 397 * 24 * time.Hour // what Apple's devices accept
	renewBefore    = 30 * 24 * time.Hour  // made again when this close to its end
)

// CACertPath and IssuedCertPath are where those certificates are kept.
func CACertPath(stateDir string) string     { return filepath.Join(stateDir, CACertFile) }
func IssuedCertPath(stateDir string) string { return filepath.Join(stateDir, IssuedCertFile) }

// CACertPEM reads the local CA's certificate (PEM), for a device to trust;
// os.ErrNotExist before the first start with tls.self_signed.
func CACertPEM(stateDir string) ([]byte, error) { return os.ReadFile(CACertPath(stateDir)) }

// ca reads the local CA from dir, or makes one (first start). A CA that
// cannot be read is an error, not made again: every device that trusts it
// would have to be set up again.
func ca(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("%s: not an ECDSA key", keyPath)
		}
		return pair.Leaf, key, nil
	}
	_, errCert := os.Stat(certPath)
	_, errKey := os.Stat(keyPath)
	if !errors.Is(errCert, os.ErrNotExist) || !errors.Is(errKey, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("the local CA (%s, %s) cannot be read: %w; restore both files, or delete both to make a new CA (every device set up must then trust the new one)", certPath, keyPath, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Hearth local CA " + now.UTC().Format("2006-01-02"), Organization: []string{"Hearth"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePair(dir, certPath, keyPath, der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// issued reads the listeners' certificate from dir, or has the local CA
// sign a new one when there is none, it ends within renewBefore, or it
// does not cover names and ips.
func issued(dir string, names []string, ips []netip.Addr, now time.Time) (*tls.Certificate, error) {
	if len(names) == 0 && len(ips) == 0 {
		return nil, errors.New("no names to make a certificate for: set tls.names (e.g. [dns.home.arpa])")
	}
	dnsNames := certNames(names)
	certPath, keyPath := filepath.Join(dir, IssuedCertFile), filepath.Join(dir, IssuedKeyFile)
	caCert, caKey, err := ca(dir, now)
	if err != nil {
		return nil, err
	}
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && now.Before(c.Leaf.NotAfter.Add(-renewBefore)) &&
		covers(c.Leaf, dnsNames, ips) && c.Leaf.CheckSignatureFrom(caCert) == nil {
		c.Certificate = append(c.Certificate, caCert.Raw)
		return &c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cn := "Hearth DNS"
	if len(names) > 0 {
		cn = names[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Hearth"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(issuedValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dnsNames,
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(ip.AsSlice()))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if err := writePair(dir, certPath, keyPath, der, key); err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der, caCert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// certNames are names, each with a wildcard below it: a device ID is the
// first label of the server name (alex-phone.dns.home.arpa).
func certNames(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		out = append(out, n, "*."+n)
	}
	return out
}

func covers(leaf *x509.Certificate, names []string, ips []netip.Addr) bool {
	for _, n := range names {
		if !slices.Contains(leaf.DNSNames, n) {
			return false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(leaf.IPAddresses, func(x net.IP) bool { return x.Equal(net.IP(ip.AsSlice())) }) {
			return false
		}
	}
	return true
}

// writePair stores a certificate and its key, the key first (a certificate
// without its key is made again), both 0600.
func writePair(dir, certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return atomicfile.Write(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return n
}
