package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// routes lists every path. Reads need a login (or a token); changes need
// one and, with a session, its CSRF token; login, session and health are
// open (to the allowed networks).
func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /api/health", s.health)
	m.HandleFunc("GET /api/session", s.session)
	m.HandleFunc("POST /api/login", s.login)
	m.HandleFunc("POST /api/logout", s.logout)
	s.setupRoutes()

	m.Handle("GET /api/status", s.read(s.status))
	m.Handle("GET /api/status/{device}", s.read(s.statusOne))
	m.Handle("GET /api/devices", s.read(s.devices))
	m.Handle("PUT /api/devices/{key}", s.change("name-device", s.putDevice))
	m.Handle("DELETE /api/devices/{key}", s.change("forget-device", s.forgetDevice))
	m.Handle("GET /api/groups", s.read(s.groupsConfig))
	s.peopleRoutes(m)
	s.configRoutes()
	m.Handle("GET /api/overrides", s.read(s.overrides))
	m.Handle("POST /api/pause", s.change("pause", s.pause))
	m.Handle("POST /api/bonus", s.change("bonus", s.bonus))
	m.Handle("POST /api/bedtime/later", s.change("later-bedtime", s.laterBedtime))
	m.Handle("POST /api/bedtime/early", s.change("early-bedtime", s.earlyBedtime))
	m.Handle("POST /api/budgets/{owner}/bonus", s.change("extra-minutes", s.budgetBonus))
	m.Handle("POST /api/overrides/{id}/extend", s.change("extend", s.extend))
	m.Handle("DELETE /api/overrides/{id}", s.change("cancel", s.cancel))
	m.Handle("GET /api/report", s.read(s.report))
	m.Handle("GET /api/log", s.read(s.log))
	m.Handle("GET /api/lists", s.read(s.lists))
	m.Handle("POST /api/lists/refresh", s.change("refresh-lists", s.refreshLists))
	m.Handle("POST /api/reload", s.change("reload", s.reload))
	m.Handle("GET /api/audit", s.read(s.auditTrail))
	m.Handle("GET /api/alerts", s.read(s.alertChannels))
	m.Handle("POST /api/alerts/test", s.change("test-alert", s.testAlert))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API endpoint %s %s (see docs/api.md)", r.Method, r.URL.Path)
	})
	if s.opts.Metrics != nil {
		m.Handle("GET /metrics", s.opts.Metrics.Handler())
	}
	s.pageRoutes()
}

// read wraps a handler that needs a login.
func (s *Server) read(h func(http.ResponseWriter, *http.Request, Principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authorise(w, r)
		if ok {
			h(w, r, p)
		}
	})
}

// changeFunc makes a change and says what it did for the audit trail:
// target and detail on success; on failure it has written the response and
// returns the error.
type changeFunc func(w http.ResponseWriter, r *http.Request, p Principal) (target, detail string, err error)

// change wraps a handler that changes something: login, CSRF, and an
// entry in the audit trail whatever the outcome (once the caller is known).
func (s *Server) change(action string, h changeFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authorise(w, r)
		if !ok {
			return
		}
		if !s.auth.CheckCSRF(r, p) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token: send the X-CSRF-Token header from GET /api/session")
			return
		}
		_ = s.audited(p, action, func() (string, string, error) { return h(w, r, p) })
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

// authorise answers 403 when no password is set and 401 without a valid
// session or token.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	if !s.auth.PasswordSet() {
		writeError(w, http.StatusForbidden, "no admin password is set: finish setup (POST /api/setup with the code `hearth doctor` shows) or run `sudo hearth passwd` on the machine running Hearth")
		return Principal{}, false
	}
	p, ok := s.auth.Principal(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`)
		writeError(w, http.StatusUnauthorized, "log in (POST /api/login) or send a token (Authorization: Bearer ...)")
		return Principal{}, false
	}
	return p, true
}

// Who names a principal in the audit trail.
func (p Principal) Who() string {
	if p.Kind == "token" {
		return "token " + p.Name
	}
	return "dashboard"
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.opts.Version})
}

type sessionInfo struct {
	LoggedIn    bool      `json:"logged_in"`
	PasswordSet bool      `json:"password_set"`
	CSRF        string    `json:"csrf,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
	Who         string    `json:"who,omitempty"`
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	info := sessionInfo{PasswordSet: s.auth.PasswordSet()}
	if p, ok := s.auth.Principal(r); ok && info.PasswordSet {
		info.LoggedIn, info.CSRF, info.Expires, info.Who = true, p.CSRF, p.Expires, p.Who()
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Password string `json:"password"`
	}
	if !decode(w, r, &req) {
		return
	}
	p, err := s.auth.Login(w, r, req.Password)
	if !s.loginFailed(w, r, err) {
		writeJSON(w, http.StatusOK, sessionInfo{LoggedIn: true, PasswordSet: true, CSRF: p.CSRF, Expires: p.Expires, Who: p.Who()})
	}
}

// loginFailed answers a failed login (if err is one) and logs it.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	var rl *RateLimitedError
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrCrossSite):
		writeError(w, http.StatusForbidden, "%v", err)
	case errors.Is(err, ErrNoPassword):
		writeError(w, http.StatusForbidden, "no admin password is set: run `sudo hearth passwd` on the machine running Hearth")
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds()+0.999)))
		writeError(w, http.StatusTooManyRequests, "%v", err)
	default:
		writeError(w, http.StatusUnauthorized, "wrong password")
	}
	s.opts.Logger.Warn().Str("addr", r.RemoteAddr).Err(err).Msg("dashboard login refused")
	return true
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.auth.Principal(r); ok && p.Kind == "session" && !s.auth.CheckCSRF(r, p) {
		writeError(w, http.StatusForbidden, "missing or wrong CSRF token")
		return
	}
	s.auth.Logout(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// errBadRequest marks a request whose body was refused (already answered).
var errBadRequest = errors.New("bad request body")

// maxBody bounds a request body.
const maxBody = 64 << 10

// decode reads a JSON body strictly (unknown fields are errors), answering
// 400 itself when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "request body: %v", err)
		return false
	}
	return true
}

// writeServiceError answers an error from the service layer with its
// status (404 unknown thing, 409 conflict, 422 bad field, 502 a list
// source, 500 otherwise) and, for a bad field, what is wrong with each.
func writeServiceError(w http.ResponseWriter, err error) {
	e := classify(err)
	writeJSON(w, statusOf(e), apiError{Error: e.msg, Fields: e.fields})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
