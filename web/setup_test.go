package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/configedit"
)

const setupYAML = "# our family's Hearth\ntimezone: Europe/London\ngroups:\n  default: {}\n"

// setupServer is a dashboard that has never been set up, listening on
// 127.0.0.1 for clients from 127.0.0.1 and 127.0.0.3 only, with a
// hearth.yaml it may write.
type setupServer struct {
	srv  *Server
	dir  string
	yaml string
	url  string
}

func newSetupServer(t *testing.T) *setupServer {
	t.Helper()
	s := &setupServer{dir: t.TempDir()}
	s.yaml = filepath.Join(s.dir, "hearth.yaml")
	if err := os.WriteFile(s.yaml, []byte(setupYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(pagesNoon)
	s.srv = New(Options{
		Config: Config{Enabled: true, Listen: "127.0.0.1:0", SessionTTL: time.Hour}, Engine: pagesEngine(t, clk), StateDir: s.dir,
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("127.0.0.3/32")},
		Clock:        clk, Logger: zerolog.Nop(), Version: "test", ConfigFile: &configedit.File{Path: s.yaml},
	})
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(ctx)
	})
	s.url = "http://" + s.srv.Addr().String()
	return s
}

func (s *setupServer) code(t *testing.T) string {
	t.Helper()
	code, err := ReadSetupCode(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// post sends a setup request from the address from.
func (s *setupServer) post(t *testing.T, from string, body any) (int, map[string]any, []*http.Cookie) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.url+"/api/setup", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := clientFrom(from).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out, resp.Cookies()
}

func (s *setupServer) untouched(t *testing.T, what string) {
	t.Helper()
	if b, _ := os.ReadFile(s.yaml); string(b) != setupYAML {
		t.Errorf("%s: hearth.yaml changed:\n%s", what, b)
	}
	if f, err := readAdmin(s.dir); err != nil || f.Password != "" {
		t.Errorf("%s: a password is set (%v)", what, err)
	}
}

func (s *setupServer) audited(t *testing.T, action string, ok bool) {
	t.Helper()
	changes, err := s.srv.audit.recent(50)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Action == action && c.OK == ok && c.Who == "setup" {
			return
		}
	}
	t.Errorf("no audit entry %s ok=%v in %+v", action, ok, changes)
}

