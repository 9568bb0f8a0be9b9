package web

// First start in the browser: the setup that the page (/setup) and the API
// (POST /api/setup) both run. With the setup code (setupcode.go) it writes
// the household's time zone, country (help sites), starting rules for the
// children's ages and the new-devices group into hearth.yaml (through
// internal/configedit, as every dashboard edit), applies them with the same
// reload as SIGHUP, sets the admin password and logs the parent in. Every
// step is in the audit trail. docs/policy.md says what each preset does and
// why.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
)

// setupPreset is a starting set of rules for children of an age: the group
// it makes, in hearth.yaml's shape (JSON, keys in the order written).
type setupPreset struct {
	ID    string // what the form and the API send
	Label string
	Group string
	Says  string // one line for the page
	Body  string
}

// setupPresets, youngest first. Every one blocks adult, gambling and
// malware at all hours; the rest loosens with age.
var setupPresets = []setupPreset{
	{ID: "under-9", Label: "Under 9", Group: "little-kids",
		Says: "Games and videos after school and at weekends only, no social media or chat, bedtime 19:30, strict safe search.",
		Body: `{"rules": [
  {"block": ["adult", "gambling", "malware"]},
  {"block": ["social", "chat"]},
  {"block": ["gaming", "video"], "outside": ["mon-fri 16:00-18:00", "sat,sun 09:00-18:00"], "holidays": ["daily 09:00-18:00"]}
], "bedtime": ["daily 19:30-07:00"], "safe_search": "strict", "bypass_protection": true}`},
	{ID: "9-12", Label: "9 to 12", Group: "kids",
		Says: "Games after school and at weekends, chat until 20:00, no social media, bedtime 20:30 on school nights, strict safe search.",
		Body: `{"rules": [
  {"block": ["adult", "gambling", "malware"]},
  {"block": ["social"]},
  {"block": ["gaming"], "outside": ["mon-fri 16:00-19:00", "sat,sun 10:00-20:00"], "holidays": ["daily 10:00-20:00"]},
  {"block": ["chat"], "outside": ["daily 07:00-20:00"]}
], "bedtime": ["sun-thu 20:30-07:00", "fri,sat 21:30-08:00"], "safe_search": "strict", "bypass_protection": true}`},
	{ID: "13-15", Label: "13 to 15", Group: "teens",
		Says: "Social media and games blocked in school hours, bedtime 22:00 on school nights, moderate safe search.",
		Body: `{"rules": [
  {"block": ["adult", "gambling", "malware"]},
  {"block": ["social", "gaming"], "during": ["mon-fri 09:00-15:30"]}
], "bedtime": ["sun-thu 22:00-06:30", "fri,sat 23:30-08:00"], "safe_search": "moderate", "bypass_protection": true}`},
	{ID: "16+", Label: "16 and over", Group: "older-teens",
		Says: "Adult, gambling and malware blocked; no times, no bedtime; moderate safe search.",
		Body: `{"rules": [
  {"block": ["adult", "gambling", "malware"]}
], "safe_search": "moderate"}`},
}

// setupDefaultGroup is what setup writes for the default group when the
// file gives it no rules: devices nobody has named are not left open.
const setupDefaultGroup = `{"rules": [{"block": ["adult", "gambling", "malware"]}], "safe_search": "moderate"}`

// setupCountryNames name the help countries on the page.
var setupCountryNames = map[string]string{"au": "Australia", "gb": "United Kingdom", "ie": "Ireland", "us": "United States"}

func presetByID(id string) (setupPreset, bool) {
	i := slices.IndexFunc(setupPresets, func(p setupPreset) bool { return p.ID == id })
	if i < 0 {
		return setupPreset{}, false
	}
	return setupPresets[i], true
}

// setupRequest is what setup asks for (POST /api/setup's body).
type setupRequest struct {
	Code     string   `json:"code"`
	Password string   `json:"password"`
	Timezone string   `json:"timezone"`
	Country  string   `json:"country"`           // a help country ("gb"), or "none"
	Presets  []string `json:"presets,omitempty"` // setupPresets' IDs
	// NewDevices is the group of devices nobody named: "default" (or ""),
	// or the group of one of Presets.
	NewDevices string `json:"new_devices,omitempty"`
}

