package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// Tests of the pages over real HTTP on loopback: a real policy engine for a
// small family on a fake clock, a real journal in a temporary directory,
// and an admin password set as `hearth passwd` sets it.

const pagesPassword = "open sesame 42"

// The family's devices: each 127.0.0.0/8 address is loopback on Linux, so
// the browser test can send DNS queries from each.
const (
	pagesKidIP    = "127.0.0.2"  // alex-tablet, kids
	pagesTeenIP   = "127.0.0.4"  // jo-laptop, teens
	pagesParentIP = "127.0.0.5"  // parents-phone, adults
	pagesGuestIP  = "127.0.0.99" // not named: the default group
)

var pagesLondon = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// pagesNoon is a school day, Thursday 26 November 2026, at noon in London:
// gaming is blocked for the kids until 16:00, chat allowed until 21:00.
var pagesNoon = time.Date(2026, 11, 26, 12, 0, 0, 0, pagesLondon)

// pagesHousehold is the family's policy.
func pagesHousehold() policy.Config {
	return policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Block: []string{"ads"}, Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Help:     policy.HelpConfig{Countries: []string{"gb"}},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices: []policy.DeviceConfig{
			{Name: "alex-tablet", IP: []string{pagesKidIP}, Group: "kids"},
			{Name: "jo-laptop", IP: []string{pagesTeenIP}, Group: "teens"},
			{Name: "parents-phone", IP: []string{pagesParentIP}, Group: "adults"},
		},
		Groups: map[string]policy.GroupConfig{
			"default": {},
			"adults":  {},
			"kids": {
				Rules: []policy.RuleConfig{
					{Block: []string{"gambling"}},
					{Block: []string{"gaming"}, Except: []string{"minecraft"}, Outside: []string{"mon-fri 16:00-19:00", "sat,sun 10:00-20:00"}},
					{Block: []string{"chat"}, Outside: []string{"daily 07:00-21:00"}},
					{Block: []string{"video"}, During: []string{"mon-fri 17:00-18:00"}},
				},
				Bedtime:    []string{"sun-thu 21:30-07:00", "fri,sat 22:30-08:00"},
				SafeSearch: policy.SafeSearchStrict,
			},
			"teens": {Rules: []policy.RuleConfig{{Block: []string{"social"}, During: []string{"mon-fri 09:00-15:30"}}}},
		},
	}
}

// pagesEngine is a policy engine for the family at the clock's instant,
// with the built-in catalogue and an inline "ads" list.
func pagesEngine(t testing.TB, clk *clocktest.Fake) *policy.Engine {
	t.Helper()
	return policytest.Engine(t, pagesHousehold(), clk)
}

// pagesFixture is the dashboard, its engine, journal and a browser-like
// client (a cookie jar; redirects are not followed, so tests see them).
type pagesFixture struct {
	t       *testing.T
	srv     *Server
	url     string
	engine  *policy.Engine
	journal *journal.Journal
	clk     *clocktest.Fake
	dir     string
	client  *http.Client
}

type pagesSetup struct {
	noPassword bool
	engine     *policy.Engine // nil: a new one
	clk        *clocktest.Fake
	seedDays   int     // days of pagesSeeds in the journal from the start
	backend    Backend // nil: none
}

func newPagesFixture(t *testing.T, setup pagesSetup) *pagesFixture {
	t.Helper()
	f := &pagesFixture{t: t, dir: t.TempDir(), clk: setup.clk, engine: setup.engine}
	if f.clk == nil {
		f.clk = clocktest.New(pagesNoon)
	}
	if f.engine == nil {
		f.engine = pagesEngine(t, f.clk)
	}
	if !setup.noPassword {
		if err := SetPassword(f.dir, pagesPassword); err != nil {
			t.Fatal(err)
		}
	}
	seeded := 0
	if setup.seedDays > 0 {
		seeded = f.seed(setup.seedDays)
	}
	f.journal = f.openJournal()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = f.journal.Close(ctx)
	})
	if rows, err := f.journal.Rows(context.Background(), journal.Filter{}); err != nil || len(rows) != seeded {
		t.Fatalf("the journal has %d rows (%v), want %d", len(rows), err, seeded)
	}
	f.srv = New(Options{
		Config:       Config{Enabled: true, Listen: "127.0.0.1:0", SessionTTL: time.Hour},
		Engine:       f.engine,
		Backend:      setup.backend,
		Journal:      f.journal,
		StateDir:     f.dir,
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Clock:        f.clk,
		Logger:       zerolog.Nop(),
		Version:      "test",
	})
	hs := httptest.NewServer(f.srv.Handler())
	t.Cleanup(hs.Close)
	f.url = hs.URL
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.client = &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

