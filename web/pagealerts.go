package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/alerts"
)

// The Alerts page: where alerts go (ntfy, a webhook, e-mail), which events
// alert, quiet hours, each channel's state and a "send a test alert"
// button. The settings are the `alerts:` section of hearth.yaml, edited
// through the household settings (configedit); secrets are never shown
// back, and a secret left empty keeps the one the file has.

// alertsFile is `alerts:` as far as the page edits it.
type alertsFile struct {
	Webhook struct {
		URL string `json:"url,omitempty"`
	} `json:"webhook"`
	Ntfy struct {
		URL   string `json:"url,omitempty"`
		Token string `json:"token,omitempty"`
	} `json:"ntfy"`
	Email struct {
		SMTP     string   `json:"smtp,omitempty"`
		Username string   `json:"username,omitempty"`
		Password string   `json:"password,omitempty"`
		From     string   `json:"from,omitempty"`
		To       []string `json:"to,omitempty"`
		TLS      string   `json:"tls,omitempty"`
	} `json:"email"`
	Events struct {
		Blocked     *[]string `json:"blocked,omitempty"`
		BedtimeChat *bool     `json:"bedtime_chat,omitempty"`
		Bypass      *bool     `json:"bypass,omitempty"`
		NewDevice   *bool     `json:"new_device,omitempty"`
		Budget      *bool     `json:"budget,omitempty"`
		Silent      *string   `json:"silent_device,omitempty"`
	} `json:"events"`
	QuietHours []string            `json:"quiet_hours,omitempty"`
	For        map[string]forEntry `json:"for,omitempty"` // read only here: saveAlertsFor writes it
	// Digest is the weekly digest's day and time ("sun 18:00"); nil: the
	// form had no such field, so the file's is kept.
	Digest *string `json:"digest,omitempty"`
}

type alertsData struct {
	File       configState
	Channels   []alerts.ChannelState
	Set        alertsFile
	HasToken   bool
	HasPass    bool
	To         string
	Blocked    []option // categories and services, Value checked when in the list
	BlockedOn  map[string]bool
	Events     []alertEvent
	QuietHours string
	Digest     string
	Silent     []option // how long a device may stay silent before an alert; "0" off
	SilentOn   string
	For        forData
	Network    string // the neighbour check's last look, in words
	NetworkBad bool
}

type alertEvent struct {
	Key, Label string
	On         bool
}

// alertDefaults are the events' defaults (internal/config's default.yaml).
var alertDefaults = struct {
	blocked []string
}{blocked: []string{"random-video-chat", "adult"}}

func (ps *pageSet) alertsPage(r *http.Request, v *view) int {
	d := alertsData{BlockedOn: map[string]bool{}}
	h, st, err := ps.s.svc.Household()
	d.File = st
	if err == nil {
		var hh struct {
			Alerts alertsFile `json:"alerts"`
		}
		_ = json.Unmarshal(h, &hh)
		d.Set = hh.Alerts
	}
	d.HasToken, d.HasPass = d.Set.Ntfy.Token != "", d.Set.Email.Password != ""
	d.Set.Ntfy.Token, d.Set.Email.Password = "", "" // never shown back
	d.To = strings.Join(d.Set.Email.To, ", ")
	blocked := alertDefaults.blocked
	if d.Set.Events.Blocked != nil {
		blocked = *d.Set.Events.Blocked
	}
	for _, b := range blocked {
		d.BlockedOn[b] = true
	}
	cat := ps.s.opts.Catalogue
	for _, c := range cat.Categories {
		d.Blocked = append(d.Blocked, option{c.ID, c.Name})
	}
	on := func(p *bool) bool { return p == nil || *p }
	d.Events = []alertEvent{
		{"bedtime_chat", "A chat app tried at bedtime", on(d.Set.Events.BedtimeChat)},
		{"bypass", "A way round the filter tried (DNS-over-HTTPS, Private Relay, VPN apps)", on(d.Set.Events.Bypass)},
		{"new_device", "A new device joined and is not named yet", on(d.Set.Events.NewDevice)},
		{"budget", "A daily budget has 10 minutes left, and when it is used up", on(d.Set.Events.Budget)},
	}
	d.Silent = []option{{"0", "Never"}, {"20m", "After 20 minutes"}, {"40m", "After 40 minutes"}, {"1h", "After an hour"}, {"2h", "After two hours"}}
	d.SilentOn = "40m"
	if p := d.Set.Events.Silent; p != nil {
		d.SilentOn = *p
		d.Silent = withOption(d.Silent, *p)
	}
	d.QuietHours = strings.Join(d.Set.QuietHours, "\n")
	if d.Set.Digest != nil {
		d.Digest = *d.Set.Digest
	}
	if ps.s.opts.Alerts != nil {
		d.Channels = ps.s.opts.Alerts.AlertChannels()
		if ns, ok := ps.s.opts.Alerts.(NeighbourStatuser); ok {
			d.Network, d.NetworkBad = neighbourText(ns.NeighbourStatus(), ps.s.opts.Engine.Location())
		}
	}
	catName := func(id string) string {
		if c, ok := cat.Category(id); ok {
			return c.Name
		}
		if sv, ok := cat.Service(id); ok {
			return sv.Name
		}
		return id
	}
	d.For = ps.alertsFor(r, d.Set.For, catName)
	v.Data = d
	return http.StatusOK
}