// setupResult is what setup did.
type setupResult struct {
	Groups     []string  `json:"groups"`         // groups written to hearth.yaml
	Kept       []string  `json:"kept,omitempty"` // groups the file had already, left as they were
	NewDevices string    `json:"new_devices"`    // the group of unnamed devices
	Saved      bool      `json:"saved"`          // hearth.yaml was written and applied
	Why        string    `json:"why,omitempty"`  // why it could not be saved
	YAML       string    `json:"yaml,omitempty"` // the file to paste instead
	Path       string    `json:"path,omitempty"` // hearth.yaml's path
	Login      Principal `json:"-"`
}

// check validates every field at once (no field is the code's).
func (req *setupRequest) check() error {
	var errs []error
	if n := utf8.RuneCountInString(req.Password); n < MinPasswordLen {
		errs = append(errs, fielderr.New("password", "%d characters: use at least %d", n, MinPasswordLen))
	} else if len(req.Password) > maxPasswordBytes {
		errs = append(errs, fielderr.New("password", "%d bytes: at most %d", len(req.Password), maxPasswordBytes))
	}
	if loc, err := time.LoadLocation(req.Timezone); req.Timezone == "" || req.Timezone == "Local" || err != nil || loc == time.UTC && req.Timezone != "UTC" {
		errs = append(errs, fielderr.New("timezone", "%q is not a time zone: pick one like Europe/London or America/New_York", req.Timezone))
	}
	req.Country = strings.ToLower(strings.TrimSpace(req.Country))
	if req.Country != "none" && !slices.Contains(policy.HelpCountries(), req.Country) {
		errs = append(errs, fielderr.New("country", "%q has no built-in help sites: pick one of %s, or none", req.Country, strings.Join(policy.HelpCountries(), ", ")))
	}
	// New devices in a preset's group: that preset is wanted too.
	if i := slices.IndexFunc(setupPresets, func(p setupPreset) bool { return p.Group == req.NewDevices }); i >= 0 && !slices.Contains(req.Presets, setupPresets[i].ID) {
		req.Presets = append(req.Presets, setupPresets[i].ID)
	}
	var ids []string
	for _, id := range req.Presets {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	req.Presets = ids
	groups := []string{policy.DefaultGroup}
	for i, id := range req.Presets {
		p, ok := presetByID(id)
		if !ok {
			ids := make([]string, len(setupPresets))
			for j, p := range setupPresets {
				ids[j] = p.ID
			}
			errs = append(errs, fielderr.New(fmt.Sprintf("presets[%d]", i), "no preset %q: the presets are %s", id, strings.Join(ids, ", ")))
			continue
		}
		groups = append(groups, p.Group)
	}
	if req.NewDevices == "" {
		req.NewDevices = policy.DefaultGroup
	}
	if !slices.Contains(groups, req.NewDevices) {
		errs = append(errs, fielderr.New("new_devices", "%q is not one of the groups setup makes (%s)", req.NewDevices, strings.Join(groups, ", ")))
	}
	if len(errs) > 0 {
		e := classify(errors.Join(errs...))
		e.msg = "setup needs some changes, nothing was done: " + errors.Join(errs...).Error()
		return e
	}
	return nil
}

// setupMu makes setups one at a time, so a code is used once.
var setupMu sync.Mutex

// setup runs the whole first start for the request r: the code (within the
// login limits), the fields, hearth.yaml, the password, the login. Each
// step is audited as "setup" by "setup" from the client's address. The
// code is used up only once the password is set.
func (s *Server) setup(w http.ResponseWriter, r *http.Request, req setupRequest) (setupResult, error) {
	setupMu.Lock()
	defer setupMu.Unlock()
	who := Principal{Kind: "setup", Name: "setup", Addr: addrOf(r, clientIP(r))}
	step := func(action, detail string, err error) {
		c := Change{At: s.opts.Clock.Now().UTC(), Who: "setup", Addr: who.Addr, Action: action, Detail: detail, OK: err == nil}
		if err != nil {
			c.Error = err.Error()
		}
		s.audit.record(c)
	}
	if !sameOrigin(r) {
		step("setup-code", "", ErrCrossSite)
		return setupResult{}, &serviceError{kind: kindForbidden, msg: ErrCrossSite.Error(), err: ErrCrossSite}
	}
	if err := s.auth.checkSetupCode(r, req.Code); err != nil {
		step("setup-code", "", err)
		return setupResult{}, setupCodeError(err)
	}
	step("setup-code", "right code", nil)
	if err := req.check(); err != nil {
		step("setup", "", err)
		return setupResult{}, err
	}

	res, err := s.setupConfig(req)
	detail := fmt.Sprintf("timezone %s, country %s, groups %s, new devices %s", req.Timezone, req.Country, strings.Join(res.Groups, ", "), res.NewDevices)
	if err == nil && !res.Saved {
		detail += "; hearth.yaml not saved: " + res.Why
	}
	step("setup-config", detail, err)
	if err != nil {
		return setupResult{}, err
	}
	err = SetPassword(s.opts.StateDir, req.Password)
	step("setup-password", "", err)
	if err != nil {
		return res, failed(kindInternal, err, "the password was not saved: %v", err)
	}
	if err := s.auth.useSetupCode(); err != nil {
		s.opts.Logger.Error().Err(err).Msg("setup code not removed; it cannot be used again while a password is set")
	}
	res.Login, err = s.auth.startSession(w, r)
	step("login", "after setup", err)
	if err != nil {
		return res, failed(kindInternal, err, "the password is set but the login failed: log in again (%v)", err)
	}
	return res, nil
}

// setupCodeError gives a refused code its kind: too many tries 429 (the
// caller sets Retry-After), set up already 409, else 403.
func setupCodeError(err error) error {
	var rl *RateLimitedError
	switch {
	case errors.As(err, &rl):
		return err
	case errors.Is(err, ErrAlreadySetUp):
		return &serviceError{kind: kindConflict, msg: err.Error(), err: err}
	}
	return &serviceError{kind: kindForbidden, msg: err.Error(), err: err}
}

// setupConfig writes the household's settings and groups into hearth.yaml
// and applies them. Groups the file has already (with anything in them)
// are kept as they are. A file that cannot be saved is no failure: the
// result carries why and the YAML to paste.
func (s *Server) setupConfig(req setupRequest) (setupResult, error) {
	res := setupResult{NewDevices: req.NewDevices, Saved: true}
	f := s.svc.configFile()
	res.Path = f.Path
	change := func(d *configedit.Doc) error {
		res.Groups, res.Kept = nil, nil
		household := map[string]any{"timezone": req.Timezone, "new_devices": map[string]string{"group": req.NewDevices}}
		countries := []string{}
		if req.Country != "none" {
			countries = []string{req.Country}
		}
		household["help"] = map[string]any{"countries": countries}
		if err := setJSON(d.SetHousehold, household); err != nil {
			return err
		}
		groups := []struct{ name, body string }{{policy.DefaultGroup, setupDefaultGroup}}
		for _, id := range req.Presets {
			p, _ := presetByID(id)
			groups = append(groups, struct{ name, body string }{p.Group, p.Body})
		}
		for _, g := range groups {
			if old, err := d.Group(g.name); err == nil && !emptyJSON(old) {
				res.Kept = append(res.Kept, g.name)
				continue
			}
			n, err := configedit.FromJSON([]byte(g.body))
			if err != nil {
				return err
			}
			if err := d.SetGroup(g.name, n); err != nil {
				return err
			}
			res.Groups = append(res.Groups, g.name)
		}
		return nil
	}
	_, err := s.svc.editConfig("", change)
	var ro *configedit.ReadOnlyError
	if errors.As(err, &ro) {
		res.Saved, res.Why, res.YAML = false, ro.Why, string(ro.YAML)
		if res.Path == "" {
			res.Path = "/etc/hearth/hearth.yaml"
		}
		return res, nil
	}
	return res, err
}

// setJSON hands v, as a YAML node in the file's shape, to set.
func setJSON(set func(*yaml.Node) error, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	n, err := configedit.FromJSON(b)
	if err != nil {
		return err
	}
	return set(n)
}

func emptyJSON(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null" || s == "{}"
}