// pagesSeed is a week of blocked lookups for the report and the log.
type pagesSeed struct {
	device, client, name, category, service, rule string
	hour, attempts                                int
}

var pagesSeeds = []pagesSeed{
	{"alex-tablet", pagesKidIP, "www.roblox.com", "gaming", "roblox", "groups.kids.rules[1]", 20, 6},
	{"alex-tablet", pagesKidIP, "discord.com", "chat", "discord", "groups.kids.rules[2]", 22, 3},
	{"alex-tablet", pagesKidIP, "www.tiktok.com", "social", "tiktok", "groups.kids.rules[1]", 15, 2},
	{"jo-laptop", pagesTeenIP, "www.instagram.com", "social", "instagram", "groups.teens.rules[0]", 10, 4},
	{"", pagesGuestIP, "ads.example", "ads", "", "blocking", 13, 1},
}

// openJournal opens the fixture's journal file. No retention or size
// limit: the fake clock is in 2026.
func (f *pagesFixture) openJournal() *journal.Journal {
	return journal.Open(journal.Config{Path: filepath.Join(f.dir, "journal.db"), Queue: 1 << 14, FlushInterval: 10 * time.Millisecond},
		journal.Options{Logger: zerolog.Nop(), Clock: f.clk})
}

// reopenJournal closes the dashboard's journal, which writes everything
// recorded, and gives the dashboard the same file opened again: what was
// recorded is then in its database, without waiting for a flush.
func (f *pagesFixture) reopenJournal() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.journal.Close(ctx); err != nil {
		f.t.Fatal(err)
	}
	f.journal = f.openJournal()
	f.srv.opts.Journal = f.journal
}

