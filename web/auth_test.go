package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

const testPassword = "correct horse"

// writeTestPassword writes admin.json with password at bcrypt's lowest cost
// (SetPassword's default cost would make the rate-limit tests slow).
func writeTestPassword(t *testing.T, dir, password string) {
	t.Helper()
	f, err := readAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	f.Password = string(h)
	if err := writeAdmin(dir, f); err != nil {
		t.Fatal(err)
	}
}

// authServer is a tiny app over an Auth: log in, log out, who am I, and a
// change that needs the CSRF token.
type authServer struct {
	*httptest.Server
	auth *Auth
	clk  *clocktest.Fake
	dir  string
}

func newAuthServer(t *testing.T, tlsToo bool) *authServer {
	t.Helper()
	dir := t.TempDir()
	clk := clocktest.New(time.Now().Truncate(time.Second))
	a := NewAuth(dir, clk, time.Hour)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Login(w, r, r.PostFormValue("password"))
		var rl RateLimitedError
		switch {
		case errors.As(err, &rl):
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())))
			http.Error(w, err.Error(), http.StatusTooManyRequests)
		case errors.Is(err, ErrNoPassword):
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		case err != nil:
			http.Error(w, err.Error(), http.StatusUnauthorized)
		default:
			fmt.Fprint(w, p.CSRF)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) { a.Logout(w, r) })
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.Principal(r)
		if !ok {
			http.Error(w, "log in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s %s %s", p.Kind, p.Name, p.Addr)
	})
	mux.HandleFunc("POST /change", func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.Principal(r)
		if !ok {
			http.Error(w, "log in", http.StatusUnauthorized)
			return
		}
		if !a.CheckCSRF(r, p) {
			http.Error(w, "csrf", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "changed by %s", p.Name)
	})
	var srv *httptest.Server
	if tlsToo {
		srv = httptest.NewTLSServer(mux)
	} else {
		srv = httptest.NewServer(mux)
	}
	t.Cleanup(srv.Close)
	return &authServer{Server: srv, auth: a, clk: clk, dir: dir}
}

type req struct {
	method, path string
	form         url.Values
	header       map[string]string
	cookie       *http.Cookie
}

func (s *authServer) do(t *testing.T, q req) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if q.form != nil {
		body = strings.NewReader(q.form.Encode())
	}
	r, err := http.NewRequest(q.method, s.URL+q.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if q.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	if q.cookie != nil {
		r.AddCookie(q.cookie)
	}
	resp, err := s.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, strings.TrimSpace(string(b))
}

// login logs in with password and returns the status, the session cookie
// (nil if none) and the body (the CSRF token on success).
func (s *authServer) login(t *testing.T, password string) (int, *http.Cookie, string) {
	t.Helper()
	resp, body := s.do(t, req{method: "POST", path: "/login", form: url.Values{"password": {password}}})
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			return resp.StatusCode, c, body
		}
	}
	return resp.StatusCode, nil, body
}

func (s *authServer) whoami(t *testing.T, c *http.Cookie, header map[string]string) (int, string) {
	t.Helper()
	resp, body := s.do(t, req{method: "GET", path: "/whoami", cookie: c, header: header})
	return resp.StatusCode, body
}

func TestAuthNoPassword(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	if s.auth.PasswordSet() || s.auth.Problem() != nil {
		t.Fatalf("empty state dir: PasswordSet %v, Problem %v", s.auth.PasswordSet(), s.auth.Problem())
	}
	code, c, body := s.login(t, "anything-at-all")
	if code != http.StatusServiceUnavailable || c != nil || !strings.Contains(body, "sudo hearth passwd") {
		t.Errorf("login without a password: %d, cookie %v, %q", code, c, body)
	}
}

