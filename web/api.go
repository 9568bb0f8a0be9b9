package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
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

	m.Handle("GET /api/status", s.read(s.status))
	m.Handle("GET /api/status/{device}", s.read(s.statusOne))
	m.Handle("GET /api/devices", s.read(s.devices))
	m.Handle("PUT /api/devices/{key}", s.change("name-device", s.nameDevice))
	m.Handle("DELETE /api/devices/{key}", s.change("forget-device", s.forgetDevice))
	m.Handle("GET /api/groups", s.read(s.groups))
	m.Handle("GET /api/overrides", s.read(s.overrides))
	m.Handle("POST /api/pause", s.change("pause", s.pause))
	m.Handle("POST /api/bonus", s.change("bonus", s.bonus))
	m.Handle("DELETE /api/overrides/{id}", s.change("cancel", s.cancel))
	m.Handle("GET /api/report", s.read(s.report))
	m.Handle("GET /api/log", s.read(s.log))
	m.Handle("GET /api/lists", s.read(s.lists))
	m.Handle("POST /api/lists/refresh", s.change("refresh-lists", s.refreshLists))
	m.Handle("POST /api/reload", s.change("reload", s.reload))
	m.Handle("GET /api/audit", s.read(s.auditTrail))
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

// policyStatus is the status for an error from checking or applying a
// change, as writePolicyError answers it.
func policyStatus(err error) int {
	var nf *notFoundError
	var fe *fielderr.Error
	switch {
	case errors.As(err, &nf), errors.Is(err, state.ErrNoOverride), errors.Is(err, state.ErrNoAssignment):
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
func (s *Server) applyOverride(req overrideRequest, kind state.OverrideKind, p Principal) (ov state.Override, warning, err error) {
	if ov, err = s.override(req, kind, p); err != nil {
		return ov, nil, err
	}
	ov, err = s.opts.Engine.Overrides().Add(ov)
	if errors.Is(err, state.ErrNotPersisted) {
		return ov, err, nil
	}
	return ov, nil, err
}

// authorise answers 403 when no password is set and 401 without a valid
// session or token.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	if !s.auth.PasswordSet() {
		writeError(w, http.StatusForbidden, "no admin password is set: run `sudo hearth passwd` on the machine running Hearth")
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

// statusView is GET /api/status.
type statusView struct {
	Now       time.Time             `json:"now"`
	Zone      string                `json:"zone"`
	Devices   []policy.DeviceStatus `json:"devices"`
	Conflicts []string              `json:"conflicts"`
}

func (s *Server) statusNow() statusView {
	now := s.opts.Clock.Now()
	conflicts := s.opts.Engine.Conflicts()
	if conflicts == nil {
		conflicts = []string{}
	}
	return statusView{Now: now.In(s.opts.Engine.Location()), Zone: s.opts.Engine.Location().String(),
		Devices: s.opts.Engine.Status(now), Conflicts: conflicts}
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, s.statusNow())
}

func (s *Server) statusOne(w http.ResponseWriter, r *http.Request, _ Principal) {
	name := r.PathValue("device")
	if name == "unknown" {
		name = ""
	}
	st, ok := s.opts.Engine.DeviceStatus(name, s.opts.Clock.Now())
	if !ok {
		writeError(w, http.StatusNotFound, "no device %q", name)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// deviceView is one device seen, with its name and group if it has one.
type deviceView struct {
	state.SeenDevice
	Name   string `json:"name"`
	Group  string `json:"group"`
	Source string `json:"source"` // "config", "dashboard" or "unknown"
}

func (s *Server) deviceList() []deviceView {
	e := s.opts.Engine
	assigned := map[string]state.Assignment{}
	for _, a := range e.Assignments().List() {
		assigned[a.Key] = a
	}
	groups := map[string]string{}
	for _, gw := range e.Week() {
		for _, d := range gw.Devices {
			groups[d] = gw.Group
		}
	}
	out := []deviceView{}
	for _, sd := range e.Devices().List() {
		v := deviceView{SeenDevice: sd, Name: sd.Device, Group: policy.DefaultGroup, Source: "unknown"}
		if g, ok := groups[sd.Device]; ok && sd.Device != "" {
			v.Group, v.Source = g, "config"
			if a, ok := assigned[sd.Key]; ok && a.Name == sd.Device {
				v.Source = "dashboard"
			}
		} else if a, ok := assigned[sd.Key]; ok {
			// Named since the device's last query: it takes the name at its next.
			v.Name, v.Group, v.Source = a.Name, a.Group, "dashboard"
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) devices(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"devices": s.deviceList(), "groups": s.opts.Engine.GroupNames()})
}

func (s *Server) nameDevice(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	key := r.PathValue("key")
	var req struct {
		Name  string `json:"name"`
		Group string `json:"group"`
	}
	if !decode(w, r, &req) {
		return key, "", errBadRequest
	}
	err := s.opts.Engine.Assign(state.Assignment{Key: key, Name: req.Name, Group: req.Group, By: p.Who() + " " + p.Addr})
	detail := fmt.Sprintf("name %q, group %q", req.Name, req.Group)
	if err != nil {
		writePolicyError(w, err)
		return key, detail, err
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "name": req.Name, "group": firstNonEmpty(req.Group, policy.DefaultGroup)})
	return key, detail, nil
}

func (s *Server) forgetDevice(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	key := r.PathValue("key")
	if err := s.opts.Engine.Unassign(key); err != nil {
		writePolicyError(w, err)
		return key, "", err
	}
	w.WriteHeader(http.StatusNoContent)
	return key, "", nil
}

func (s *Server) groups(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"zone": s.opts.Engine.Location().String(), "groups": s.opts.Engine.Week()})
}

