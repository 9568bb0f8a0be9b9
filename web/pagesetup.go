package web

// The setup page: first start in the browser (service_setup.go does the
// work). Shown while no admin password is set; the login page sends
// parents here. One form: the setup code, the password twice, the time zone
// (the browser's guess preselected by static/setup.js, the only script, as
// the CSP allows no inline one), the country, the children's ages and
// where new devices go. Then the Devices page, logged in.

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hearth-dns/hearth/policy"
)

type setupOption struct {
	Value, Label string
	Selected     bool
}

type setupPresetView struct {
	setupPreset
	Checked bool
}

type setupData struct {
	Code       string
	Zones      []setupOption
	Countries  []setupOption
	Presets    []setupPresetView
	NewDevices []setupOption
	Fields     map[string]string // what is wrong with each field
	Chosen     bool              // the zone was chosen (a form sent back): no guessing
	Done       *setupResult      // set up, but hearth.yaml could not be saved
}

func (ps *pageSet) setupRoutes() {
	m := ps.s.mux
	m.HandleFunc("GET /setup", ps.setupPage)
	m.HandleFunc("POST /setup", ps.setupPost)
}

func (ps *pageSet) setupPage(w http.ResponseWriter, r *http.Request) {
	if ps.s.auth.PasswordSet() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	req := setupRequest{Timezone: ps.s.opts.Engine.Location().String(), Country: countryOf(r), NewDevices: "default"}
	ps.renderSetup(w, r, http.StatusOK, req, "", nil)
}

func (ps *pageSet) renderSetup(w http.ResponseWriter, r *http.Request, status int, req setupRequest, msg string, fields map[string]string) {
	v := ps.newView(w, r, "setup", "Set up Hearth", Principal{}, false)
	d := setupData{Code: req.Code, Fields: fields, Chosen: r.Method == http.MethodPost}
	zones := setupZones
	if !slices.Contains(zones, req.Timezone) && req.Timezone != "" {
		zones = append([]string{req.Timezone}, zones...)
	}
	for _, z := range zones {
		d.Zones = append(d.Zones, setupOption{Value: z, Label: strings.ReplaceAll(z, "_", " "), Selected: z == req.Timezone})
	}
	for _, c := range policy.HelpCountries() {
		d.Countries = append(d.Countries, setupOption{Value: c, Label: firstNonEmpty(setupCountryNames[c], strings.ToUpper(c)), Selected: c == req.Country})
	}
	d.Countries = append(d.Countries, setupOption{Value: "none", Label: "Another country (no built-in help sites)", Selected: req.Country == "none"})
	d.NewDevices = []setupOption{{Value: "default", Label: "The default group: adult, gambling and malware blocked, safe search", Selected: req.NewDevices == "default" || req.NewDevices == ""}}
	for _, p := range setupPresets {
		d.Presets = append(d.Presets, setupPresetView{p, slices.Contains(req.Presets, p.ID)})
		d.NewDevices = append(d.NewDevices, setupOption{Value: p.Group, Label: "The " + p.Group + " group (" + p.Label + ")", Selected: req.NewDevices == p.Group})
	}
	v.Error, v.Data = msg, d
	ps.render(w, status, v)
}

func (ps *pageSet) setupPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		ps.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	f := r.PostForm
	req := setupRequest{Code: f.Get("code"), Password: f.Get("password"), Timezone: f.Get("timezone"),
		Country: f.Get("country"), Presets: f["preset"], NewDevices: f.Get("new_devices")}
	if f.Get("password") != f.Get("password2") {
		ps.renderSetup(w, r, http.StatusUnprocessableEntity, req, "The two passwords differ: type the same one twice.",
			map[string]string{"password2": "not the same as the password"})
		return
	}
	res, err := ps.s.setup(w, r, req)
	if err != nil {
		e, status := classify(err), statusOf(err)
		var rl *RateLimitedError
		if errors.As(err, &rl) {
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds()+0.999)))
		}
		req.Password = ""
		ps.renderSetup(w, r, status, req, "Nothing was set up. "+errorText(err), e.fields)
		return
	}
	if !res.Saved {
		v := ps.newView(w, r, "setup", "Set up Hearth", res.Login, true)
		v.Data = setupData{Done: &res}
		ps.render(w, http.StatusOK, v)
		return
	}
	msg := "Hearth is set up and you are logged in. Name the children's devices and put them in their groups."
	setFlash(w, msg)
	http.Redirect(w, r, "/devices", http.StatusSeeOther)
}

// countryOf guesses the household's country from the browser's languages
// (Accept-Language: en-GB,en;q=0.9 -> gb), if it has help sites.
func countryOf(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if _, region, ok := strings.Cut(tag, "-"); ok {
			c := strings.ToLower(region)
			if c == "uk" {
				c = "gb"
			}
			if slices.Contains(policy.HelpCountries(), c) {
				return c
			}
		}
	}
	return "gb"
}
