package web

// The dashboard's pages: Now, Report, Devices, Rules, Log and the login
// page, rendered on the server with html/template from templates/ (parsed
// once, by New) and styled by static/style.css. No page needs a script:
// every action is a plain form POST carrying the session's CSRF token in a
// hidden "csrf" field, answered with a redirect back to the page
// (POST-redirect-GET) and a short message shown once (the flash cookie).
// A change made from a page passes the same checks as the API's (session,
// CSRF) and goes through the same helpers (override, audited), so it is in
// the audit trail whatever the outcome.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
)

//go:embed templates
var templateFS embed.FS

// pageNames are the templates, one per page, each defining "content" for
// templates/layout.tmpl.
var pageNames = []string{"login", "now", "report", "devices", "rules", "log", "error"}

// pageSet is the pages' templates and handlers.
type pageSet struct {
	s    *Server
	tmpl map[string]*template.Template
	css  string // the stylesheet's URL, with its content's hash to bust caches
	// get renders a page's data after a failed change, with the error.
	get map[string]pageFunc
}

// pageFunc fills v.Data for a page and returns the status to answer with.
type pageFunc func(r *http.Request, v *view) int

// formFunc makes the change a form asks for. It returns what the audit
// trail records (target, detail), the message to show once the change is
// made, and the error that refused it.
type formFunc func(r *http.Request, p Principal) (target, detail, flash string, err error)

// view is what the layout and every page's template see.
type view struct {
	Page     string // the template, and the nav's current entry
	Title    string
	CSS      string
	LoggedIn bool
	CSRF     string
	Flash    string
	Error    string // what went wrong, shown at the top
	Zone     string
	Now      string // the time in the household's zone
	Version  string
	Data     any
}

func (s *Server) pageRoutes() {
	ps := &pageSet{s: s, tmpl: parsePages()}
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	sum := sha256.Sum256(css)
	ps.css = "/static/style.css?v=" + hex.EncodeToString(sum[:4])
	ps.get = map[string]pageFunc{"now": ps.now, "devices": ps.devices}

	m := s.mux
	m.HandleFunc("GET /static/", ps.static)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/now", http.StatusSeeOther)
	})
	m.HandleFunc("GET /login", ps.loginPage)
	m.HandleFunc("POST /login", ps.loginPost)
	m.HandleFunc("POST /logout", ps.logoutPost)
	m.Handle("GET /now", ps.page("now", "Now", ps.now))
	m.Handle("POST /now/pause", ps.change("now", "pause", ps.pause))
	m.Handle("POST /now/bonus", ps.change("now", "bonus", ps.bonus))
	m.Handle("POST /now/cancel", ps.change("now", "cancel", ps.cancel))
	m.Handle("GET /report", ps.page("report", "Report", ps.report))
	m.HandleFunc("GET /report/full", ps.reportFull)
	m.Handle("GET /devices", ps.page("devices", "Devices", ps.devices))
	m.Handle("POST /devices/name", ps.change("devices", "name-device", ps.nameDevice))
	m.Handle("POST /devices/forget", ps.change("devices", "forget-device", ps.forgetDevice))
	m.Handle("GET /rules", ps.page("rules", "Rules", ps.rules))
	m.Handle("GET /log", ps.page("log", "Log", ps.log))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ps.fail(w, r, http.StatusNotFound, "There is no page "+r.URL.Path+".")
	})
}

// parsePages parses the layout with each page's template.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.tmpl").ParseFS(templateFS, "templates/layout.tmpl"))
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".tmpl"))
	}
	return out
}

func (ps *pageSet) static(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400") // the URL changes with the content
	http.FileServerFS(staticFS).ServeHTTP(w, r)
}

// newView starts a page's view for p (the zero Principal: logged out) and
// takes the flash message, if any.
func (ps *pageSet) newView(w http.ResponseWriter, r *http.Request, page, title string, p Principal, loggedIn bool) *view {
	now := ps.s.opts.Clock.Now().In(ps.s.opts.Engine.Location())
	v := &view{Page: page, Title: title, CSS: ps.css, LoggedIn: loggedIn, CSRF: p.CSRF,
		Zone: now.Location().String(), Now: now.Format("Mon 2 Jan 15:04"), Version: ps.s.opts.Version}
	v.Flash = takeFlash(w, r)
	return v
}