func TestAuthLoginAndCookie(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	writeTestPassword(t, s.dir, testPassword)

	if code, c, body := s.login(t, "wrong horse"); code != http.StatusUnauthorized || c != nil || body != ErrBadPassword.Error() {
		t.Errorf("wrong password: %d, cookie %v, %q", code, c, body)
	}
	resp, body := s.do(t, req{method: "POST", path: "/login", form: url.Values{"password": {testPassword}}})
	if resp.StatusCode != http.StatusOK || len(body) < 40 {
		t.Fatalf("right password: %d %q", resp.StatusCode, body)
	}
	raw := resp.Header.Values("Set-Cookie")
	if len(raw) != 1 {
		t.Fatalf("Set-Cookie: %q", raw)
	}
	for _, want := range []string{SessionCookie + "=", "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=3600", "Expires="} {
		if !strings.Contains(raw[0], want) {
			t.Errorf("Set-Cookie %q lacks %q", raw[0], want)
		}
	}
	if strings.Contains(raw[0], "Secure") {
		t.Errorf("Set-Cookie %q is Secure over plain HTTP", raw[0])
	}
	c := resp.Cookies()[0]
	if want := s.clk.Now().Add(time.Hour); !c.Expires.Equal(want) {
		t.Errorf("cookie expires %v, want %v", c.Expires, want)
	}
	if len(c.Value) < 43 {
		t.Errorf("session id %q is short", c.Value)
	}
	if code, who := s.whoami(t, c, nil); code != 200 || who != "session dashboard 127.0.0.1" {
		t.Errorf("whoami with the cookie: %d %q", code, who)
	}
	if code, _ := s.whoami(t, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("whoami without a cookie: %d", code)
	}
	forged := *c
	forged.Value = randomString()
	if code, _ := s.whoami(t, &forged, nil); code != http.StatusUnauthorized {
		t.Errorf("whoami with a made-up session: %d", code)
	}

	// Logout ends the session and clears the cookie.
	resp, _ = s.do(t, req{method: "POST", path: "/logout", cookie: c})
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != SessionCookie || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("logout's cookie: %v", cs)
	}
	if code, _ := s.whoami(t, c, nil); code != http.StatusUnauthorized {
		t.Errorf("whoami after logout: %d", code)
	}
}

func TestAuthLoginSecureCookieOverTLS(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, true)
	writeTestPassword(t, s.dir, testPassword)
	code, c, _ := s.login(t, testPassword)
	if code != 200 || c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login over TLS: %d, cookie %+v", code, c)
	}
}

func TestAuthSessionExpiry(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	writeTestPassword(t, s.dir, testPassword)
	_, c, _ := s.login(t, testPassword)
	if c == nil {
		t.Fatal("no session cookie")
	}
	s.clk.Advance(time.Hour - time.Second)
	if code, _ := s.whoami(t, c, nil); code != 200 {
		t.Errorf("a second before expiry: %d", code)
	}
	s.clk.Advance(time.Second)
	if code, _ := s.whoami(t, c, nil); code != http.StatusUnauthorized {
		t.Errorf("at expiry: %d", code)
	}
	s.auth.mu.Lock()
	n := len(s.auth.sessions)
	s.auth.mu.Unlock()
	if n != 0 {
		t.Errorf("%d sessions kept after expiry", n)
	}
}

func TestAuthSessionTTLDefault(t *testing.T) {
	t.Parallel()
	if a := NewAuth(t.TempDir(), nil, 0); a.ttl != 12*time.Hour {
		t.Errorf("ttl %v, want 12h", a.ttl)
	}
}

func TestAuthCSRF(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	writeTestPassword(t, s.dir, testPassword)
	_, c, csrf := s.login(t, testPassword)
	if c == nil || len(csrf) < 40 {
		t.Fatalf("login: cookie %v, csrf %q", c, csrf)
	}
	host := strings.TrimPrefix(s.URL, "http://")
	cases := []struct {
		name   string
		form   url.Values
		header map[string]string
		cookie *http.Cookie
		want   int
	}{
		{"no session", nil, map[string]string{CSRFHeader: csrf}, nil, 401},
		{"missing", nil, nil, c, 403},
		{"wrong header", nil, map[string]string{CSRFHeader: otherLast(csrf)}, c, 403},
		{"wrong form field", url.Values{CSRFField: {"nope"}}, nil, c, 403},
		{"right header", nil, map[string]string{CSRFHeader: csrf}, c, 200},
		{"right form field", url.Values{CSRFField: {csrf}, "pause": {"30m"}}, nil, c, 200},
		{"in the query only", nil, nil, c, 403}, // path below carries ?csrf=
		{"right, from another origin", nil, map[string]string{CSRFHeader: csrf, "Origin": "http://evil.example"}, c, 403},
		{"right, origin null", nil, map[string]string{CSRFHeader: csrf, "Origin": "null"}, c, 403},
		{"right, from this origin", nil, map[string]string{CSRFHeader: csrf, "Origin": "http://" + host}, c, 200},
		{"right, cross-site fetch", nil, map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "cross-site"}, c, 403},
		{"right, same-origin fetch", nil, map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "same-origin"}, c, 200},
	}
	for _, tc := range cases {
		path := "/change"
		if tc.name == "in the query only" {
			path += "?csrf=" + url.QueryEscape(csrf)
		}
		resp, body := s.do(t, req{method: "POST", path: path, form: tc.form, header: tc.header, cookie: tc.cookie})
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.name, resp.StatusCode, body, tc.want)
		}
	}
	if s.auth.CheckCSRF(httptest.NewRequest("POST", "/", nil), Principal{Kind: "session"}) {
		t.Error("a session principal without a CSRF token passed")
	}
	if s.auth.CheckCSRF(httptest.NewRequest("POST", "/", nil), Principal{Kind: "", CSRF: ""}) {
		t.Error("the zero principal passed")
	}
}

