package web

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsClient trusts only cert (by pool) and checks its fingerprint too.
func tlsClient(t *testing.T, certPEM []byte, fingerprint string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("no certificate in the PEM")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1",
		VerifyConnection: func(cs tls.ConnectionState) error {
			if got := Fingerprint(cs.PeerCertificates[0].Raw); got != fingerprint {
				t.Errorf("the server's certificate is %s, want %s", got, fingerprint)
			}
			return nil
		}}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestDashboardSelfSignedTLS: web.tls.self_signed makes an ECDSA P-256
// certificate in the state directory (0600) on first start, keeps it across
// restarts, serves HTTPS with it (a real TLS client that trusts only it),
// shows its fingerprint on the login page, sets Secure cookies, and answers
// plain HTTP on the same port with a redirect.
func TestDashboardSelfSignedTLS(t *testing.T) {
	t.Parallel()
	h := newHardServer(t, Config{TLS: TLSConfig{SelfSigned: true}})
	certPath := filepath.Join(h.dir, SelfSignedCertFile)
	for _, f := range []string{certPath, filepath.Join(h.dir, SelfSignedKeyFile)} {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v", f, err, fi.Mode())
		}
	}
	certPEM, _ := os.ReadFile(certPath)
	block, _ := pem.Decode(certPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA || !strings.Contains(strings.Join(leaf.DNSNames, " "), "hearth.lan") {
		t.Errorf("certificate: %v, names %v", leaf.PublicKeyAlgorithm, leaf.DNSNames)
	}
	fp := h.srv.Fingerprint()
	if fp != Fingerprint(block.Bytes) || len(fp) != 32*3-1 {
		t.Fatalf("fingerprint %q", fp)
	}
	info, err := DashboardCertificate(h.srv.opts.Config, h.dir)
	if err != nil || info.Fingerprint != fp {
		t.Errorf("DashboardCertificate: %+v %v", info, err)
	}

	base := "https://" + h.srv.Addr().String()
	c := tlsClient(t, certPEM, fp)
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), fp) {
		t.Errorf("login page over TLS: %d, fingerprint shown: %v", resp.StatusCode, strings.Contains(string(body), fp))
	}
	resp, err = c.PostForm(base+"/login", url.Values{"password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var secure bool
	for _, ck := range resp.Cookies() {
		secure = secure || ck.Name == SessionCookie && ck.Secure
	}
	if resp.StatusCode != http.StatusSeeOther || !secure {
		t.Errorf("login over TLS: %d, Secure cookie %v", resp.StatusCode, secure)
	}

	// Plain HTTP on the same port: redirected, nothing served.
	r, _ := h.do(hardReq{from: "127.0.0.1", method: "GET", url: h.url + "/now?x=1"})
	if r.status != http.StatusTemporaryRedirect || r.header.Get("Location") != base+"/now?x=1" {
		t.Errorf("plain HTTP: %d to %q", r.status, r.header.Get("Location"))
	}
	r, _ = h.apiLogin("127.0.0.1", testPassword, nil)
	if r.status != http.StatusTemporaryRedirect || r.cookie != nil {
		t.Errorf("plain HTTP login: %d, cookie %v", r.status, r.cookie)
	}

	// A restart keeps the certificate; one near its end is made again.
	cs, err := newCertSource(h.srv.opts.Config, h.dir, h.clk)
	if err != nil || cs.fingerprint() != fp {
		t.Errorf("after a restart: %v, %s", err, cs.fingerprint())
	}
	h.clk.Advance(selfSignedValidity - renewBefore + time.Hour)
	if cert, err := cs.get(nil); err != nil || Fingerprint(cert.Certificate[0]) == fp || !cert.Leaf.NotAfter.After(h.clk.Now().Add(300*24*time.Hour)) {
		t.Errorf("near its end: %v, same fingerprint %v", err, cert != nil && Fingerprint(cert.Certificate[0]) == fp)
	}
}

// TestDashboardTLSFromFiles: web.tls.cert_file and key_file are served as
// they are; a missing file stops the dashboard with the key named.
func TestDashboardTLSFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, err := selfSigned(dir, []string{"hearth.example.org"}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{TLS: TLSConfig{CertFile: filepath.Join(dir, SelfSignedCertFile), KeyFile: filepath.Join(dir, SelfSignedKeyFile)}}
	h := newHardServer(t, cfg)
	fp := Fingerprint(cert.Certificate[0])
	if h.srv.Fingerprint() != fp {
		t.Errorf("served %s, want %s", h.srv.Fingerprint(), fp)
	}
	certPEM, _ := os.ReadFile(cfg.TLS.CertFile)
	c := tlsClient(t, certPEM, fp)
	c.Transport.(*http.Transport).TLSClientConfig.ServerName = "hearth.example.org"
	resp, err := c.Get("https://" + h.srv.Addr().String() + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health over TLS: %d", resp.StatusCode)
	}

	cfg.TLS.CertFile = filepath.Join(dir, "missing.crt")
	cfg.Enabled, cfg.Listen, cfg.SessionTTL = true, "127.0.0.1:0", time.Hour
	s := New(Options{Config: cfg, StateDir: dir})
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "web.tls.cert_file") {
		t.Errorf("a missing cert_file: %v", err)
	}
}