// saveAlerts writes the form into hearth.yaml's alerts section.
func (ps *pageSet) saveAlerts(r *http.Request, _ Principal) (string, string, string, error) {
	f := r.PostForm
	var old alertsFile
	if h, _, err := ps.s.svc.Household(); err == nil {
		var hh struct {
			Alerts alertsFile `json:"alerts"`
		}
		_ = json.Unmarshal(h, &hh)
		old = hh.Alerts
	}
	var a alertsFile
	a.Webhook.URL = strings.TrimSpace(f.Get("webhook_url"))
	a.Ntfy.URL = strings.TrimSpace(f.Get("ntfy_url"))
	a.Ntfy.Token = firstNonEmpty(strings.TrimSpace(f.Get("ntfy_token")), old.Ntfy.Token)
	a.Email.SMTP = strings.TrimSpace(f.Get("smtp"))
	a.Email.Username = strings.TrimSpace(f.Get("smtp_user"))
	a.Email.Password = firstNonEmpty(f.Get("smtp_password"), old.Email.Password)
	a.Email.From = strings.TrimSpace(f.Get("from"))
	for _, to := range strings.FieldsFunc(f.Get("to"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		a.Email.To = append(a.Email.To, to)
	}
	a.Email.TLS = f.Get("tls")
	if f.Get("clear_token") == "yes" {
		a.Ntfy.Token = ""
	}
	if f.Get("clear_password") == "yes" {
		a.Email.Password = ""
	}
	blocked := nonNil(slices.Clone(f["blocked"]))
	a.Events.Blocked = &blocked
	for _, e := range []struct {
		key string
		p   **bool
	}{{"bedtime_chat", &a.Events.BedtimeChat}, {"bypass", &a.Events.Bypass}, {"new_device", &a.Events.NewDevice}, {"budget", &a.Events.Budget}} {
		on := slices.Contains(f["events"], e.key)
		*e.p = &on
	}
	if v := strings.TrimSpace(f.Get("silent_device")); v != "" {
		a.Events.Silent = &v
	} else {
		a.Events.Silent = old.Events.Silent
	}
	for _, l := range strings.Split(f.Get("quiet_hours"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			a.QuietHours = append(a.QuietHours, l)
		}
	}
	if v, ok := f["digest"]; ok && len(v) > 0 {
		d := strings.TrimSpace(v[0])
		a.Digest = &d
	}
	body, _ := json.Marshal(map[string]any{"alerts": alertsBody(a)})
	if _, _, err := ps.s.svc.PutHousehold(body, f.Get("version")); err != nil {
		return "alerts", "", "", err
	}
	return "alerts", "channels and events", "Alerts are saved in hearth.yaml and in force.", nil
}

// alertsBody is a in the file's shape: each section whole, so that what
// the form leaves empty is removed (null) rather than kept.
func alertsBody(a alertsFile) map[string]any {
	orNull := func(v any, set bool) any {
		if !set {
			return nil
		}
		return v
	}
	email := map[string]any{"smtp": a.Email.SMTP, "from": a.Email.From, "to": nonNil(a.Email.To), "tls": firstNonEmpty(a.Email.TLS, "auto")}
	if a.Email.Username != "" {
		email["username"] = a.Email.Username
	}
	if a.Email.Password != "" {
		email["password"] = a.Email.Password
	}
	ntfy := map[string]any{"url": a.Ntfy.URL}
	if a.Ntfy.Token != "" {
		ntfy["token"] = a.Ntfy.Token
	}
	m := map[string]any{
		"webhook": orNull(map[string]any{"url": a.Webhook.URL}, a.Webhook.URL != ""),
		"ntfy":    orNull(ntfy, a.Ntfy.URL != ""),
		"email":   orNull(email, a.Email.SMTP != ""),
		"events": map[string]any{"blocked": a.Events.Blocked, "bedtime_chat": a.Events.BedtimeChat, "bypass": a.Events.Bypass,
			"new_device": a.Events.NewDevice, "budget": a.Events.Budget, "silent_device": a.Events.Silent},
		"quiet_hours": orNull(a.QuietHours, len(a.QuietHours) > 0),
	}
	if a.Digest != nil {
		m["digest"] = orNull(*a.Digest, *a.Digest != "")
	}
	return m
}

// testAlertForm sends a test alert through every channel and says how it
// went.
func (ps *pageSet) testAlertForm(r *http.Request, _ Principal) (string, string, string, error) {
	if ps.s.opts.Alerts == nil {
		return "alerts", "", "", notFound("no alert channel is set: fill in ntfy, a webhook or e-mail below and save")
	}
	res, ok := ps.s.opts.Alerts.TestAlerts(r.Context())
	if !ok {
		return "alerts", "", "", notFound("no alert channel is set: fill in ntfy, a webhook or e-mail below and save")
	}
	var parts []string
	for _, t := range res {
		if t.OK {
			parts = append(parts, t.Channel+": sent")
		} else {
			parts = append(parts, fmt.Sprintf("%s: failed (%s)", t.Channel, t.Error))
		}
	}
	return "alerts", strings.Join(parts, "; "), "Test alert: " + strings.Join(parts, "; ") + ".", nil
}