// TestSetupRefused: without the code, with a wrong one, from outside
// web.allow_clients, with bad fields, and with a code already used, setup
// changes nothing; every attempt is audited; wrong codes count against the
// login limits.
func TestSetupRefused(t *testing.T) {
	s := newSetupServer(t)
	code := s.code(t)
	good := map[string]any{"code": code, "password": "a-long-enough-one", "timezone": "Europe/Dublin", "country": "ie", "presets": []string{"9-12"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		m[k] = v
		return m
	}

	for _, tc := range []struct {
		what, from string
		body       map[string]any
		status     int
		want       string
	}{
		{"no code", "127.0.0.1", with("code", ""), http.StatusForbidden, "wrong setup code"},
		{"wrong code", "127.0.0.1", with("code", "0000-0000-0000"), http.StatusForbidden, "wrong setup code"},
		{"outside allow_clients", "127.0.0.2", good, http.StatusForbidden, "allow_clients"},
		{"bad fields", "127.0.0.1", with("timezone", "Mars/Olympus"), http.StatusUnprocessableEntity, "timezone"},
		{"unknown preset", "127.0.0.1", with("presets", []string{"toddlers"}), http.StatusUnprocessableEntity, "presets[0]"},
		{"short password", "127.0.0.1", with("password", "short"), http.StatusUnprocessableEntity, "password"},
	} {
		status, out, _ := s.post(t, tc.from, tc.body)
		if status != tc.status || !strings.Contains(strings.ToLower(jsonText(out)), strings.ToLower(tc.want)) {
			t.Errorf("%s: %d %v, want %d with %q", tc.what, status, out, tc.status, tc.want)
		}
		s.untouched(t, tc.what)
	}
	s.audited(t, "setup-code", false)
	s.audited(t, "setup", false)

	// Wrong codes are failed logins: after five from one address, even the
	// right code waits.
	for range clientFailures {
		if status, out, _ := s.post(t, "127.0.0.3", with("code", "1111-1111-1111")); status != http.StatusForbidden {
			t.Fatalf("wrong code from 127.0.0.3: %d %v", status, out)
		}
	}
	if status, out, _ := s.post(t, "127.0.0.3", good); status != http.StatusTooManyRequests {
		t.Errorf("right code after five wrong ones: %d %v, want 429", status, out)
	}
	s.untouched(t, "locked out")

	// The right one, from an address that has not failed: set up.
	status, out, cookies := s.post(t, "127.0.0.1", good)
	if status != http.StatusOK || out["logged_in"] != true || len(cookies) == 0 {
		t.Fatalf("setup: %d %v", status, out)
	}
	// A used code: refused, and the file is gone.
	if status, out, _ := s.post(t, "127.0.0.1", good); status != http.StatusConflict || !strings.Contains(jsonText(out), "set up already") {
		t.Errorf("used code: %d %v, want 409", status, out)
	}
	if _, err := os.Stat(filepath.Join(s.dir, SetupCodeFile)); !os.IsNotExist(err) {
		t.Errorf("setup-code still there: %v", err)
	}
	for _, a := range []string{"setup-code", "setup-config", "setup-password", "login"} {
		s.audited(t, a, true)
	}
}

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestSetupPage: the login page sends a first start to the setup page,
// which offers zones, countries and presets and refuses two different
// passwords; sent right, it writes hearth.yaml (comments kept), logs the
// parent in and goes to the Devices page.
func TestSetupPage(t *testing.T) {
	s := newSetupServer(t)
	jar, _ := cookiejar.New(nil)
	c := clientFrom("127.0.0.1")
	c.Jar = jar
	get := func(path string, header map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(form url.Values) (*http.Response, string) {
		resp, err := c.PostForm(s.url+"/setup", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := get("/login", nil)
	wantRedirect(t, "login", resp, "/setup")
	resp, body := get("/setup", map[string]string{"Accept-Language": "en-US,en;q=0.8"})
	wantPage(t, "setup", resp, body, http.StatusOK, `name="code"`, `<option value="America/New_York">America/New York</option>`,
		`<option value="us" selected>United States</option>`, `value="9-12"`, `<option value="kids">`, `src="/static/setup.js"`)
	checkAccessible(t, "setup", body)
	if resp, js := get("/static/setup.js", nil); resp.StatusCode != http.StatusOK || !strings.Contains(js, "resolvedOptions().timeZone") {
		t.Errorf("setup.js: %d", resp.StatusCode)
	}

	form := url.Values{"code": {s.code(t)}, "password": {"a-long-enough-one"}, "password2": {"a-long-enough-0ne"},
		"timezone": {"America/New_York"}, "country": {"us"}, "preset": {"under-9", "13-15"}, "new_devices": {"little-kids"}}
	resp, body = post(form)
	wantPage(t, "passwords differ", resp, body, http.StatusUnprocessableEntity, "The two passwords differ", `data-touched="1"`)
	s.untouched(t, "passwords differ")

	form.Set("password2", "a-long-enough-one")
	resp, _ = post(form)
	wantRedirect(t, "setup", resp, "/devices")
	resp, body = get("/devices", nil)
	wantPage(t, "devices after setup", resp, body, http.StatusOK, "Hearth is set up")

	y, _ := os.ReadFile(s.yaml)
	for _, want := range []string{"# our family's Hearth", "timezone: America/New_York", "little-kids:", "teens:", "safe_search: moderate",
		"group: little-kids", "countries: [us]", "malware"} {
		if !bytes.Contains(y, []byte(want)) {
			t.Errorf("hearth.yaml lacks %q:\n%s", want, y)
		}
	}
	if bytes.Contains(y, []byte("older-teens")) {
		t.Errorf("hearth.yaml has a preset not picked:\n%s", y)
	}
	resp, _ = get("/setup", nil)
	wantRedirect(t, "setup again", resp, "/login")
}
