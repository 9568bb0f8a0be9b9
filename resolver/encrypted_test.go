package resolver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/internal/tlscert"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
)

// Encrypted DNS with real clients on loopback: miekg/dns over TLS (DoT)
// and net/http over HTTP/2 (DoH), against Hearth with its own local CA.
// Every query comes from 127.0.0.1, an address no device has: only the
// device ID (the TLS server name's first label, or the DoH path) tells the
// kid's tablet from a parent's phone.

const encName = "dns.home.arpa"

type encHarness struct {
	s        *Server
	engine   *policy.Engine
	clk      *clocktest.Fake
	dot, doh string
	roots    *x509.CertPool // the local CA
	stateDir string
}

// encHousehold is household() with a parent's phone known by name alone.
func encHousehold() policy.Config {
	cfg := household()
	cfg.Devices = append(cfg.Devices, policy.DeviceConfig{Name: "parent-phone", Group: "parents"})
	cfg.Groups["parents"] = policy.GroupConfig{}
	return cfg
}

func encServer(t testing.TB, tweak func(*Config)) *encHarness {
	t.Helper()
	clk := clocktest.New(thursday(12, 0, 0))
	h := &encHarness{clk: clk, stateDir: t.TempDir(), engine: policytest.Engine(t, encHousehold(), clk)}
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	cfg.ListenTLS, cfg.ListenHTTPS = []string{"127.0.0.1:0"}, []string{"127.0.0.1:0"}
	cfg.TLS = TLSConfig{SelfSigned: true, Names: []string{encName}, IdleTimeout: time.Minute, MaxConnections: 50}
	if tweak != nil {
		tweak(&cfg)
	}
	h.s, _ = startWith(t, cfg, Options{Policy: h.engine, Clock: clk, StateDir: h.stateDir})
	h.dot = h.s.EncryptedAddrs(ProtoDoT)[0].String()
	h.doh = h.s.EncryptedAddrs(ProtoDoH)[0].String()
	if cfg.TLS.SelfSigned {
		pem, err := tlscert.CACertPEM(h.stateDir)
		if err != nil {
			t.Fatal(err)
		}
		h.roots = x509.NewCertPool()
		h.roots.AppendCertsFromPEM(pem)
	}
	return h
}

// askDoT asks name over TLS with server name sni, trusting roots.
func askDoT(t *testing.T, addr, sni string, roots *x509.CertPool, name string) (*dns.Msg, error) {
	t.Helper()
	c := &dns.Client{Net: "tcp-tls", Timeout: 5 * time.Second, TLSConfig: &tls.Config{ServerName: sni, RootCAs: roots}}
	m := new(dns.Msg).SetQuestion(name, dns.TypeA)
	m.SetEdns0(1232, false)
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func (h *encHarness) httpClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{ServerName: encName, RootCAs: h.roots}}}
}

