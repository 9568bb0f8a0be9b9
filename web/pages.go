package web

// The dashboard's pages: Now, Report, Devices, Rules, Log and the login
// page, rendered on the server with html/template from templates/ (parsed
// once, by New) and styled by static/style.css. No page needs a script:
// every action is a plain form POST carrying the session's CSRF token in a
// hidden "csrf" field, answered with a redirect back to the page
// (POST-redirect-GET) and a short message shown once (the flash cookie).
// A change made from a page passes the same checks as the API's (session,
// CSRF), asks the same service layer (service.go) and is recorded by the
// same audited, so it is in the audit trail whatever the outcome. No page
// calls an API handler.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy"
)

//go:embed templates
var templateFS embed.FS

// pageNames are the templates, one per page, each defining "content" for
// templates/layout.tmpl.
var pageNames = []string{"login", "setup", "now", "report", "devices", "rules", "rulesgroup", "log", "alerts", "error"}

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
	// Refused is the last reload's outcome when it was refused (nil
	// otherwise): the layout shows it on every page until a reload succeeds.
	Refused *ReloadOutcome
	// FinishSetup is where to finish setup while the running configuration
	// chooses nothing to block (policy.Config.FirstStart), "" otherwise:
	// the layout says on every page that only the ways round the filter
	// are blocked until then.
	FinishSetup string
	// Failed is the form a refused change came from, so the page can show
	// each problem next to its field with what the parent typed.
	Failed *failedForm
	Data   any
}

// failedForm is a refused change: which form (the audit's action), what
// was posted, and the problem with each field (classify's fields).
type failedForm struct {
	Action string
	Form   url.Values
	Fields map[string]string
}

// fieldFor is the problem with field of the form action posted, if that
// form was refused ("" otherwise); key, when not "", must be the form's
// hidden key (which device's or group's form).
func (v *view) fieldFor(action, keyField, key, field string) (msg, typed string) {
	f := v.Failed
	if f == nil || f.Action != action || (keyField != "" && f.Form.Get(keyField) != key) {
		return "", ""
	}
	return f.Fields[field], f.Form.Get(field)
}

func failedFrom(action string, r *http.Request, err error) *failedForm {
	return &failedForm{Action: action, Form: r.PostForm, Fields: classify(err).fields}
}

func (s *Server) pageRoutes() {
	ps := &pageSet{s: s, tmpl: parsePages()}
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	sum := sha256.Sum256(css)
	ps.css = "/static/style.css?v=" + hex.EncodeToString(sum[:4])
	ps.get = map[string]pageFunc{"now": ps.now, "devices": ps.devices, "rules": ps.rules, "alerts": ps.alertsPage}

	m := s.mux
	m.HandleFunc("GET /static/", ps.static)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/now", http.StatusSeeOther)
	})
	ps.setupRoutes()
	m.HandleFunc("GET /login", ps.loginPage)
	m.HandleFunc("POST /login", ps.loginPost)
	m.HandleFunc("POST /logout", ps.logoutPost)
	m.Handle("GET /now", ps.page("now", "Now", ps.now))
	m.Handle("POST /now/pause", ps.change("now", "pause", ps.pause))
	m.Handle("POST /now/bonus", ps.change("now", "bonus", ps.bonus))
	m.Handle("POST /now/minutes", ps.change("now", "extra-minutes", ps.extraBudgetMinutes))
	m.Handle("POST /now/later-bedtime", ps.change("now", "later-bedtime", ps.laterBedtime))
	m.Handle("POST /now/early-bedtime", ps.change("now", "early-bedtime", ps.earlyBedtime))
	m.Handle("POST /now/extend", ps.change("now", "extend", ps.extend))
	m.Handle("POST /now/cancel", ps.change("now", "cancel", ps.cancel))
	m.Handle("GET /report", ps.page("report", "Report", ps.report))
	m.HandleFunc("GET /report/full", ps.reportFull)
	m.Handle("GET /devices", ps.page("devices", "Devices", ps.devices))
	m.Handle("POST /devices/name", ps.change("devices", "name-device", ps.nameDevice))
	m.Handle("POST /devices/forget", ps.change("devices", "forget-device", ps.forgetDevice))
	m.Handle("POST /devices/entries", ps.change("devices", "device-entries", ps.deviceEntries))
	m.Handle("POST /devices/person", ps.change("devices", "put-person", ps.savePerson))
	m.Handle("POST /devices/person/delete", ps.change("devices", "delete-person", ps.deletePersonForm))
	ps.deviceSetupRoutes()
	ps.rulesRoutes()
	m.Handle("GET /log", ps.page("log", "Log", ps.log))
	m.Handle("GET /alerts", ps.page("alerts", "Alerts", ps.alertsPage))
	m.Handle("POST /alerts/save", ps.change("alerts", "set-alerts", ps.saveAlerts))
	m.Handle("POST /alerts/test", ps.change("alerts", "test-alert", ps.testAlertForm))
	m.Handle("POST /alerts/for", ps.change("alerts", "set-alerts-for", ps.saveAlertsFor))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ps.fail(w, r, http.StatusNotFound, "There is no page "+r.URL.Path+".")
	})
}

// parsePages parses the layout with each page's template.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.tmpl").ParseFS(templateFS, "templates/layout.tmpl"))
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".tmpl", "templates/rulesweek.tmpl"))
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
	if o := ps.s.svc.LastReload(); loggedIn && o.Refused {
		v.Refused = &o
	}
	v.FinishSetup = ps.finishSetup()
	return v
}

// finishSetup is the page where the parent finishes setup while the
// running configuration chooses nothing to block (only the default group's
// bypass protection filters: policy.Config.FirstStart): the setup page
// while no password is set, else the default group's editor. "" once
// something is chosen (or unfiltered: true says nothing is meant).
func (ps *pageSet) finishSetup() string {
	if !ps.s.opts.Engine.FirstStart() {
		return ""
	}
	if !ps.s.auth.PasswordSet() {
		return "/setup"
	}
	return "/rules/group?name=" + policy.DefaultGroup
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
			v.Failed = failedFrom(action, r, err)
			ps.get[page](r, v)
			ps.render(w, statusOf(err), v)
			return
		}
		setFlash(w, flash)
		http.Redirect(w, r, "/"+page, http.StatusSeeOther)
	})
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
	Fingerprint string // the TLS certificate's, "" for plain HTTP
}

func (ps *pageSet) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if p, ok := ps.s.auth.Principal(r); ok && ps.s.auth.PasswordSet() && p.Kind == "session" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !ps.s.auth.PasswordSet() && ps.s.auth.Problem() == nil {
		http.Redirect(w, r, "/setup", http.StatusSeeOther) // first start: setup in the browser
		return
	}
	ps.renderLogin(w, r, http.StatusOK, next, "")
}

func (ps *pageSet) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	v := ps.newView(w, r, "login", "Log in", Principal{}, false)
	d := loginData{PasswordSet: ps.s.auth.PasswordSet(), Next: next, Fingerprint: ps.s.Fingerprint()}
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
