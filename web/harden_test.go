package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// Tests of issue 13's login hardening over real HTTP on loopback: each
// client dials from its own 127.0.0.0/8 address.

// hardServer is a started dashboard with the password at bcrypt's lowest
// cost, on a fake clock.
type hardServer struct {
	srv *Server
	clk *clocktest.Fake
	dir string
	url string // http://127.0.0.1:port
}

func newHardServer(t *testing.T, cfg Config) *hardServer {
	t.Helper()
	h := &hardServer{dir: t.TempDir(), clk: clocktest.New(pagesNoon)}
	writeTestPassword(t, h.dir, testPassword)
	cfg.Enabled, cfg.Listen, cfg.SessionTTL = true, "127.0.0.1:0", time.Hour
	h.srv = New(Options{
		Config: cfg, Engine: pagesEngine(t, h.clk), StateDir: h.dir,
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Clock:        h.clk, Logger: zerolog.Nop(), Version: "test",
	})
	if err := h.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.srv.Shutdown(ctx)
	})
	h.url = "http://" + h.srv.Addr().String()
	return h
}

// clientFrom is an HTTP client whose connections come from the loopback
// address from, following no redirects.
func clientFrom(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type hardReq struct {
	from, method, url, body string
	header                  map[string]string
}

type hardResp struct {
	status int
	body   string
	header http.Header
	cookie *http.Cookie // the session cookie, if set
	err    error
}

// do sends q, moving the fake clock on (100 ms at a time) whenever the
// server waits on it, and returns the answer and how much fake time the
// server waited.
func (h *hardServer) do(q hardReq) (hardResp, time.Duration) {
	done := make(chan hardResp, 1)
	start := h.clk.Now()
	go func() {
		r, err := http.NewRequest(q.method, q.url, strings.NewReader(q.body))
		if err != nil {
			done <- hardResp{err: err}
			return
		}
		if strings.HasPrefix(q.body, "{") {
			r.Header.Set("Content-Type", "application/json")
		} else if q.body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range q.header {
			r.Header.Set(k, v)
		}
		if host, ok := q.header["Host"]; ok {
			r.Host = host
		}
		resp, err := clientFrom(q.from).Do(r)
		if err != nil {
			done <- hardResp{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out := hardResp{status: resp.StatusCode, body: string(b), header: resp.Header}
		for _, c := range resp.Cookies() {
			if c.Name == SessionCookie && c.Value != "" {
				out.cookie = c
			}
		}
		done <- out
	}()
	for {
		select {
		case r := <-done:
			return r, h.clk.Now().Sub(start)
		default:
		}
		if h.clk.WaitTimers(1, 2*time.Millisecond) {
			h.clk.Advance(100 * time.Millisecond)
		}
	}
}

func (h *hardServer) apiLogin(from, password string, header map[string]string) (hardResp, time.Duration) {
	b, _ := json.Marshal(map[string]string{"password": password})
	return h.do(hardReq{from: from, method: "POST", url: h.url + "/api/login", body: string(b), header: header})
}

func (h *hardServer) formLogin(from, password string, header map[string]string) (hardResp, time.Duration) {
	form := url.Values{"password": {password}, "next": {"/now"}}
	return h.do(hardReq{from: from, method: "POST", url: h.url + "/login", body: form.Encode(), header: header})
}

// TestLoginNotLockedOutByOthers: seven addresses guessing five times each
// (35 failures in well under a minute) lock out themselves only. The right
// password from an address that has not failed still logs in, on the API
// and on the page, slowed down by a few seconds at most.
func TestLoginNotLockedOutByOthers(t *testing.T) {
	t.Parallel()
	h := newHardServer(t, Config{})
	for a := range 7 {
		from := fmt.Sprintf("127.0.7.%d", a+1)
		for i := range clientFailures {
			r, _ := h.apiLogin(from, fmt.Sprintf("guess-%d", i), nil)
			if r.err != nil || r.status != http.StatusUnauthorized {
				t.Fatalf("%s guess %d: %d %v %s", from, i, r.status, r.err, r.body)
			}
		}
	}
	if elapsed := h.clk.Now().Sub(pagesNoon); elapsed >= globalWindow {
		t.Fatalf("the guesses took %s of fake time: the test wants them within %s", elapsed, globalWindow)
	}
	// A guesser is locked out, even with the right password.
	if r, _ := h.apiLogin("127.0.7.1", testPassword, nil); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("a locked-out guesser with the right password: %d %s", r.status, r.body)
	}
	// The parent's phone, which has not failed: in, after a wait.
	r, waited := h.apiLogin("127.0.8.1", testPassword, nil)
	if r.status != http.StatusOK || r.cookie == nil {
		t.Fatalf("the right password from a fresh address after 35 failures elsewhere: %d %s", r.status, r.body)
	}
	if waited < time.Second || waited > maxSlow+200*time.Millisecond {
		t.Errorf("the fresh login waited %s; want a slow-down between 1s and %s", waited, maxSlow)
	}
	r, _ = h.formLogin("127.0.8.2", testPassword, map[string]string{"Origin": h.url, "Sec-Fetch-Site": "same-origin"})
	if r.status != http.StatusSeeOther || r.cookie == nil {
		t.Errorf("the login page from another fresh address: %d %s", r.status, r.body)
	}
	// A minute later nobody is slowed down.
	h.clk.Advance(globalWindow)
	if r, waited := h.apiLogin("127.0.8.3", testPassword, nil); r.status != http.StatusOK || waited != 0 {
		t.Errorf("a minute later: %d after %s", r.status, waited)
	}
}

// TestLoginCrossSite: a login a browser says came from another site (or an
// opaque origin) is refused with the right password on both the API and
// the page, sets no cookie, and spends nobody's tries.
func TestLoginCrossSite(t *testing.T) {
	t.Parallel()
	h := newHardServer(t, Config{})
	refused := []map[string]string{
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": h.url, "Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://127.0.0.1:1"}, // another port is another origin
	}
	for _, hdr := range refused {
		for i := range 3 { // more than enough to lock out if they counted
			r, _ := h.apiLogin("127.0.9.1", testPassword, hdr)
			if r.status != http.StatusForbidden || r.cookie != nil || !strings.Contains(r.body, "another site") {
				t.Errorf("/api/login %v (%d): %d %s", hdr, i, r.status, r.body)
			}
			r, _ = h.formLogin("127.0.9.1", testPassword, hdr)
			if r.status != http.StatusForbidden || r.cookie != nil {
				t.Errorf("/login %v (%d): %d, cookie %v", hdr, i, r.status, r.cookie)
			}
		}
	}
	allowed := []map[string]string{
		nil, // curl, a script
		{"Origin": h.url},
		{"Sec-Fetch-Site": "same-origin"},
		{"Sec-Fetch-Site": "none"},
		{"Origin": h.url, "Sec-Fetch-Site": "same-origin"},
	}
	for _, hdr := range allowed {
		if r, _ := h.apiLogin("127.0.9.1", testPassword, hdr); r.status != http.StatusOK || r.cookie == nil {
			t.Errorf("/api/login %v: %d %s", hdr, r.status, r.body)
		}
		if r, _ := h.formLogin("127.0.9.1", testPassword, hdr); r.status != http.StatusSeeOther || r.cookie == nil {
			t.Errorf("/login %v: %d", hdr, r.status)
		}
	}
}

// TestLoginLimitIPv6: an IPv6 client is its /64 (a device picks any address
// in it), but an address that logged in before keeps getting in.
func TestLoginLimitIPv6(t *testing.T) {
	t.Parallel()
	var l limiter
	now := pagesNoon
	parent := netip.MustParseAddr("2001:db8:1:2::99")
	if _, err := l.begin(parent, now); err != nil {
		t.Fatal(err)
	}
	l.succeed(parent, now)
	for i := range clientFailures {
		ip := netip.MustParseAddr(fmt.Sprintf("2001:db8:1:2::%x", i+1))
		if _, err := l.begin(ip, now); err != nil {
			t.Fatalf("guess %d: %v", i, err)
		}
		l.fail(ip, now)
	}
	var rl RateLimitedError
	if _, err := l.begin(netip.MustParseAddr("2001:db8:1:2:aaaa::1"), now); !errors.As(err, &rl) {
		t.Errorf("a new address in the guessers' /64: %v", err)
	}
	if _, err := l.begin(netip.MustParseAddr("2001:db8:1:3::1"), now); err != nil {
		t.Errorf("another /64: %v", err)
	}
	if _, err := l.begin(parent, now); err != nil {
		t.Errorf("the parent's address, which logged in before: %v", err)
	}
	// IPv4 addresses are each their own client.
	for i := range clientFailures {
		ip := netip.MustParseAddr("192.168.1.66")
		l.begin(ip, now)
		l.fail(ip, now)
		_ = i
	}
	if _, err := l.begin(netip.MustParseAddr("192.168.1.67"), now); err != nil {
		t.Errorf("the next IPv4 address: %v", err)
	}
}

// TestHostCheck: a name the dashboard is not known by gets 421 (DNS
// rebinding); addresses, localhost, hearth.lan-style names, the host name
// and web.hosts get the dashboard.
func TestHostCheck(t *testing.T) {
	t.Parallel()
	h := newHardServer(t, Config{Hosts: []string{"dashboard.example.net"}})
	_, port, _ := net.SplitHostPort(h.srv.Addr().String())
	get := func(host string) hardResp {
		r, _ := h.do(hardReq{from: "127.0.0.1", method: "GET", url: h.url + "/api/health", header: map[string]string{"Host": host}})
		return r
	}
	for _, host := range []string{"evil.example", "evil.example:" + port, "hearth.evil.example", "192.168.1.2.nip.io", "hearth.lan.evil.example"} {
		if r := get(host); r.status != http.StatusMisdirectedRequest || !strings.Contains(r.body, "web.hosts") {
			t.Errorf("Host %s: %d %s", host, r.status, r.body)
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "127.0.0.1", "[::1]:" + port, "192.168.1.2:" + port, "localhost:" + port,
		"hearth", "hearth.lan:" + port, "HEARTH.LOCAL.", "hearth.home.arpa", "dashboard.example.net:" + port} {
		if r := get(host); r.status != http.StatusOK {
			t.Errorf("Host %s: %d %s", host, r.status, r.body)
		}
	}
	open := New(Options{Config: Config{Hosts: []string{"*"}}})
	if !open.hosts.allowed("evil.example") {
		t.Error(`web.hosts: ["*"] still checks`)
	}
}

func TestConfigHostsAndTLS(t *testing.T) {
	t.Parallel()
	base := Config{Enabled: true, Listen: ":8080", SessionTTL: time.Hour}
	for _, tc := range []struct {
		mod  func(*Config)
		want string // "" for valid
	}{
		{func(c *Config) { c.Hosts = []string{"hearth.example.org", "*", "192.168.1.2", "fd00::2"} }, ""},
		{func(c *Config) { c.Hosts = []string{"hearth.lan:8080"} }, "web.hosts[0]"},
		{func(c *Config) { c.Hosts = []string{"ok", "bad name"} }, "web.hosts[1]"},
		{func(c *Config) { c.TLS.SelfSigned = true }, ""},
		{func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "/c", "/k" }, ""},
		{func(c *Config) { c.TLS.CertFile = "/c" }, "web.tls.cert_file: set without key_file"},
		{func(c *Config) { c.TLS.KeyFile = "/k" }, "web.tls.key_file: set without cert_file"},
		{func(c *Config) { c.TLS.SelfSigned, c.TLS.CertFile, c.TLS.KeyFile = true, "/c", "/k" }, "web.tls.self_signed"},
	} {
		c := base
		tc.mod(&c)
		errs := errors.Join(c.Validate("web")...)
		switch {
		case tc.want == "" && errs != nil:
			t.Errorf("%+v: %v", c, errs)
		case tc.want != "" && (errs == nil || !strings.Contains(errs.Error(), tc.want)):
			t.Errorf("%+v: %v, want an error at %s", c, errs, tc.want)
		}
	}
}

// TestNameDeviceRefusesControlCharacters: a name set on the dashboard
// cannot carry terminal escapes, bells, C1 controls or text-direction
// overrides, and a new name is a slug ("Alex's iPad" is refused with
// "alexs-ipad" suggested): 422 with the field named, and nothing saved.
func TestNameDeviceRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	h := newHardServer(t, Config{})
	login, _ := h.apiLogin("127.0.0.1", testPassword, nil)
	var session struct{ CSRF string }
	if err := json.Unmarshal([]byte(login.body), &session); err != nil || login.cookie == nil {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	hdr := map[string]string{"Cookie": SessionCookie + "=" + login.cookie.Value, CSRFHeader: session.CSRF}
	put := func(name, group string) hardResp {
		b, _ := json.Marshal(map[string]string{"name": name, "group": group})
		r, _ := h.do(hardReq{from: "127.0.0.1", method: "PUT", url: h.url + "/api/devices/ip:127.0.0.3", body: string(b), header: hdr})
		return r
	}
	for _, tc := range []struct{ name, group, field, want string }{
		{"Alex\x1b[2J", "", "name", "U+001B"},
		{"ring\x07", "", "name", "U+0007"},
		{"del\x7f", "", "name", "U+007F"},
		{"c1\u009b31m", "", "name", "U+009B"},
		{"\u202eenolp", "", "name", "U+202E"},
		{"iso\u2066late", "", "name", "U+2066"},
		{"sep\u2028x", "", "name", "U+2028"},
		{"alex", "kids\x1b", "group", "U+001B"},
		// The naming rule: a new name is a slug, and the answer suggests one.
		{"Alex's iPad", "kids", "name", `write "alexs-ipad"`},
		{"Alex's iPad – Küche", "kids", "name", `write "alexs-ipad-kuche"`},
	} {
		r := put(tc.name, tc.group)
		var body apiError
		_ = json.Unmarshal([]byte(r.body), &body)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(body.Fields[tc.field], tc.want) {
			t.Errorf("name %q group %q: %d %s", tc.name, tc.group, r.status, r.body)
		}
	}
	if names := h.srv.opts.Engine.Assignments().List(); len(names) != 0 {
		t.Errorf("saved after refusals: %+v", names)
	}
	if r := put("alexs-ipad", "kids"); r.status != http.StatusOK {
		t.Errorf("a slug: %d %s", r.status, r.body)
	}
}