// seed writes the seeds on each of the last days (more on later days) to
// the journal file, through a journal it closes (which writes everything
// recorded), and returns how many rows that makes.
func (f *pagesFixture) seed(days int) int {
	f.t.Helper()
	j := f.openJournal()
	now := f.clk.Now()
	want := 0
	for d := days - 1; d >= 0; d-- {
		day := now.Add(-time.Duration(d) * 24 * time.Hour)
		for i, s := range pagesSeeds {
			at := time.Date(day.Year(), day.Month(), day.Day(), s.hour, 7*i, 0, 0, pagesLondon)
			if !at.Before(now) {
				at = now.Add(-time.Duration(10+i) * time.Minute)
			}
			for n := range s.attempts + (days-d)%3 {
				j.Record(journal.Event{Time: at.Add(time.Duration(n) * time.Second), Device: s.device, Group: "kids",
					Client: netip.MustParseAddr(s.client), Name: s.name, Qtype: 1, Action: journal.ActionBlock, Reason: verdict.ReasonRule,
					Category: s.category, Service: s.service, Rule: s.rule, Response: "nxdomain"})
			}
			want++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := j.Close(ctx); err != nil {
		f.t.Fatal(err)
	}
	return want
}

// see makes the engine see a device at addr, as a query from it would.
func (f *pagesFixture) see(addr string) {
	a := netip.MustParseAddr(addr)
	f.engine.Decide(policy.Query{Name: "example.com", Client: identity.ClientInfo{Addr: a, Remote: a}, Now: f.clk.Now()})
}

// do sends a request and returns the response with its body read.
func (f *pagesFixture) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	resp, err := f.client.Do(r)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, string(b)
}

func (f *pagesFixture) get(path string) (*http.Response, string) { return f.do("GET", path, nil, nil) }

func (f *pagesFixture) post(path string, form url.Values) (*http.Response, string) {
	return f.do("POST", path, form, nil)
}

// login logs in and returns the CSRF token, from the Now page's forms.
func (f *pagesFixture) login() string {
	f.t.Helper()
	resp, body := f.post("/login", url.Values{"password": {pagesPassword}, "next": {"/now"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/now" {
		f.t.Fatalf("login: %s to %q\n%s", resp.Status, resp.Header.Get("Location"), body)
	}
	_, body = f.get("/now")
	return csrfOf(f.t, body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%s", page)
	}
	return m[1]
}

// wantPage checks a response's status and that its body has each of want.
func wantPage(t *testing.T, what string, resp *http.Response, body string, status int, want ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: %s, want %d\n%s", what, resp.Status, status, body)
		return
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q in the page:\n%s", what, w, body)
		}
	}
}

func wantRedirect(t *testing.T, what string, resp *http.Response, location string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != location {
		t.Errorf("%s: %s to %q, want 303 to %q", what, resp.Status, resp.Header.Get("Location"), location)
	}
}

func TestPagesLogin(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	resp, _ := f.get("/")
	wantRedirect(t, "GET /", resp, "/now")
	for _, path := range []string{"/now", "/report?since=7d&device=alex-tablet", "/devices", "/rules", "/log", "/report/full"} {
		resp, _ := f.get(path)
		wantRedirect(t, "GET "+path+" logged out", resp, "/login?next="+url.QueryEscape(path))
	}
	resp, body := f.get("/login?next=%2Freport%3Fsince%3D7d")
	wantPage(t, "login page", resp, body, http.StatusOK, `<label for="password">`, `type="password"`, `name="next" value="/report?since=7d"`)
	if strings.Contains(body, `action="/logout"`) {
		t.Error("the login page offers to log out")
	}

	resp, body = f.post("/login", url.Values{"password": {"not it at all"}, "next": {"/rules"}})
	wantPage(t, "wrong password", resp, body, http.StatusUnauthorized, "Wrong password", `role="alert"`, `name="next" value="/rules"`)

	// A login from another site is refused.
	resp, body = f.do("POST", "/login", url.Values{"password": {pagesPassword}}, map[string]string{"Origin": "http://evil.example"})
	wantPage(t, "login from another origin", resp, body, http.StatusForbidden, "another site")

	// next is only ever a path here.
	resp, _ = f.post("/login", url.Values{"password": {pagesPassword}, "next": {"//evil.example/now"}})
	wantRedirect(t, "login with next to another host", resp, "/now")
	resp, _ = f.get("/login?next=%2Freport%3Fsince%3D24h")
	wantRedirect(t, "login page when logged in", resp, "/report?since=24h")
	resp, body = f.get("/now")
	wantPage(t, "now after login", resp, body, http.StatusOK, `aria-current="page">Now`, `action="/logout"`)

	resp, _ = f.post("/logout", url.Values{"csrf": {csrfOf(t, body)}})
	wantRedirect(t, "logout", resp, "/login")
	resp, body = f.get("/login")
	wantPage(t, "login after logout", resp, body, http.StatusOK, "You are logged out.")
	resp, _ = f.get("/now")
	wantRedirect(t, "now after logout", resp, "/login?next=%2Fnow")
}

func TestPagesLoginRateLimited(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	var resp *http.Response
	var body string
	for range 6 {
		resp, body = f.post("/login", url.Values{"password": {"wrong guess"}})
	}
	wantPage(t, "sixth wrong password", resp, body, http.StatusTooManyRequests, "Too many failed logins", `role="alert"`)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestPagesNoPassword(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{noPassword: true})
	resp, _ := f.get("/login")
	wantRedirect(t, "login page", resp, "/setup") // first start in the browser (setup_test.go)
	resp, body := f.get("/setup")
	wantPage(t, "setup page", resp, body, http.StatusOK, "Setup code", "<code>sudo hearth passwd</code>")
	if strings.Contains(body, `action="/login"`) {
		t.Errorf("the setup page has a login form without a password to check:\n%s", body)
	}
	resp, _ = f.get("/now")
	wantRedirect(t, "now", resp, "/login?next=%2Fnow")
	resp, body = f.post("/now/pause", url.Values{"device": {"alex-tablet"}, "minutes": {"30"}, "csrf": {"x"}})
	wantPage(t, "pause", resp, body, http.StatusForbidden, "sudo hearth passwd")
	resp, body = f.post("/login", url.Values{"password": {"anything at all"}})
	wantPage(t, "login", resp, body, http.StatusForbidden, "sudo hearth passwd")
	if n := len(f.engine.Overrides().List(f.clk.Now())); n != 0 {
		t.Errorf("%d overrides", n)
	}
}

func TestPagesRender(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{seedDays: 7})
	f.see(pagesKidIP)
	f.see(pagesGuestIP)
	f.login()
	tests := []struct {
		path string
		want []string
	}{
		{"/now", []string{"<h1>Now</h1>", "alex-tablet", "jo-laptop", "parents-phone", "Unknown devices",
			`<span class="badge">Gaming blocked until 16:00</span>`, "Gaming (except Minecraft) blocked until 16:00",
			"Chat and messaging allowed until 21:00", "Video and streaming allowed until 17:00", "Gambling always blocked",
			"Bedtime from 21:30", `<span class="badge">Ads always blocked</span>`, `<span class="badge">Social media blocked until 15:30</span>`, "Pause 30 min", "+30 min: Gaming", `data-device="alex-tablet"`,
			"Ads always blocked", "Social media blocked until 15:30"}},
		{"/report", []string{`<h1>Hearth report</h1>`, "alex-tablet", "<svg", `class="bar"`, `<div class="report-main">`,
			`href="/report/full?device=&amp;since=7d"`, `<label for="since">`, `<option value="7d" selected>`}},
		{"/report?since=24h&device=alex-tablet", []string{"Hearth report", "alex-tablet", `<option value="24h" selected>`,
			`<option value="alex-tablet" selected>`}},
		{"/report/full?since=7d", []string{"<!DOCTYPE html>", "<h1>Hearth report</h1>", "<style>", "<main>"}},
		{"/devices", []string{"<h1>Devices</h1>", "hearth.yaml cannot be saved", "Named in hearth.yaml", "alex-tablet", "Not named",
			"Address 127.0.0.99", `action="/devices/name"`, `name="key" value="ip:127.0.0.99"`, "Set in hearth.yaml: change it there."}},
		{"/rules", []string{"<h1>Rules</h1>", "Group kids", "Group teens", "Group default", "Bedtime: everything blocked",
			"Gaming allowed (blocked at other times)", "Video and streaming blocked (allowed at other times)",
			"block gambling", `class="blk k-allow c1"`, `class="blk k-block c3"`, `class="blk k-bed c0"`, "left:66.667%;width:12.500%", "Gaming allowed 16:00 to 19:00",
			"Bedtime 21:30 to 24:00", `<abbr title="Monday">Mon</abbr>`}},
		{"/log", []string{"<h1>Log</h1>", "www.roblox.com", "Roblox (Gaming), by a rule", "alex-tablet", "127.0.0.99",
			`<option value="block" selected>`, `<label for="log-device">`}},
		{"/log?device=jo-laptop&since=7d&action=all", []string{"www.instagram.com", `<option value="jo-laptop" selected>`}},
	}
	for _, tt := range tests {
		resp, body := f.get(tt.path)
		wantPage(t, tt.path, resp, body, http.StatusOK, tt.want...)
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tt.path, ct)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", tt.path, csp)
		}
		if !strings.HasPrefix(tt.path, "/report/full") {
			checkAccessible(t, tt.path, body)
		}
	}
	resp, body := f.get("/log?device=jo-laptop")
	if strings.Contains(body, "www.roblox.com") {
		t.Errorf("the log for jo-laptop has alex's lookups:\n%s", body)
	}
	_ = resp
	resp, body = f.get("/static/style.css")
	wantPage(t, "style.css", resp, body, http.StatusOK, ".card")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("style.css: Content-Type %q", ct)
	}
	resp, _ = f.get("/static/")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/static/: %s, want no listing", resp.Status)
	}
	resp, body = f.get("/nowhere")
	wantPage(t, "an unknown page", resp, body, http.StatusNotFound, "There is no page /nowhere.")
}