func TestAuthBearerToken(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	writeTestPassword(t, s.dir, testPassword)
	tok, err := NewToken(s.dir, "backup-script")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "hth_") || len(tok) != 4+43 {
		t.Errorf("token %q: want hth_ and 43 base64url characters", tok)
	}
	raw, _ := os.ReadFile(filepath.Join(s.dir, AdminFile))
	if strings.Contains(string(raw), strings.TrimPrefix(tok, "hth_")) {
		t.Errorf("admin.json holds the token itself:\n%s", raw)
	}
	s.clk.Advance(time.Second) // admin.json is looked at once a second

	bearer := map[string]string{"Authorization": "Bearer " + tok}
	if code, who := s.whoami(t, nil, bearer); code != 200 || who != "token backup-script 127.0.0.1" {
		t.Errorf("whoami with the token: %d %q", code, who)
	}
	if code, who := s.whoami(t, nil, map[string]string{"Authorization": "bearer " + tok}); code != 200 {
		t.Errorf("lower-case scheme: %d %q", code, who)
	}
	resp, body := s.do(t, req{method: "POST", path: "/change", header: bearer})
	if resp.StatusCode != 200 || body != "changed by backup-script" {
		t.Errorf("a change with the token and no CSRF token: %d %q", resp.StatusCode, body)
	}
	for _, bad := range []string{otherLast(tok), "hth_", strings.TrimPrefix(tok, "hth_"), ""} {
		if code, who := s.whoami(t, nil, map[string]string{"Authorization": "Bearer " + bad}); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d %q", bad, code, who)
		}
	}
	// A bad token is nobody, even with a good session.
	_, c, _ := s.login(t, testPassword)
	if code, _ := s.whoami(t, c, map[string]string{"Authorization": "Bearer hth_nope"}); code != http.StatusUnauthorized {
		t.Errorf("bad token with a good cookie: %d", code)
	}

	if err := RevokeToken(s.dir, "backup-script"); err != nil {
		t.Fatal(err)
	}
	s.clk.Advance(time.Second)
	if code, _ := s.whoami(t, nil, bearer); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", code)
	}
	if code, _ := s.whoami(t, c, nil); code != 200 {
		t.Errorf("revoking a token ended the session: %d", code)
	}
}