// render writes v with its page's template; a template error is a 500.
func (ps *pageSet) render(w http.ResponseWriter, status int, v *view) {
	var buf bytes.Buffer
	if err := ps.tmpl[v.Page].ExecuteTemplate(&buf, "layout", v); err != nil {
		ps.s.opts.Logger.Error().Err(err).Str("page", v.Page).Msg("dashboard page not rendered")
		http.Error(w, "internal error (logged)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The guard's "no-referrer" makes a browser send "Origin: null" with
	// the page's forms, which CheckCSRF refuses; "same-origin" sends the
	// real Origin here and still nothing to other sites.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail answers with the error page.
func (ps *pageSet) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p, ok := ps.s.auth.Principal(r)
	ok = ok && ps.s.auth.PasswordSet()
	v := ps.newView(w, r, "error", http.StatusText(status), p, ok)
	v.Error = msg
	ps.render(w, status, v)
}

// principal is who is logged in; without a login it redirects to the login
// page, which comes back here after.
func (ps *pageSet) principal(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	if ps.s.auth.PasswordSet() {
		if p, ok := ps.s.auth.Principal(r); ok {
			return p, true
		}
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return Principal{}, false
}

// page serves a page that needs a login.
func (ps *pageSet) page(page, title string, h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := ps.principal(w, r)
		if !ok {
			return
		}
		v := ps.newView(w, r, page, title, p, true)
		status := h(r, v)
		ps.render(w, status, v)
	})
}

// change serves a form that changes something: a login and its CSRF token,
// then h, recorded in the audit trail (as the API's changes are); then a
// redirect back to the page with the flash message, or the page again with
// the error and its status.
func (ps *pageSet) change(page, action string, h formFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := ps.s
		if !s.auth.PasswordSet() {
			ps.fail(w, r, http.StatusForbidden, "No admin password is set, so nothing can be changed: run `sudo hearth passwd` on the machine running Hearth.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			ps.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		p, ok := s.auth.Principal(r)
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape("/"+page), http.StatusSeeOther)
			return
		}
		if !s.auth.CheckCSRF(r, p) {
			ps.fail(w, r, http.StatusForbidden, "This form is out of date or came from another site, so nothing was changed. Go back, reload the page and try again.")
			return
		}
		var flash string
		err := s.audited(p, action, func() (string, string, error) {
			target, detail, msg, err := h(r, p)
			flash = msg
			return target, detail, err
		})
		if err != nil {
			v := ps.newView(w, r, page, upperFirst(page), p, true)
			v.Error = "Nothing was changed. " + errorText(err)
			ps.get[page](r, v)
			ps.render(w, policyStatus(err), v)
			return
		}
		setFlash(w, flash)
		http.Redirect(w, r, "/"+page, http.StatusSeeOther)
	})
}

// audited makes a change for p and records it in the audit trail whatever
// the outcome: who, what, when, and the error if it failed. The pages use
// it; the API's change wrapper records the same entry.
func (s *Server) audited(p Principal, action string, fn func() (target, detail string, err error)) error {
	target, detail, err := fn()
	c := Change{At: s.opts.Clock.Now().UTC(), Who: p.Who(), Addr: p.Addr, Action: action, Target: target, Detail: detail, OK: err == nil}
	if err != nil {
		c.Error = err.Error()
	}
	s.audit.record(c)
	return err
}