var (
	pagesInput   = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	pagesID      = regexp.MustCompile(`\bid="([^"]+)"`)
	pagesHeading = regexp.MustCompile(`<h([1-6])\b`)
)

// checkAccessible checks what can be checked in the markup: every control
// but hidden inputs has a <label for>, headings start at h1 and go down one
// level at a time, the page has its language and one main.
func checkAccessible(t *testing.T, what, body string) {
	t.Helper()
	for _, in := range pagesInput.FindAllString(body, -1) {
		if strings.Contains(in, `type="hidden"`) {
			continue
		}
		m := pagesID.FindStringSubmatch(in)
		if m == nil || !strings.Contains(body, `<label for="`+m[1]+`"`) {
			t.Errorf("%s: %s has no label", what, in)
		}
	}
	level := 0
	for _, m := range pagesHeading.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		if (level == 0 && n != 1) || n > level+1 {
			t.Errorf("%s: h%d after h%d", what, n, level)
		}
		level = n
	}
	if !strings.Contains(body, `<html lang="en-GB">`) || strings.Count(body, "<main") != 1 {
		t.Errorf("%s: no language, or not one main", what)
	}
}

func TestPagesPauseBonusCancel(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	csrf := f.login()

	resp, _ := f.post("/now/pause", url.Values{"csrf": {csrf}, "device": {"alex-tablet"}, "minutes": {"30"}})
	wantRedirect(t, "pause", resp, "/now")
	ovs := f.engine.Overrides().List(f.clk.Now())
	if len(ovs) != 1 || ovs[0].Kind != state.OverridePause || ovs[0].Device != "alex-tablet" ||
		!ovs[0].Until.Equal(pagesNoon.Add(30*time.Minute)) || ovs[0].By != "dashboard" {
		t.Fatalf("overrides after the pause: %+v", ovs)
	}
	resp, body := f.get("/now")
	wantPage(t, "now, paused", resp, body, http.StatusOK, `role="status">Paused alex-tablet until 12:30.`,
		`<span class="badge">Paused until 12:30</span>`, "End pause")
	resp, body = f.get("/now")
	if strings.Contains(body, `role="status"`) {
		t.Error("the flash message is shown twice")
	}
	if d, _ := f.engine.DecideFor("www.example.com", "alex-tablet", f.clk.Now()); d.Action != policy.Block || d.Reason != policy.ReasonPause {
		t.Errorf("after the pause www.example.com is %v (%v) for alex-tablet", d.Action, d.Reason)
	}

	resp, _ = f.post("/now/bonus", url.Values{"csrf": {csrf}, "group": {"teens"}, "what": {"social"}, "minutes": {"45"}})
	wantRedirect(t, "bonus", resp, "/now")
	resp, body = f.get("/now")
	wantPage(t, "now, bonus", resp, body, http.StatusOK, "Social media allowed on the teens group until 12:45.",
		"Bonus: Social media allowed until 12:45")

	resp, _ = f.post("/now/cancel", url.Values{"csrf": {csrf}, "id": {ovs[0].ID}})
	wantRedirect(t, "cancel", resp, "/now")
	_, body = f.get("/now")
	if !strings.Contains(body, "The pause on alex-tablet has ended.") || strings.Contains(body, "Paused until") {
		t.Errorf("now after the cancel:\n%s", body)
	}

	changes, err := f.srv.audit.recent(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 {
		t.Fatalf("audit trail: %+v", changes)
	}
	for i, want := range []struct{ action, target, detail string }{
		{"cancel", ovs[0].ID, ""},
		{"bonus", "group teens", "social until 2026-11-26T12:45:00Z ("},
		{"pause", "device alex-tablet", "until 2026-11-26T12:30:00Z (" + ovs[0].ID + ")"},
	} {
		c := changes[i]
		if c.Action != want.action || c.Target != want.target || !strings.HasPrefix(c.Detail, want.detail) ||
			!c.OK || c.Who != "dashboard" || c.Addr != "127.0.0.1" || !c.At.Equal(pagesNoon) {
			t.Errorf("audit[%d] = %+v, want %s %s %q...", i, c, want.action, want.target, want.detail)
		}
	}
}

func TestPagesCSRF(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	csrf := f.login()
	form := func(token string) url.Values {
		return url.Values{"csrf": {token}, "device": {"alex-tablet"}, "minutes": {"30"}}
	}
	for _, tt := range []struct {
		what   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{"device": {"alex-tablet"}, "minutes": {"30"}}, nil},
		{"a wrong token", form("not-the-token"), nil},
		{"the token from another site", form(csrf), map[string]string{"Origin": "http://evil.example"}},
		{"the token, cross-site", form(csrf), map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		resp, body := f.do("POST", "/now/pause", tt.form, tt.header)
		wantPage(t, tt.what, resp, body, http.StatusForbidden, "nothing was changed")
	}
	resp, body := f.post("/devices/forget", url.Values{"key": {"ip:127.0.0.99"}})
	wantPage(t, "forget without a token", resp, body, http.StatusForbidden, "nothing was changed")
	resp, body = f.post("/logout", url.Values{})
	wantPage(t, "logout without a token", resp, body, http.StatusForbidden, "log out again")
	if n := len(f.engine.Overrides().List(f.clk.Now())); n != 0 {
		t.Errorf("%d overrides made without the CSRF token", n)
	}
	if changes, _ := f.srv.audit.recent(10); len(changes) != 0 {
		t.Errorf("audit trail: %+v", changes)
	}
	resp, _ = f.post("/now/pause", form(csrf))
	wantRedirect(t, "with the token", resp, "/now")
}

func TestPagesBadInput(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.see(pagesKidIP)
	f.see(pagesGuestIP)
	csrf := f.login()
	tests := []struct {
		what, path string
		form       url.Values
		status     int
		want       string
	}{
		{"unknown device", "/now/pause", url.Values{"device": {"nobody"}, "minutes": {"30"}}, http.StatusNotFound, `No device &#34;nobody&#34;`},
		{"unknown group", "/now/pause", url.Values{"group": {"nogroup"}, "minutes": {"30"}}, http.StatusNotFound, "No group"},
		{"device and group", "/now/pause", url.Values{"device": {"alex-tablet"}, "group": {"kids"}, "minutes": {"30"}}, http.StatusUnprocessableEntity, "set one of a device"},
		{"no target", "/now/pause", url.Values{"minutes": {"30"}}, http.StatusUnprocessableEntity, "set a device, a group or all"},
		{"minutes not a number", "/now/pause", url.Values{"device": {"alex-tablet"}, "minutes": {"half an hour"}}, http.StatusUnprocessableEntity, "not a whole number of minutes"},
		{"no minutes", "/now/pause", url.Values{"device": {"alex-tablet"}}, http.StatusUnprocessableEntity, "Minutes: say for how long"},
		{"zero minutes", "/now/pause", url.Values{"device": {"alex-tablet"}, "minutes": {"0"}}, http.StatusUnprocessableEntity, "Minutes:"},
		{"too many minutes", "/now/pause", url.Values{"device": {"alex-tablet"}, "minutes": {"99999"}}, http.StatusUnprocessableEntity, "is outside 1..10080"},
		{"unknown category", "/now/bonus", url.Values{"device": {"alex-tablet"}, "what": {"knitting"}, "minutes": {"30"}}, http.StatusUnprocessableEntity, "not a category or service"},
		{"bonus for nothing", "/now/bonus", url.Values{"device": {"alex-tablet"}, "minutes": {"30"}}, http.StatusUnprocessableEntity, "bonus time needs a category or service"},
		{"unknown override", "/now/cancel", url.Values{"id": {"deadbeef"}}, http.StatusNotFound, "No such override"},
		{"unseen device key", "/devices/name", url.Values{"key": {"ip:127.0.0.77"}, "name": {"x"}}, http.StatusNotFound, "has been seen"},
		{"a device of hearth.yaml", "/devices/name", url.Values{"key": {"ip:" + pagesKidIP}, "name": {"x"}}, http.StatusConflict, "Set in hearth.yaml"},
		{"a name of hearth.yaml", "/devices/name", url.Values{"key": {"ip:" + pagesGuestIP}, "name": {"jo-laptop"}}, http.StatusConflict, "jo-laptop"},
		{"a name that is not a slug", "/devices/name", url.Values{"key": {"ip:" + pagesGuestIP}, "name": {"Games Console"}}, http.StatusUnprocessableEntity, `write &#34;games-console&#34;`},
		{"unknown group for a device", "/devices/name", url.Values{"key": {"ip:" + pagesGuestIP}, "name": {"guest"}, "group": {"nogroup"}}, http.StatusUnprocessableEntity, "No such group"},
		{"no name", "/devices/name", url.Values{"key": {"ip:" + pagesGuestIP}, "name": {""}}, http.StatusUnprocessableEntity, "a device needs a name"},
		{"forget an unnamed device", "/devices/forget", url.Values{"key": {"ip:" + pagesGuestIP}}, http.StatusNotFound, "No such assignment"},
	}
	for _, tt := range tests {
		tt.form.Set("csrf", csrf)
		resp, body := f.post(tt.path, tt.form)
		page := "<h1>Now</h1>"
		if strings.HasPrefix(tt.path, "/devices") {
			page = "<h1>Devices</h1>"
		}
		wantPage(t, tt.what, resp, body, tt.status, "Nothing was changed.", tt.want, page, `role="alert"`)
	}
	if n := len(f.engine.Overrides().List(f.clk.Now())); n != 0 {
		t.Errorf("%d overrides made from bad forms", n)
	}
	changes, err := f.srv.audit.recent(100)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != len(tests) {
		t.Errorf("the audit trail has %d changes, want %d (refused ones too)", len(changes), len(tests))
	}
	for _, c := range changes {
		if c.OK || c.Error == "" {
			t.Errorf("audit: %+v", c)
		}
	}

	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/report?since=forever", http.StatusUnprocessableEntity, "write a length like"},
		{"/report?device=nobody", http.StatusNotFound, "No device &#34;nobody&#34;"},
		{"/report/full?device=nobody", http.StatusNotFound, "No device &#34;nobody&#34;"},
		{"/log?action=maybe", http.StatusUnprocessableEntity, "Action: use block, allow or all"},
		{"/log?since=-3h", http.StatusUnprocessableEntity, "write a length like"},
	} {
		resp, body := f.get(tt.path)
		wantPage(t, tt.path, resp, body, tt.status, tt.want, `role="alert"`)
	}
}