func TestAuthLoginRateLimit(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	writeTestPassword(t, s.dir, testPassword)
	for i := range clientFailures {
		if code, _, body := s.login(t, fmt.Sprintf("guess-%d", i)); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %q", i, code, body)
		}
		s.clk.Advance(time.Minute)
	}
	// Locked out for 15 minutes from the fifth failure, right password or not.
	resp, body := s.do(t, req{method: "POST", path: "/login", form: url.Values{"password": {testPassword}}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "try again in 14 minutes") ||
		resp.Header.Get("Retry-After") != "840" || len(resp.Cookies()) != 0 {
		t.Errorf("sixth try with the right password: %d %q, Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	s.clk.Advance(14*time.Minute - time.Second)
	if code, _, body := s.login(t, testPassword); code != http.StatusTooManyRequests || !strings.Contains(body, "in a second") {
		t.Errorf("a second before the end: %d %q", code, body)
	}
	s.clk.Advance(time.Second)
	if code, c, body := s.login(t, testPassword); code != 200 || c == nil {
		t.Fatalf("after the window: %d %q", code, body)
	}

	// A success starts afresh: five more tries, then locked again.
	for i := range clientFailures {
		if code, _, _ := s.login(t, "again"); code != http.StatusUnauthorized {
			t.Fatalf("try %d after a success: %d", i, code)
		}
	}
	if code, _, _ := s.login(t, testPassword); code != http.StatusTooManyRequests {
		t.Errorf("locked again: %d", code)
	}
	// Failing again after a lockout locks out for twice as long.
	s.clk.Advance(clientWindow)
	for range clientFailures {
		s.login(t, "still guessing")
	}
	s.clk.Advance(clientWindow)
	if code, _, body := s.login(t, testPassword); code != http.StatusTooManyRequests || !strings.Contains(body, "15 minutes") {
		t.Errorf("second lockout after 15 minutes: %d %q", code, body)
	}
	s.clk.Advance(clientWindow)
	if code, _, _ := s.login(t, testPassword); code != 200 {
		t.Errorf("second lockout after 30 minutes: %d", code)
	}
}

// otherLast is s with its last character changed.
func otherLast(s string) string {
	if strings.HasSuffix(s, "A") {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

// loginFrom logs in directly (no server) as a client at addr.
func loginFrom(a *Auth, addr, password string) error {
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = addr
	_, err := a.Login(httptest.NewRecorder(), r, password)
	return err
}

func TestAuthLimiterBounded(t *testing.T) {
	t.Parallel()
	var l limiter
	l.clients = map[netip.Addr]*client{}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 * maxClients {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if _, err := l.begin(ip, now); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		l.fail(ip, now)
		now = now.Add(3 * time.Second)
	}
	if len(l.clients) > maxClients || len(l.global) > maxGlobal || l.globalPending != 0 {
		t.Errorf("%d clients, %d global failures, %d pending", len(l.clients), len(l.global), l.globalPending)
	}
}

func TestAuthLoginInFlightCounts(t *testing.T) {
	t.Parallel()
	var l limiter
	l.clients = map[netip.Addr]*client{}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr("192.168.1.9")
	for i := range clientFailures {
		if _, err := l.begin(ip, now); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	var rl RateLimitedError
	if _, err := l.begin(ip, now); !errors.As(err, &rl) {
		t.Errorf("a sixth attempt while five are in flight: %v", err)
	}
}

func TestAuthPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	s := newAuthServer(t, false)
	writeTestPassword(t, s.dir, testPassword)
	_, c, _ := s.login(t, testPassword)
	if code, _ := s.whoami(t, c, nil); code != 200 {
		t.Fatalf("before the change: %d", code)
	}
	tok, err := NewToken(s.dir, "kept")
	if err != nil {
		t.Fatal(err)
	}
	s.clk.Advance(time.Second)
	if code, _ := s.whoami(t, c, nil); code != 200 {
		t.Errorf("adding a token ended the session: %d", code)
	}
	writeTestPassword(t, s.dir, "battery staple")
	s.clk.Advance(time.Second)
	if code, _ := s.whoami(t, c, nil); code != http.StatusUnauthorized {
		t.Errorf("session after the password changed: %d", code)
	}
	if code, _, _ := s.login(t, testPassword); code != http.StatusUnauthorized {
		t.Errorf("old password: %d", code)
	}
	if code, _, _ := s.login(t, "battery staple"); code != 200 {
		t.Errorf("new password: %d", code)
	}
	if code, _ := s.whoami(t, nil, map[string]string{"Authorization": "Bearer " + tok}); code != 200 {
		t.Errorf("the token after a password change: %d", code)
	}
}

func TestAuthPicksUpFileWhileRunning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := clocktest.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a := NewAuth(dir, clk, 0)
	if a.PasswordSet() {
		t.Fatal("password set in an empty directory")
	}
	if err := SetPassword(dir, testPassword); err != nil { // the real cost, once
		t.Fatal(err)
	}
	if a.PasswordSet() {
		t.Error("admin.json read again within the second")
	}
	clk.Advance(time.Second)
	if !a.PasswordSet() {
		t.Fatal("new admin.json not picked up")
	}
	if err := loginFrom(a, "127.0.0.1:1", testPassword); err != nil {
		t.Errorf("login with the password set while running: %v", err)
	}

	// Damaged: no password, and Problem says why.
	path := filepath.Join(dir, AdminFile)
	if err := os.WriteFile(path, []byte(`{"version":1,"password":"plain`), 0o600); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if a.PasswordSet() || a.Problem() == nil || !strings.Contains(a.Problem().Error(), "damaged") {
		t.Errorf("damaged file: PasswordSet %v, Problem %v", a.PasswordSet(), a.Problem())
	}
	if err := loginFrom(a, "127.0.0.1:1", testPassword); !errors.Is(err, ErrNoPassword) {
		t.Errorf("login with a damaged file: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version":1,"password":"plain text"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if a.PasswordSet() || a.Problem() == nil || !strings.Contains(a.Problem().Error(), "bcrypt") {
		t.Errorf("not a hash: PasswordSet %v, Problem %v", a.PasswordSet(), a.Problem())
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if a.PasswordSet() || a.Problem() != nil {
		t.Errorf("removed file: PasswordSet %v, Problem %v", a.PasswordSet(), a.Problem())
	}
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := SetPassword(dir, "seven77"); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Errorf("7 characters: %v", err)
	}
	if err := SetPassword(dir, strings.Repeat("ü", 40)); err == nil || !strings.Contains(err.Error(), "72") {
		t.Errorf("80 bytes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, AdminFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused password wrote admin.json: %v", err)
	}
	if _, err := NewToken(dir, "kept"); err != nil {
		t.Fatal(err)
	}
	if err := SetPassword(dir, "ünïcödé"+"x"); err != nil { // 8 characters, more bytes
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, AdminFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.json mode %v, %v; want 0600", fi.Mode(), err)
	}
	f, err := readAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(f.Password)); cost != bcrypt.DefaultCost || bcrypt.CompareHashAndPassword([]byte(f.Password), []byte("ünïcödéx")) != nil {
		t.Errorf("stored hash %q (cost %d)", f.Password, cost)
	}
	if len(f.Tokens) != 1 || f.Tokens[0].Name != "kept" || f.Version != 1 {
		t.Errorf("admin.json after SetPassword: %+v", f)
	}
	// A damaged file is not overwritten (its tokens would be lost).
	if err := os.WriteFile(filepath.Join(dir, AdminFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SetPassword(dir, testPassword); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("SetPassword over a damaged file: %v", err)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, bad := range []string{"", "Backup", "back_up", "a b", strings.Repeat("x", 33)} {
		if _, err := NewToken(dir, bad); err == nil {
			t.Errorf("token name %q accepted", bad)
		}
	}
	if err := RevokeToken(dir, "ghost"); err == nil || !strings.Contains(err.Error(), "no tokens") {
		t.Errorf("revoke with no tokens: %v", err)
	}
	first, err := NewToken(dir, "backup-script")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewToken(dir, "ha-1"); err != nil {
		t.Fatal(err)
	}
	second, err := NewToken(dir, "backup-script") // replaces the first
	if err != nil || second == first {
		t.Fatalf("replacing: %q, %v", second, err)
	}
	list, err := Tokens(dir)
	if err != nil || len(list) != 2 || list[0].Name != "backup-script" || list[1].Name != "ha-1" || list[0].Created.IsZero() {
		t.Errorf("Tokens: %+v, %v", list, err)
	}
	clk := clocktest.New(time.Now())
	a := NewAuth(dir, clk, 0)
	for tok, want := range map[string]bool{first: false, second: true} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if _, ok := a.Principal(r); ok != want {
			t.Errorf("token %q accepted %v, want %v", tok, ok, want)
		}
	}
	err = RevokeToken(dir, "backup")
	if err == nil || !strings.Contains(err.Error(), "backup-script, ha-1") {
		t.Errorf("revoking an unknown name: %v", err)
	}
	if err := RevokeToken(dir, "ha-1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := Tokens(dir); len(list) != 1 || list[0].Name != "backup-script" {
		t.Errorf("after revoking ha-1: %+v", list)
	}
}

func TestRateLimitedErrorText(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		15 * time.Minute:        "try again in 15 minutes",
		14*time.Minute + 1:      "try again in 15 minutes",
		61 * time.Second:        "try again in 2 minutes",
		time.Minute:             "try again in 60 seconds",
		1500 * time.Millisecond: "try again in 2 seconds",
		time.Second:             "try again in a second",
	} {
		if got := (RateLimitedError{RetryAfter: d}).Error(); !strings.HasSuffix(got, want) {
			t.Errorf("%v: %q, want ...%q", d, got, want)
		}
	}
	var wrapped error = fmt.Errorf("login: %w", RateLimitedError{RetryAfter: time.Minute})
	var v RateLimitedError
	var p *RateLimitedError
	if !errors.As(wrapped, &v) || !errors.As(wrapped, &p) || v.RetryAfter != time.Minute || p.RetryAfter != time.Minute {
		t.Errorf("errors.As: %v, %v", v, p)
	}
}