// policyStatus is the status for an error from checking or applying a
// change, as writePolicyError answers it.
func policyStatus(err error) int {
	var nf *notFoundError
	var fe *fielderr.Error
	switch {
	case errors.As(err, &nf), errors.Is(err, policy.ErrNoOverride), errors.Is(err, policy.ErrNoAssignment):
		return http.StatusNotFound
	case errors.Is(err, policy.ErrConfigured), errors.Is(err, policy.ErrNameTaken):
		return http.StatusConflict
	case errors.Is(err, policy.ErrUnknownGroup), errors.As(err, &fe):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// applyOverride checks req against the running policy (s.override) and
// adds it. An override applied but not saved comes back with a warning.
func (s *Server) applyOverride(req overrideRequest, kind policy.OverrideKind, p Principal) (ov policy.Override, warning, err error) {
	if ov, err = s.override(req, kind, p); err != nil {
		return ov, nil, err
	}
	ov, err = s.opts.Engine.Overrides().Add(ov)
	if errors.Is(err, policy.ErrNotPersisted) {
		return ov, err, nil
	}
	return ov, nil, err
}

// The flash message: set on a change's redirect, shown once by the next
// page.

const flashCookie = "hearth_flash"

func setFlash(w http.ResponseWriter, msg string) {
	if msg == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	msg, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return string(msg)
}

// Logging in and out.

type loginData struct {
	PasswordSet bool
	Problem     string
	Next        string
}

func (ps *pageSet) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if p, ok := ps.s.auth.Principal(r); ok && ps.s.auth.PasswordSet() && p.Kind == "session" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	ps.renderLogin(w, r, http.StatusOK, next, "")
}

func (ps *pageSet) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	v := ps.newView(w, r, "login", "Log in", Principal{}, false)
	d := loginData{PasswordSet: ps.s.auth.PasswordSet(), Next: next}
	if err := ps.s.auth.Problem(); err != nil {
		d.Problem = err.Error()
	}
	v.Error, v.Data = msg, d
	ps.render(w, status, v)
}

func (ps *pageSet) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		ps.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	next := localPath(r.PostFormValue("next"))
	if !sameOrigin(r) {
		ps.renderLogin(w, r, http.StatusForbidden, next, "This login form came from another site.")
		return
	}
	_, err := ps.s.auth.Login(w, r, r.PostFormValue("password"))
	var rl *RateLimitedError
	switch {
	case err == nil:
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	case errors.Is(err, ErrNoPassword):
		ps.renderLogin(w, r, http.StatusForbidden, next, "")
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds()+0.999)))
		ps.renderLogin(w, r, http.StatusTooManyRequests, next, upperFirst(err.Error())+".")
	default:
		ps.renderLogin(w, r, http.StatusUnauthorized, next, "Wrong password. Try again.")
	}
	ps.s.opts.Logger.Warn().Str("addr", r.RemoteAddr).Err(err).Msg("dashboard login refused")
}

func (ps *pageSet) logoutPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if p, ok := ps.s.auth.Principal(r); ok && p.Kind == "session" && !ps.s.auth.CheckCSRF(r, p) {
		ps.fail(w, r, http.StatusForbidden, "This form is out of date or came from another site: reload the page and log out again.")
		return
	}
	ps.s.auth.Logout(w, r)
	setFlash(w, "You are logged out.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sameOrigin refuses a form a browser says came from another site.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site != "cross-site" && site != "same-site"
}

// localPath is next if it is a path on this site (not the login page),
// else /now: a login never sends anyone elsewhere.
func localPath(next string) string {
	u, err := url.Parse(next)
	switch {
	case err != nil, !strings.HasPrefix(next, "/"), strings.HasPrefix(next, "//"),
		strings.ContainsAny(next, "\\\x00\r\n\t"), u.Scheme != "", u.Host != "", strings.HasPrefix(u.Path, "/login"):
		return "/now"
	}
	return next
}

// captured keeps what an API helper (buildReport, logRows) answered when
// it refused a request, so the page can show it.
type captured struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newCaptured() *captured { return &captured{h: http.Header{}} }

func (c *captured) Header() http.Header { return c.h }

func (c *captured) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

func (c *captured) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

// problem is the status and message answered.
func (c *captured) problem() (int, string) {
	var e apiError
	if json.Unmarshal(c.body.Bytes(), &e) != nil || e.Error == "" {
		e.Error = strings.TrimSpace(c.body.String())
	}
	if c.status == 0 || c.status == http.StatusOK {
		c.status = http.StatusInternalServerError
	}
	return c.status, errorText(errors.New(e.Error))
}

// Words and times.

// clockText says when t is, seen from now, in loc: "18:30" today, "07:00
// tomorrow", "Mon 16:00" within the week, else "2 Jan 16:00".
func clockText(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	day := func(x time.Time) time.Time { y, m, d := x.Date(); return time.Date(y, m, d, 12, 0, 0, 0, loc) }
	days := int(day(t).Sub(day(now)).Round(24*time.Hour) / (24 * time.Hour))
	switch {
	case days == 0:
		return t.Format("15:04")
	case days == 1:
		return t.Format("15:04") + " tomorrow"
	case days == -1:
		return t.Format("15:04") + " yesterday"
	case days > 1 && days < 7, days < -1 && days > -7:
		return t.Format("Mon 15:04")
	}
	return t.Format("2 Jan 15:04")
}