func TestPagesNameAndForgetDevice(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.see(pagesGuestIP)
	csrf := f.login()
	resp, _ := f.post("/devices/name", url.Values{"csrf": {csrf}, "key": {"ip:" + pagesGuestIP}, "name": {"guest-phone"}, "group": {"teens"}})
	wantRedirect(t, "name", resp, "/devices")
	resp, body := f.get("/devices")
	wantPage(t, "devices after naming", resp, body, http.StatusOK, "guest-phone is in the teens group from its next lookup (kept by Hearth",
		"Named on the dashboard", `value="guest-phone"`, "Forget this name")
	if name, ok := f.engine.HasDevice("guest-phone"); !ok || name != "guest-phone" {
		t.Errorf("the engine does not know guest-phone")
	}
	resp, _ = f.post("/devices/forget", url.Values{"csrf": {csrf}, "key": {"ip:" + pagesGuestIP}})
	wantRedirect(t, "forget", resp, "/devices")
	_, body = f.get("/devices")
	if !strings.Contains(body, "The name guest-phone is forgotten") || !strings.Contains(body, "Not named") {
		t.Errorf("devices after forgetting:\n%s", body)
	}
	changes, _ := f.srv.audit.recent(10)
	if len(changes) != 2 || changes[0].Action != "forget-device" || changes[1].Action != "name-device" ||
		changes[1].Detail != `name "guest-phone", group "teens" in state` || changes[1].Target != "ip:127.0.0.99" {
		t.Errorf("audit trail: %+v", changes)
	}
}