func (s *Server) overrides(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"overrides": s.opts.Engine.Overrides().List(s.opts.Clock.Now())})
}

// overrideRequest is the body of POST /api/pause and /api/bonus.
type overrideRequest struct {
	Device  string    `json:"device"`
	Group   string    `json:"group"`
	What    string    `json:"what"`
	Minutes int       `json:"minutes"`
	Until   time.Time `json:"until"`
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	return s.addOverride(w, r, p, state.OverridePause)
}

func (s *Server) bonus(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	return s.addOverride(w, r, p, state.OverrideBonus)
}

func (s *Server) addOverride(w http.ResponseWriter, r *http.Request, p Principal, kind state.OverrideKind) (string, string, error) {
	var req overrideRequest
	if !decode(w, r, &req) {
		return "", "", errBadRequest
	}
	ov, warning, err := s.applyOverride(req, kind, p)
	if err != nil {
		writePolicyError(w, err)
		return firstNonEmpty(req.Device, req.Group), "", err
	}
	detail := strings.TrimSpace(ov.What + " until " + ov.Until.In(s.opts.Engine.Location()).Format(time.RFC3339))
	resp := map[string]any{"override": ov}
	if warning != nil {
		resp["warning"] = warning.Error()
	}
	writeJSON(w, http.StatusCreated, resp)
	return ov.Target(), detail + " (" + ov.ID + ")", nil
}

// override checks a request against the running policy: an unknown device
// or group is a 404, an unknown category a 422.
func (s *Server) override(req overrideRequest, kind state.OverrideKind, p Principal) (state.Override, error) {
	e := s.opts.Engine
	ov := state.Override{Kind: kind, Group: req.Group, What: req.What, Until: req.Until, By: p.Who()}
	switch {
	case req.Device != "" && req.Group != "":
		return ov, fielderr.New("device", "%q: set a device or a group (%q), not both", req.Device, req.Group)
	case req.Device != "":
		name, ok := e.HasDevice(req.Device)
		if !ok {
			return ov, notFound("no device %q", req.Device)
		}
		ov.Device = name
	case req.Group != "":
		if !e.HasGroup(req.Group) {
			return ov, notFound("no group %q (groups: %s)", req.Group, strings.Join(e.GroupNames(), ", "))
		}
	default:
		return ov, fielderr.New("device", "set a device or a group")
	}
	if kind == state.OverrideBonus && req.What != "" && !e.Blockable(req.What) {
		return ov, fielderr.New("what", "%q is not a category or service (see `hearth services`)", req.What)
	}
	switch {
	case req.Minutes != 0 && !req.Until.IsZero():
		return ov, fielderr.New("minutes", "set minutes or until, not both")
	case req.Minutes < 0 || req.Minutes > int(state.MaxOverride/time.Minute):
		return ov, fielderr.New("minutes", "%d is outside 1..%d", req.Minutes, int(state.MaxOverride/time.Minute))
	case req.Minutes > 0:
		ov.Until = s.opts.Clock.Now().Add(time.Duration(req.Minutes) * time.Minute)
	case req.Until.IsZero():
		return ov, fielderr.New("minutes", "say for how long (minutes) or until when (until, RFC 3339)")
	}
	return ov, nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	id := r.PathValue("id")
	err := s.opts.Engine.Overrides().Cancel(id)
	if err != nil && !errors.Is(err, state.ErrNotPersisted) {
		writePolicyError(w, err)
		return id, "", err
	}
	w.WriteHeader(http.StatusNoContent)
	return id, "", nil
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

// notFoundError is a request naming something that does not exist.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

func notFound(format string, args ...any) error { return &notFoundError{fmt.Sprintf(format, args...)} }

// writePolicyError answers an error from checking or applying a change:
// 404 unknown thing, 409 conflict, 422 bad field, 500 otherwise.
func writePolicyError(w http.ResponseWriter, err error) {
	status := policyStatus(err)
	body := apiError{Error: err.Error()}
	var fe *fielderr.Error
	switch {
	case errors.Is(err, policy.ErrUnknownGroup):
		body.Fields = map[string]string{"group": err.Error()}
	case errors.As(err, &fe):
		body.Fields = map[string]string{}
		for _, e := range unjoin(err) {
			if errors.As(e, &fe) {
				body.Fields[fe.Key] = fe.Msg
			}
		}
	}
	writeJSON(w, status, body)
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