// word is a category's or service's name from the catalogue, else w (a
// list's category, a domain).
func (s *Server) word(w string) string {
	if c, ok := s.opts.Catalogue.Category(w); ok && c.Name != "" {
		return c.Name
	}
	if sv, ok := s.opts.Catalogue.Service(w); ok && sv.Name != "" {
		return sv.Name
	}
	return w
}

func (s *Server) words(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = s.word(w)
	}
	return strings.Join(out, ", ")
}

// errorText is an error as a sentence for a page.
func errorText(err error) string {
	msg := upperFirst(strings.ReplaceAll(err.Error(), "policy: ", ""))
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// The Now page: each device, what it may do now and until when, with
// one-tap pause and bonus time.

// bonusMinutes is how long the one-tap pause and bonus last.
const bonusMinutes = 30

type nowData struct {
	Minutes   int
	Devices   []nowDevice
	Conflicts []string
}

type nowDevice struct {
	ID        string // the section's id
	Title     string
	Name      string // "" for the unknown devices
	Target    string // the form's field: "device" or "group"
	Value     string // its value
	Meta      string // "kids group · in hearth.yaml · 127.0.0.2"
	State     string // "paused", "bedtime", "limited", "open": a CSS class
	StateText string // the state in words: "Paused until 18:30"
	Lines     []string
	Pause     *nowOverride
	Bonuses   []nowOverride
	Choices   []bonusChoice // what one tap of bonus time may lift now
}

type nowOverride struct{ ID, Text string }

type bonusChoice struct{ What, Label string }

func (ps *pageSet) now(_ *http.Request, v *view) int {
	s := ps.s
	st := s.statusNow()
	loc := s.opts.Engine.Location()
	at := func(t time.Time) string { return clockText(t, st.Now, loc) }
	d := nowData{Minutes: bonusMinutes, Conflicts: st.Conflicts}
	for i, ds := range st.Devices {
		nd := nowDevice{ID: fmt.Sprintf("dev-%d", i+1), Title: ds.Name, Name: ds.Name, Target: "device", Value: ds.Name, State: ds.State}
		meta := []string{ds.Group + " group"}
		switch ds.Source {
		case "config":
			meta = append(meta, "in hearth.yaml")
		case "dashboard":
			meta = append(meta, "named on the dashboard")
		}
		if ds.Name == "" {
			nd.Title, nd.Target, nd.Value = "Unknown devices", "group", ds.Group
			meta = append(meta, "every device not named")
		}
		if ref := ds.Device; ref != nil {
			meta = append(meta, strings.Join(append(append([]string{}, ref.IP...), ref.MAC...), ", "))
		}
		nd.Meta = strings.Join(meta, " · ")
		switch ds.State {
		case "paused":
			nd.StateText = "Paused until " + at(ds.Until)
		case "bedtime":
			nd.StateText = "Bedtime until " + at(ds.Until)
		default:
			// What is always blocked (ads, say) does not make a device
			// limited in a parent's eyes: a rule with times does.
			nd.State, nd.StateText = "limited", ps.timedBlocks(ds, at)
			if nd.StateText == "" {
				nd.State, nd.StateText = "open", "Open now"
				if !ds.Until.IsZero() {
					nd.StateText = "Open until " + at(ds.Until)
				}
			}
		}
		if ds.Pause != nil {
			nd.Pause = &nowOverride{ds.Pause.ID, "Paused until " + at(ds.Pause.Until) + " (set by " + ds.Pause.By + ")"}
		}
		if b := ds.Bedtime; b != nil && !b.Active && !b.Next.IsZero() {
			nd.Lines = append(nd.Lines, "Bedtime from "+at(b.Next))
		}
		for _, rs := range ds.Rules {
			nd.Lines = append(nd.Lines, ps.ruleLine(rs, at))
		}
		for _, o := range ds.Bonuses {
			nd.Bonuses = append(nd.Bonuses, nowOverride{o.ID, "Bonus: " + s.word(o.What) + " allowed until " + at(o.Until)})
		}
		if nd.State == "limited" {
			nd.Choices = ps.bonusChoices(ds)
		}
		d.Devices = append(d.Devices, nd)
	}
	v.Data = d
	return http.StatusOK
}

// ruleLine says what a rule does now: "Gaming allowed until 16:00".
func (ps *pageSet) ruleLine(rs policy.RuleStatus, at func(time.Time) string) string {
	what := ps.s.words(rs.Block)
	if len(rs.Except) > 0 {
		what += " (except " + ps.s.words(rs.Except) + ")"
	}
	what = upperFirst(what)
	switch {
	case rs.Mode == "always" && len(rs.Bonus) > 0:
		return what + " always blocked; bonus time allows " + ps.s.words(rs.Bonus)
	case rs.Mode == "always":
		return what + " always blocked"
	case rs.Blocking && len(rs.Bonus) > 0:
		return what + " blocked until " + at(rs.Next) + "; bonus time allows " + ps.s.words(rs.Bonus)
	case rs.Blocking && rs.Next.IsZero():
		return what + " blocked"
	case rs.Blocking:
		return what + " blocked until " + at(rs.Next)
	case rs.Next.IsZero():
		return what + " allowed"
	}
	return what + " allowed until " + at(rs.Next)
}

// timedBlocks says what rules with times block now, and until when:
// "Gaming blocked until 16:00"; "" if none does.
func (ps *pageSet) timedBlocks(ds policy.DeviceStatus, at func(time.Time) string) string {
	var out []string
	for _, rs := range ds.Rules {
		if rs.Mode == "always" || !rs.Blocking {
			continue
		}
		var blocked []string
		for _, w := range rs.Block {
			if !contains(rs.Bonus, w) {
				blocked = append(blocked, w)
			}
		}
		if len(blocked) == 0 {
			continue
		}
		line := upperFirst(ps.s.words(blocked)) + " blocked"
		if !rs.Next.IsZero() {
			line += " until " + at(rs.Next)
		}
		out = append(out, line)
	}
	return strings.Join(out, "; ")
}

// bonusChoices are what a scheduled rule blocks now that bonus time may
// lift: categories and services, not domains, nor what an "always" rule
// blocks.
func (ps *pageSet) bonusChoices(ds policy.DeviceStatus) []bonusChoice {
	var out []bonusChoice
	seen := map[string]bool{}
	for _, rs := range ds.Rules {
		if rs.Mode == "always" || !rs.Blocking {
			continue
		}
		for _, w := range rs.Block {
			if seen[w] || contains(rs.Bonus, w) || !ps.s.opts.Engine.Blockable(w) {
				continue
			}
			seen[w] = true
			out = append(out, bonusChoice{w, ps.s.word(w)})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// overrideForm reads a pause or bonus form: device or group, what, minutes.
func overrideForm(r *http.Request) (overrideRequest, error) {
	req := overrideRequest{Device: r.PostFormValue("device"), Group: r.PostFormValue("group"), What: r.PostFormValue("what")}
	m := strings.TrimSpace(r.PostFormValue("minutes"))
	if m == "" {
		return req, fielderr.New("minutes", "say for how many minutes")
	}
	n, err := strconv.Atoi(m)
	if err != nil {
		return req, fielderr.New("minutes", "%q is not a whole number of minutes", m)
	}
	req.Minutes = n
	return req, nil
}

func (ps *pageSet) pause(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, policy.OverridePause)
}

func (ps *pageSet) bonus(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, policy.OverrideBonus)
}

func (ps *pageSet) addOverride(r *http.Request, p Principal, kind policy.OverrideKind) (target, detail, flash string, err error) {
	req, err := overrideForm(r)
	target = firstNonEmpty(req.Device, req.Group)
	if err != nil {
		return target, "", "", err
	}
	ov, warning, err := ps.s.applyOverride(req, kind, p)
	if err != nil {
		return target, "", "", err
	}
	loc := ps.s.opts.Engine.Location()
	detail = strings.TrimSpace(ov.What+" until "+ov.Until.In(loc).Format(time.RFC3339)) + " (" + ov.ID + ")"
	until := clockText(ov.Until, ps.s.opts.Clock.Now(), loc)
	if kind == policy.OverridePause {
		flash = "Paused " + overrideTarget(ov) + " until " + until + "."
	} else {
		flash = upperFirst(ps.s.word(ov.What)) + " allowed on " + overrideTarget(ov) + " until " + until + "."
	}
	if warning != nil {
		flash += " It could not be saved, so it ends if Hearth restarts."
	}
	return ov.Target(), detail, flash, nil
}

// overrideTarget names an override's device or group for a message.
func overrideTarget(o policy.Override) string {
	if o.Device != "" {
		return o.Device
	}
	return "the " + o.Group + " group"
}

func (ps *pageSet) cancel(r *http.Request, _ Principal) (string, string, string, error) {
	id := r.PostFormValue("id")
	ovs := ps.s.opts.Engine.Overrides()
	flash := "Ended."
	for _, o := range ovs.List(ps.s.opts.Clock.Now()) {
		if o.ID == id {
			if o.Kind == policy.OverridePause {
				flash = "The pause on " + overrideTarget(o) + " has ended."
			} else {
				flash = "Bonus time for " + ps.s.word(o.What) + " on " + overrideTarget(o) + " has ended."
			}
		}
	}
	if err := ovs.Cancel(id); err != nil && !errors.Is(err, policy.ErrNotPersisted) {
		return id, "", "", err
	}
	return id, "", flash, nil
}

// The Report page: the weekly report (report's own HTML, charts and all)
// in the dashboard's layout, with a link to the page on its own.

type reportData struct {
	Since   string
	Device  string
	Lengths []option
	Devices []option
	Full    string // the URL of the report on its own page
	Body    template.HTML
}

type option struct{ Value, Label string }

func (ps *pageSet) report(r *http.Request, v *view) int {
	q := r.URL.Query()
	d := reportData{Since: firstNonEmpty(q.Get("since"), "7d"), Device: q.Get("device"),
		Lengths: []option{{"24h", "Last 24 hours"}, {"7d", "Last 7 days"}, {"14d", "Last 14 days"}, {"30d", "Last 30 days"}},
		Devices: ps.deviceOptions()}
	d.Lengths = withOption(d.Lengths, d.Since)
	d.Full = "/report/full?" + url.Values{"since": {d.Since}, "device": {d.Device}}.Encode()
	v.Data = d
	c := newCaptured()
	rep, ok := ps.s.buildReport(c, r)
	if !ok {
		status, msg := c.problem()
		v.Error = msg
		return status
	}
	var body bytes.Buffer
	if err := rep.HTMLFragment(&body); err != nil {
		v.Error = errorText(err)
		return http.StatusInternalServerError
	}
	d.Body = template.HTML(body.String()) // report's template escaped it
	v.Data = d
	return http.StatusOK
}

// reportFull is the report as its own page, as `hearth report --html`
// writes it.
func (ps *pageSet) reportFull(w http.ResponseWriter, r *http.Request) {
	if _, ok := ps.principal(w, r); !ok {
		return
	}
	c := newCaptured()
	rep, ok := ps.s.buildReport(c, r)
	if !ok {
		status, msg := c.problem()
		ps.fail(w, r, status, msg)
		return
	}
	var page bytes.Buffer
	if err := rep.HTML(&page); err != nil {
		ps.fail(w, r, http.StatusInternalServerError, errorText(err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = page.WriteTo(w)
}

// deviceOptions are every device for a filter: "all", then by name.
func (ps *pageSet) deviceOptions() []option {
	out := []option{{"", "All devices"}}
	for _, ds := range ps.s.opts.Engine.Status(ps.s.opts.Clock.Now()) {
		if ds.Name != "" {
			out = append(out, option{ds.Name, ds.Name})
		}
	}
	return out
}

// withOption adds value to a filter's options if it is not one of them.
func withOption(opts []option, value string) []option {
	for _, o := range opts {
		if o.Value == value {
			return opts
		}
	}
	return append(opts, option{value, value})
}

// The Devices page: the devices seen, named in hearth.yaml or here, and a
// form to name the others.

type devicesData struct {
	Devices   []deviceRow
	Groups    []string
	Conflicts []string
}

type deviceRow struct {
	ID       string // for the form's labels
	Title    string
	Key      string
	Name     string
	Group    string
	Source   string // "config", "dashboard", "unknown"
	Where    string // the source in words
	Details  []string
	Editable bool
}

func (ps *pageSet) devices(_ *http.Request, v *view) int {
	s := ps.s
	now, loc := s.opts.Clock.Now(), s.opts.Engine.Location()
	d := devicesData{Groups: s.opts.Engine.GroupNames(), Conflicts: s.opts.Engine.Conflicts()}
	for i, dv := range s.deviceList() {
		row := deviceRow{ID: fmt.Sprintf("d%d", i+1), Title: dv.Name, Key: dv.Key, Name: dv.Name, Group: dv.Group, Source: dv.Source}
		switch dv.Source {
		case "config":
			row.Where = "Named in hearth.yaml"
		case "dashboard":
			row.Where, row.Editable = "Named on the dashboard", true
		default:
			row.Title, row.Where, row.Editable = "Not named", "Not named yet", true
		}
		if dv.Addr != "" {
			row.Details = append(row.Details, "Address "+dv.Addr)
		}
		if dv.MAC != "" {
			row.Details = append(row.Details, "MAC "+dv.MAC)
		}
		if dv.Lease != "" {
			row.Details = append(row.Details, "Calls itself "+dv.Lease)
		}
		if !dv.LastSeen.IsZero() {
			row.Details = append(row.Details, "Last seen "+clockText(dv.LastSeen, now, loc))
		}
		d.Devices = append(d.Devices, row)
	}
	v.Data = d
	return http.StatusOK
}

func (ps *pageSet) nameDevice(r *http.Request, p Principal) (string, string, string, error) {
	e := ps.s.opts.Engine
	key, name, group := r.PostFormValue("key"), strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("group")
	detail := fmt.Sprintf("name %q, group %q", name, group)
	if !ps.knownKey(key) {
		return key, detail, "", notFound("no device %q has been seen", key)
	}
	err := e.Assign(policy.Assignment{Key: key, Name: name, Group: group, By: p.Who() + " " + p.Addr})
	if err != nil {
		return key, detail, "", err
	}
	return key, detail, fmt.Sprintf("%s is in the %s group from its next lookup.", name, firstNonEmpty(group, policy.DefaultGroup)), nil
}

// knownKey reports whether key is a device seen or named on the dashboard.
func (ps *pageSet) knownKey(key string) bool {
	for _, d := range ps.s.opts.Engine.Devices().List() {
		if d.Key == key {
			return true
		}
	}
	for _, a := range ps.s.opts.Engine.Assignments().List() {
		if a.Key == key {
			return true
		}
	}
	return false
}

func (ps *pageSet) forgetDevice(r *http.Request, _ Principal) (string, string, string, error) {
	key := r.PostFormValue("key")
	name := key
	for _, a := range ps.s.opts.Engine.Assignments().List() {
		if a.Key == key {
			name = a.Name
		}
	}
	if err := ps.s.opts.Engine.Unassign(key); err != nil {
		return key, "", "", err
	}
	return key, "", "The name " + name + " is forgotten: the device is unknown again.", nil
}

// The Rules page: each group's week, Monday to Sunday, as blocks on a
// 24-hour line, and its rules in words.

type rulesData struct {
	Groups []ruleGroup
}

type ruleGroup struct {
	ID      string
	Name    string
	Devices string
	Legend  []legendItem
	Days    []ruleDay
	Always  []string
	None    bool // no rule at all
}

type legendItem struct {
	Class string // colour and kind
	Label string // what a block means, in words
	Text  string // the rule as written
	Extra string // holidays
}

type ruleDay struct {
	Name, Short string
	Lanes       [][]ruleBlock // one lane per legend item
}

type ruleBlock struct {
	Class string
	Style template.CSS
	Text  string
}

// weekOrder is Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func (ps *pageSet) rules(_ *http.Request, v *view) int {
	var d rulesData
	for gi, gw := range ps.s.opts.Engine.Week() {
		g := ruleGroup{ID: fmt.Sprintf("g%d", gi+1), Name: gw.Group, Devices: strings.Join(gw.Devices, ", ")}
		type lane struct {
			item  legendItem
			label string
			spans []policy.DaySpan
		}
		var lanes []lane
		if b := gw.Bedtime; b != nil {
			lanes = append(lanes, lane{legendItem{"k-bed", "Bedtime: everything blocked", b.Text, b.Holidays}, "Bedtime", b.Spans})
		}
		for _, wr := range gw.Rules {
			what := upperFirst(ps.s.words(wr.Block))
			switch wr.Mode {
			case "always":
				g.Always = append(g.Always, wr.Text)
				continue
			case "outside":
				lanes = append(lanes, lane{legendItem{"k-allow", what + " allowed (blocked at other times)", wr.Text, wr.Holidays}, what + " allowed", wr.Spans})
			default:
				lanes = append(lanes, lane{legendItem{"k-block", what + " blocked (allowed at other times)", wr.Text, wr.Holidays}, what + " blocked", wr.Spans})
			}
		}
		// Bedtime is always the first colour; rules take the others.
		rule := 0
		for i := range lanes {
			c := 0
			if lanes[i].item.Class != "k-bed" {
				c, rule = 1+rule%5, rule+1
			}
			lanes[i].item.Class += fmt.Sprintf(" c%d", c)
			g.Legend = append(g.Legend, lanes[i].item)
		}
		for _, wd := range weekOrder {
			day := ruleDay{Name: wd.String(), Short: wd.String()[:3]}
			for _, l := range lanes {
				var blocks []ruleBlock
				for _, sp := range l.spans {
					if sp.Day != wd {
						continue
					}
					blocks = append(blocks, ruleBlock{Class: l.item.Class,
						Style: template.CSS(fmt.Sprintf("left:%.3f%%;width:%.3f%%", float64(sp.Start)/14.4, float64(sp.End-sp.Start)/14.4)),
						Text:  fmt.Sprintf("%s %s to %s", l.label, minuteText(sp.Start), minuteText(sp.End))})
				}
				day.Lanes = append(day.Lanes, blocks)
			}
			g.Days = append(g.Days, day)
		}
		g.None = len(lanes) == 0 && len(g.Always) == 0
		d.Groups = append(d.Groups, g)
	}
	v.Data = d
	return http.StatusOK
}

// minuteText is minutes after midnight as "21:30" ("24:00" at the end).
func minuteText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// The Log page: recent lookups (blocked ones unless asked), filtered by
// device, length and action.

type logData struct {
	Device, Since, Action string
	Devices               []option
	Lengths               []option
	Actions               []option
	Rows                  []logLine
	Limit                 int
}

type logLine struct {
	When, Device, Name, Action, Why string
	Tries                           int64
	Unit                            string // "try" or "tries"
}

// reasonWords say why a lookup was decided so, for the log.
var reasonWords = map[string]string{
	"allow-list": "on the allow list", "pause": "paused", "bedtime": "bedtime", "device": "blocked for this device",
	"rule": "by a rule", "window": "allowed at this time", "bonus": "bonus time", "safe-search": "safe search",
}

func (ps *pageSet) log(r *http.Request, v *view) int {
	q := r.URL.Query()
	d := logData{Device: q.Get("device"), Since: firstNonEmpty(q.Get("since"), "24h"), Action: firstNonEmpty(q.Get("action"), "block"),
		Devices: ps.deviceOptions(),
		Lengths: []option{{"1h", "Last hour"}, {"24h", "Last 24 hours"}, {"7d", "Last 7 days"}},
		Actions: []option{{"block", "Blocked"}, {"allow", "Allowed (groups that log them)"}, {"all", "All"}}}
	d.Devices, d.Lengths = withOption(d.Devices, d.Device), withOption(d.Lengths, d.Since)
	v.Data = d
	c := newCaptured()
	rows, ok := ps.s.logRows(c, r)
	if !ok {
		status, msg := c.problem()
		v.Error = msg
		return status
	}
	now, loc := ps.s.opts.Clock.Now(), ps.s.opts.Engine.Location()
	for _, x := range rows {
		var why []string
		switch {
		case x.Service != "":
			why = append(why, ps.s.word(x.Service)+" ("+ps.s.word(x.Category)+")")
		case x.Category != "":
			why = append(why, ps.s.word(x.Category))
		}
		if w := reasonWords[x.Reason]; w != "" {
			why = append(why, w)
		} else if x.Reason != "" {
			why = append(why, x.Reason)
		}
		action := "blocked"
		if x.Action == "allow" {
			action = "allowed"
		}
		tries := "tries"
		if x.Attempts == 1 {
			tries = "try"
		}
		d.Rows = append(d.Rows, logLine{When: clockText(x.Minute, now, loc), Device: firstNonEmpty(x.Device, x.Client),
			Name: x.Name, Action: action, Why: strings.Join(why, ", "), Tries: x.Attempts, Unit: tries})
	}
	d.Limit = 200
	v.Data = d
	return http.StatusOK
}