func TestPagesJournalOff(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.srv.opts.Journal = nil
	f.login()
	for _, path := range []string{"/report", "/log"} {
		resp, body := f.get(path)
		wantPage(t, path, resp, body, http.StatusNotFound, "The journal is off")
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                       "/now",
		"/report?since=7d":       "/report?since=7d",
		"/devices":               "/devices",
		"//evil.example/x":       "/now",
		"/\\evil.example":        "/now",
		"https://evil.example/":  "/now",
		"javascript:alert(1)":    "/now",
		"now":                    "/now",
		"/login?next=/login":     "/now",
		"/log?device=alex":       "/log?device=alex",
		"/now\r\nSet-Cookie: x=": "/now",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClockText(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, pagesLondon) // Saturday, the day before the clocks go forward
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(30 * time.Minute), "12:30"},
		{time.Date(2026, 3, 29, 7, 0, 0, 0, pagesLondon), "07:00 tomorrow"},
		{time.Date(2026, 3, 27, 23, 0, 0, 0, pagesLondon), "23:00 yesterday"},
		{time.Date(2026, 3, 30, 16, 0, 0, 0, pagesLondon), "Mon 16:00"},
		{time.Date(2026, 4, 10, 16, 0, 0, 0, pagesLondon), "10 Apr 16:00"},
		{time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), "23:30"},
	} {
		if got := clockText(tt.t, now, pagesLondon); got != tt.want {
			t.Errorf("clockText(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}