// askDoH asks name at path by GET or POST and checks the HTTP side.
func (h *encHarness) askDoH(t *testing.T, method, path, name string) *dns.Msg {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	q.Id = 0 // RFC 8484 4.1
	q.SetEdns0(1232, false)
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + h.doh + path
	var req *http.Request
	if method == http.MethodGet {
		req, err = http.NewRequest(method, url+"?dns="+base64.RawURLEncoding.EncodeToString(wire), nil)
	} else {
		req, err = http.NewRequest(method, url, bytes.NewReader(wire))
		req.Header.Set("Content-Type", "application/dns-message")
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.httpClient().Do(req)
	if err != nil {
		t.Fatalf("DoH %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || resp.Header.Get("Content-Type") != "application/dns-message" {
		t.Fatalf("DoH %s %s: %s over %s, %q: %s", method, path, resp.Status, resp.Proto, resp.Header.Get("Content-Type"), body)
	}
	m := new(dns.Msg)
	if err := m.Unpack(body); err != nil {
		t.Fatalf("DoH %s %s: %v", method, path, err)
	}
	if cc, want := resp.Header.Get("Cache-Control"), "max-age="; !strings.HasPrefix(cc, want) {
		t.Errorf("DoH %s %s: Cache-Control %q", method, path, cc)
	}
	return m
}

func seenKeys(e *policy.Engine) map[string]string {
	out := map[string]string{}
	for _, s := range e.Devices().List() {
		out[s.Key] = s.Device
	}
	return out
}

func TestDoTDeviceFromServerName(t *testing.T) {
	t.Parallel()
	h := encServer(t, nil)
	ask := func(sni string) *dns.Msg {
		t.Helper()
		m, err := askDoT(t, h.dot, sni, h.roots, "www.roblox.com.")
		if err != nil {
			t.Fatalf("DoT as %s: %v", sni, err)
		}
		return m
	}
	wantBlocked(t, "alex-tablet over DoT", ask("alex-tablet."+encName), "NXDOMAIN: ", gamingText)
	wantBlocked(t, "ALEX-TABLET over DoT", ask("ALEX-Tablet."+encName), "NXDOMAIN: ", gamingText)
	wantPassed(t, "parent-phone over DoT", ask("parent-phone."+encName), "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
	wantPassed(t, "unknown ID over DoT", ask("alex-phne."+encName), "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
	wantPassed(t, "no ID over DoT", ask(encName), "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
	seen := seenKeys(h.engine)
	for key, want := range map[string]string{"id:alex-tablet": "alex-tablet", "id:parent-phone": "parent-phone", "id:alex-phne": ""} {
		if dev, ok := seen[key]; !ok || dev != want {
			t.Errorf("devices seen %v: want %s as %q", seen, key, want)
		}
	}
	if st := h.s.Stats().Encrypted[0]; st.Proto != ProtoDoT || st.Accepted != 5 {
		t.Errorf("DoT stats %+v, want 5 connections accepted", st)
	}
}

func TestDoHDeviceFromPath(t *testing.T) {
	t.Parallel()
	h := encServer(t, nil)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		wantBlocked(t, method+" /dns-query/alex-tablet", h.askDoH(t, method, "/dns-query/alex-tablet", "www.roblox.com."), "NXDOMAIN: ", gamingText)
		wantPassed(t, method+" /dns-query/parent-phone", h.askDoH(t, method, "/dns-query/parent-phone", "www.roblox.com."), "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
		wantPassed(t, method+" /dns-query", h.askDoH(t, method, "/dns-query", "www.roblox.com."), "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
		wantPassed(t, method+" /dns-query/new-tablet", h.askDoH(t, method, "/dns-query/new-tablet", "www.roblox.com."), "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
	}
	if dev, ok := seenKeys(h.engine)["id:new-tablet"]; !ok || dev != "" {
		t.Errorf("devices seen %v: want id:new-tablet, unknown", seenKeys(h.engine))
	}
}

func TestDoHBadInput(t *testing.T) {
	t.Parallel()
	h := encServer(t, nil)
	c := h.httpClient()
	base := "https://" + h.doh
	for _, tc := range []struct {
		method, path, ctype, body string
		want                      int
	}{
		{"GET", "/dns-query?dns=%%%", "", "", 400},
		{"GET", "/dns-query?dns=AAAA", "", "", 400}, // 3 bytes: no header
		{"GET", "/dns-query", "", "", 400},
		{"GET", "/dns-query/bad_id?dns=AAAA", "", "", 400},
		{"GET", "/elsewhere", "", "", 404},
		{"POST", "/dns-query", "text/plain", "hello", 415},
		{"POST", "/dns-query", "application/dns-message", "\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07", 400},
		{"PUT", "/dns-query", "", "", 405},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %s, want %d", tc.method, tc.path, resp.Status, tc.want)
		}
	}
	// Still serving.
	wantPassed(t, "after bad input", h.askDoH(t, "GET", "/dns-query", "www.example.com."), "NOERROR: www.example.com. 300 IN A 192.0.2.1")
}

// TestEncryptedAccessControl: allow_clients applies to DoT and DoH.
func TestEncryptedAccessControl(t *testing.T) {
	t.Parallel()
	h := encServer(t, func(c *Config) { c.AllowClients = []string{"10.0.0.0/8"} })
	m, err := askDoT(t, h.dot, encName, h.roots, "www.example.com.")
	if err != nil || m.Rcode != dns.RcodeRefused {
		t.Errorf("DoT from outside allow_clients: %v %v, want REFUSED", m, err)
	}
	if m := h.askDoH(t, "GET", "/dns-query", "www.example.com."); m.Rcode != dns.RcodeRefused {
		t.Errorf("DoH from outside allow_clients: %s, want REFUSED", dns.RcodeToString[m.Rcode])
	}
}

// TestEncryptedStrictClientRefuses: a client that does not trust the local
// CA refuses the handshake, and the server counts it.
func TestEncryptedStrictClientRefuses(t *testing.T) {
	t.Parallel()
	h := encServer(t, nil)
	if _, err := askDoT(t, h.dot, encName, nil, "www.example.com."); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("DoT with the system roots: %v, want a certificate error", err)
	}
	if _, err := askDoT(t, h.dot, "dns.example.org", h.roots, "www.example.com."); err == nil {
		t.Fatal("DoT to a name the certificate is not for: no error")
	}
	// The server hears of the failure when the client's alert arrives.
	deadline := time.Now().Add(5 * time.Second)
	for h.s.Stats().Encrypted[0].HandshakeFailures < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("handshake failures %+v, want 2", h.s.Stats().Encrypted[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDoTKeptAlive: one DoT connection asks many queries (a phone keeps
// its connection; miekg/dns's default would close it after 128).
func TestDoTKeptAlive(t *testing.T) {
	t.Parallel()
	h := encServer(t, nil)
	conn, err := dns.DialWithTLS("tcp", h.dot, &tls.Config{ServerName: "alex-tablet." + encName, RootCAs: h.roots})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := new(dns.Msg).SetQuestion("www.roblox.com.", dns.TypeA)
	for i := range 300 {
		if err := conn.WriteMsg(q); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		r, err := conn.ReadMsg()
		if err != nil || r.Rcode != dns.RcodeNameError {
			t.Fatalf("query %d: %v %v, want NXDOMAIN (blocked for alex-tablet)", i, r, err)
		}
	}
	if st := h.s.Stats().Encrypted[0]; st.Accepted != 1 {
		t.Errorf("%d connections, want 1", st.Accepted)
	}
}

// TestEncryptedReload: a reload starts DoT and DoH listeners and a later
// one stops them; connections closed by the client free their slot.
func TestEncryptedReload(t *testing.T) {
	t.Parallel()
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	dir := t.TempDir()
	s, _ := startWith(t, cfg, Options{StateDir: dir})
	if n := len(s.EncryptedAddrs(ProtoDoT)) + len(s.EncryptedAddrs(ProtoDoH)); n != 0 {
		t.Fatalf("%d encrypted listeners before they are configured", n)
	}
	with := cfg
	with.ListenTLS, with.ListenHTTPS = []string{"127.0.0.1:0"}, []string{"127.0.0.1:0"}
	with.TLS = TLSConfig{SelfSigned: true, Names: []string{encName}}
	if err := s.Reload(with); err != nil {
		t.Fatal(err)
	}
	pem, err := tlscert.CACertPEM(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := &encHarness{s: s, roots: x509.NewCertPool(), dot: s.EncryptedAddrs(ProtoDoT)[0].String(), doh: s.EncryptedAddrs(ProtoDoH)[0].String()}
	h.roots.AppendCertsFromPEM(pem)
	if m, err := askDoT(t, h.dot, encName, h.roots, "www.example.com."); err != nil || m.Rcode != dns.RcodeSuccess {
		t.Fatalf("DoT after the reload: %v %v", m, err)
	}
	c := h.httpClient()
	wire, _ := new(dns.Msg).SetQuestion("www.example.com.", dns.TypeA).Pack()
	resp, err := c.Get("https://" + h.doh + "/dns-query?dns=" + base64.RawURLEncoding.EncodeToString(wire))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DoH after the reload: %v %v", resp, err)
	}
	resp.Body.Close()
	c.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for st := s.Stats().Encrypted; st[0].Open+st[1].Open != 0; st = s.Stats().Encrypted {
		if time.Now().After(deadline) {
			t.Fatalf("connections still open after the clients closed them: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := askDoT(t, h.dot, encName, h.roots, "www.example.com."); err == nil {
		t.Error("DoT still answers after listen_tls was removed")
	}
}

// TestEncryptedConnectionLimit: beyond tls.max_connections a client waits
// until a connection closes.
func TestEncryptedConnectionLimit(t *testing.T) {
	t.Parallel()
	h := encServer(t, func(c *Config) { c.TLS.MaxConnections = 1 })
	cfg := &tls.Config{ServerName: encName, RootCAs: h.roots}
	first, err := tls.Dial("tcp", h.dot, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{Deadline: time.Now().Add(300 * time.Millisecond)}
	if c, err := tls.DialWithDialer(d, "tcp", h.dot, cfg); err == nil {
		c.Close()
		t.Fatal("a second connection was served beyond max_connections 1")
	}
	first.Close()
	second, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", h.dot, cfg)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	second.Close()
}
