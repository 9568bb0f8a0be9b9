package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/web"
)

// apiClient talks to a running dashboard: a cookie jar for the session and
// the CSRF token from the login.
type apiClient struct {
	t     *testing.T
	base  string
	http  *http.Client
	csrf  string
	token string // a bearer token instead of the session, if set
}

func newAPIClient(t *testing.T, base, from string) *apiClient {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiClient{t: t, base: base, http: &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}}
}

// do sends a request (body marshalled to JSON unless a string) and returns
// the status and the decoded JSON body (nil if none).
func (c *apiClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(data, &out); err != nil {
			c.t.Fatalf("%s %s: body %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode, out
}

// want checks a status, printing the body when it differs.
func (c *apiClient) want(status int, method, path string, body any) map[string]any {
	c.t.Helper()
	got, out := c.do(method, path, body)
	if got != status {
		c.t.Fatalf("%s %s: status %d, want %d; body %v", method, path, got, status, out)
	}
	return out
}

// TestServeProcessAPI runs `hearth serve` with the dashboard on a loopback
// port and drives the API as a parent's phone would: no password yet, then
// login, CSRF, pause and cancel with their effect on DNS, bonus time,
// naming an unknown device (kept across a restart without touching
// hearth.yaml), bearer tokens, bad input, the audit trail, reload, and the
// login rate limit.
func TestServeProcessAPI(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	webAddr := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	familyConfig(t, path, listen, "udp://"+up.Addr, "{block: [gaming]}",
		"# the parents' own comment, which Hearth must keep",
		fmt.Sprintf("web: {listen: %q}", webAddr))
	t.Setenv("HEARTH_WEB_LISTEN", webAddr) // over TestMain's, which would win over the file
	yamlBefore := fileHash(t, path)

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	base := "http://" + webAddr
	c := newAPIClient(t, base, "127.0.0.1")

	// Before a password: health answers, everything else says how to set one.
	c.want(http.StatusOK, "GET", "/api/health", nil)
	if out := c.want(http.StatusForbidden, "GET", "/api/status", nil); !strings.Contains(fmt.Sprint(out["error"]), "hearth passwd") {
		t.Errorf("no password: %v", out)
	}
	c.want(http.StatusForbidden, "POST", "/api/login", map[string]string{"password": "anything"})

	// `hearth passwd`, with the server running: picked up without a restart.
	passwd, _, stderr := testApp()
	passwd.stdin = strings.NewReader("family-secret-1\n")
	if code := execute(t.Context(), passwd, []string{"passwd", "--config", path}); code != 0 {
		t.Fatalf("hearth passwd: exit %d: %s", code, stderr)
	}
	// The dashboard looks at the file at most once a second.
	waitUntil(t, "the dashboard sees the password", 5*time.Second, func() bool {
		got, _ := c.do("GET", "/api/status", nil)
		return got == http.StatusUnauthorized
	})
	c.want(http.StatusUnauthorized, "POST", "/api/login", map[string]string{"password": "wrong-password"})
	login := c.want(http.StatusOK, "POST", "/api/login", map[string]string{"password": "family-secret-1"})
	csrf, _ := login["csrf"].(string)
	if csrf == "" {
		t.Fatalf("login: %v", login)
	}

	// Status: the child's device, its group and what is blocked now.
	status := c.want(http.StatusOK, "GET", "/api/status", nil)
	devices, _ := status["devices"].([]any)
	if len(devices) != 2 {
		t.Fatalf("status devices = %v", devices)
	}
	kid, _ := devices[0].(map[string]any)
	if kid["name"] != "kid-tablet" || kid["group"] != "kids" || !strings.Contains(fmt.Sprint(kid["blocked"]), "gaming") {
		t.Errorf("kid-tablet status = %v", kid)
	}
	c.want(http.StatusNotFound, "GET", "/api/status/nobody", nil)

	// A change without the CSRF token is refused, and changes nothing.
	pause := map[string]any{"device": "kid-tablet", "minutes": 30}
	c.want(http.StatusForbidden, "POST", "/api/pause", pause)
	if r := askFrom(t, "127.0.0.2", listen, "www.example.org."); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("before the pause: %s", dns.RcodeToString[r.Rcode])
	}
	c.csrf = csrf
	out := c.want(http.StatusCreated, "POST", "/api/pause", pause)
	ov, _ := out["override"].(map[string]any)
	id, _ := ov["id"].(string)
	if r := askFrom(t, "127.0.0.2", listen, "www.example.org."); r.Rcode != dns.RcodeNameError || !strings.Contains(edeText(r), "paused") {
		t.Errorf("paused device: %s, EDE %q", dns.RcodeToString[r.Rcode], edeText(r))
	}
	if r := askFrom(t, "127.0.0.3", listen, "www.example.org."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("another device during the pause: %s", dns.RcodeToString[r.Rcode])
	}
	c.want(http.StatusNoContent, "DELETE", "/api/overrides/"+id, nil)
	if r := askFrom(t, "127.0.0.2", listen, "www.example.org."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after cancelling the pause: %s", dns.RcodeToString[r.Rcode])
	}
	c.want(http.StatusNotFound, "DELETE", "/api/overrides/"+id, nil)

	// Bonus time lifts the gaming rule for the child's device.
	if r := askFrom(t, "127.0.0.2", listen, "www.roblox.com."); r.Rcode != dns.RcodeNameError {
		t.Fatalf("roblox before the bonus: %s", dns.RcodeToString[r.Rcode])
	}
	c.want(http.StatusCreated, "POST", "/api/bonus", map[string]any{"device": "kid-tablet", "what": "gaming", "minutes": 30})
	if r := askFrom(t, "127.0.0.2", listen, "www.roblox.com."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("roblox with bonus time: %s", dns.RcodeToString[r.Rcode])
	}

	// Bad input: clear errors with the right status, never a crash.
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"POST", "/api/pause", map[string]any{"device": "nobody", "minutes": 30}, http.StatusNotFound, ""},
		{"POST", "/api/pause", map[string]any{"group": "teens", "minutes": 30}, http.StatusNotFound, ""},
		{"POST", "/api/bonus", map[string]any{"device": "kid-tablet", "what": "fortnight", "minutes": 30}, http.StatusUnprocessableEntity, "what"},
		{"POST", "/api/pause", map[string]any{"device": "kid-tablet", "minutes": -5}, http.StatusUnprocessableEntity, "minutes"},
		{"POST", "/api/pause", map[string]any{"device": "kid-tablet"}, http.StatusUnprocessableEntity, "minutes"},
		{"POST", "/api/pause", map[string]any{"device": "kid-tablet", "until": "2020-01-01T00:00:00Z"}, http.StatusUnprocessableEntity, "until"},
		{"POST", "/api/pause", map[string]any{"device": "kid-tablet", "minutes": 30, "colour": "red"}, http.StatusBadRequest, ""},
		{"POST", "/api/pause", `{"device": "kid-tablet", "minutes": `, http.StatusBadRequest, ""},
		{"POST", "/api/pause", `{"device": 7}`, http.StatusBadRequest, ""},
		{"PUT", "/api/devices/ip:127.0.0.3", map[string]any{"name": "x", "group": "teens"}, http.StatusUnprocessableEntity, "devices[1].group"},
		{"PUT", "/api/groups/kids", map[string]any{"rules": []any{map[string]any{"block": []string{"fortnight"}}}}, http.StatusUnprocessableEntity, "groups.kids.rules[0].block[0]"},
		{"PUT", "/api/groups/kids", map[string]any{"rules": []any{map[string]any{"block": []string{"gaming"}, "outside": []string{"mon-fri 16:00-19:00", "mon 18:00-20:00"}}}}, http.StatusUnprocessableEntity, "groups.kids.rules[0].outside[1]"},
		{"PUT", "/api/groups/kids", map[string]any{"rulez": []any{}}, http.StatusUnprocessableEntity, "groups.kids.rulez"},
		{"DELETE", "/api/groups/kids", nil, http.StatusConflict, ""},
		{"DELETE", "/api/groups/teens", nil, http.StatusNotFound, ""},
		{"PUT", "/api/household", map[string]any{"timezone": "Europe/Lndon"}, http.StatusUnprocessableEntity, "timezone"},
		{"PUT", "/api/devices/not-a-key", map[string]any{"name": "x"}, http.StatusUnprocessableEntity, "key"},
		{"PUT", "/api/devices/ip:127.0.0.3", map[string]any{"name": "Games Console", "group": "kids"}, http.StatusUnprocessableEntity, "name"},
		{"GET", "/api/log?since=forever", nil, http.StatusUnprocessableEntity, "since"},
		{"GET", "/api/report?device=nobody", nil, http.StatusNotFound, ""},
		{"GET", "/api/nothing-here", nil, http.StatusNotFound, ""},
	} {
		status, out := c.do(tc.method, tc.path, tc.body)
		if status != tc.status || out["error"] == nil {
			t.Errorf("%s %s %v: status %d, body %v; want %d with an error", tc.method, tc.path, tc.body, status, out, tc.status)
			continue
		}
		if fields, _ := out["fields"].(map[string]any); tc.field != "" && fields[tc.field] == nil {
			t.Errorf("%s %s %v: fields %v, want %q named", tc.method, tc.path, tc.body, fields, tc.field)
		}
	}

	// The naming rule: the answer suggests the slug.
	if _, out := c.do("PUT", "/api/devices/ip:127.0.0.3", map[string]any{"name": "Games Console"}); !strings.Contains(fmt.Sprint(out["fields"]), `write "games-console"`) {
		t.Errorf("PUT a name that is not a slug: %v", out)
	}

	// An unknown device (127.0.0.3 asked above) named and put in kids.
	seen := c.want(http.StatusOK, "GET", "/api/devices", nil)
	if !strings.Contains(fmt.Sprint(seen["devices"]), "ip:127.0.0.3") {
		t.Fatalf("devices seen = %v", seen["devices"])
	}
	c.want(http.StatusOK, "PUT", "/api/devices/ip:127.0.0.3", map[string]any{"name": "guest-phone", "group": "kids"})
	if r := askFrom(t, "127.0.0.3", listen, "www.roblox.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("named device in kids, roblox: %s", dns.RcodeToString[r.Rcode])
	}

	// A token for scripts: no session, no CSRF.
	tokens, _, stderr := testApp()
	var tokOut bytes.Buffer
	tokens.stdout = &tokOut
	if code := execute(t.Context(), tokens, []string{"passwd", "--config", path, "--token", "backup-script"}); code != 0 {
		t.Fatalf("hearth passwd --token: exit %d: %s", code, stderr)
	}
	token := ""
	for f := range strings.FieldsSeq(tokOut.String()) {
		if strings.HasPrefix(f, "hth_") {
			token = f
			break
		}
	}
	script := newAPIClient(t, base, "127.0.0.1")
	script.token = token
	// admin.json is looked at once a second.
	waitUntil(t, "the dashboard sees the token", 5*time.Second, func() bool {
		got, _ := script.do("GET", "/api/overrides", nil)
		return got == http.StatusOK
	})
	script.token = ""
	script.want(http.StatusUnauthorized, "GET", "/api/overrides", nil)
	script.token = token
	script.want(http.StatusOK, "GET", "/api/overrides", nil)
	script.want(http.StatusCreated, "POST", "/api/pause", map[string]any{"group": "default", "minutes": 5})
	script.token = "hth_" + strings.Repeat("0", 43)
	script.want(http.StatusUnauthorized, "GET", "/api/overrides", nil)

	// The journal: the blocked lookups, and the report's data.
	// The journal commits once a flush interval (1 s).
	var logOut map[string]any
	waitUntil(t, "the blocked lookup in /api/log", 5*time.Second, func() bool {
		logOut = c.want(http.StatusOK, "GET", "/api/log?since=1h", nil)
		return strings.Contains(fmt.Sprint(logOut["rows"]), "www.roblox.com")
	})
	rep := c.want(http.StatusOK, "GET", "/api/report?since=1d", nil)
	if !strings.Contains(fmt.Sprint(rep["devices"]), "kid-tablet") {
		t.Errorf("report devices = %v", rep["devices"])
	}
	c.want(http.StatusOK, "GET", "/api/lists", nil)
	c.want(http.StatusOK, "GET", "/api/groups", nil)

	// Metrics, as Prometheus scrapes them (no login; counts only).
	families := scrape(t, base+"/metrics")
	blocked := 0.0
	for _, m := range families["hearth_blocked_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["category"] == "gaming" && labels["group"] == "kids" {
			blocked += m.GetCounter().GetValue()
		}
	}
	if blocked < 2 {
		t.Errorf("hearth_blocked_total{category=gaming,group=kids} = %v, want >= 2", blocked)
	}
	if families["hearth_dns_queries_total"] == nil || families["hearth_upstream_duration_seconds"] == nil {
		t.Errorf("metrics lack queries or upstream latency: %d families", len(families))
	}

	// Every change is in the audit trail: who, what, when.
	trail := c.want(http.StatusOK, "GET", "/api/audit", nil)
	text := fmt.Sprint(trail["changes"])
	for _, want := range []string{"action:pause", "action:cancel", "action:bonus", "action:name-device", "who:token backup-script", "who:dashboard"} {
		if !strings.Contains(text, want) {
			t.Errorf("audit trail lacks %q: %s", want, text)
		}
	}

	// Reload: a good file is taken; a bad one refused, DNS unaffected.
	c.want(http.StatusOK, "POST", "/api/reload", nil)
	broken, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(broken, []byte("\ncache: {size: lots}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := c.want(http.StatusUnprocessableEntity, "POST", "/api/reload", nil); !strings.Contains(fmt.Sprint(out["error"]), "cache.size") {
		t.Errorf("bad reload: %v", out)
	}
	if err := os.WriteFile(path, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := askFrom(t, "127.0.0.2", listen, "www.example.org."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after a refused reload: %s", dns.RcodeToString[r.Rcode])
	}

	// Logging in is rate-limited per address.
	guesser := newAPIClient(t, base, "127.0.0.9")
	limited := false
	for i := 0; i < 8 && !limited; i++ {
		status, _ := guesser.do("POST", "/api/login", map[string]string{"password": fmt.Sprintf("guess-%d", i)})
		limited = status == http.StatusTooManyRequests
	}
	if !limited {
		t.Error("8 wrong passwords from one address were never refused with 429")
	}
	if status, _ := guesser.do("POST", "/api/login", map[string]string{"password": "family-secret-1"}); status != http.StatusTooManyRequests {
		t.Errorf("the right password while locked out: %d, want 429", status)
	}

	// Restart: the named device keeps its name and group, from hearth.yaml,
	// where the parents' comment is kept.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
	<-p.done
	if fileHash(t, path) == yamlBefore {
		t.Error("hearth.yaml was not written")
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "# the parents' own comment, which Hearth must keep") || !strings.Contains(string(b), "guest-phone") {
		t.Errorf("hearth.yaml after the API's edits:\n%s", b)
	}
	p = startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	if r := askFrom(t, "127.0.0.3", listen, "www.roblox.com."); r.Rcode != dns.RcodeNameError || !strings.Contains(edeText(r), "groups.kids") {
		t.Errorf("after a restart, the named device: %s, EDE %q", dns.RcodeToString[r.Rcode], edeText(r))
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
	<-p.done
	if _, err := os.Stat(filepath.Join(dir, web.AuditFile)); err != nil {
		t.Errorf("audit file: %v", err)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// scrape fetches a Prometheus endpoint and parses it with the text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return families
}
