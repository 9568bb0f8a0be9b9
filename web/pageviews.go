package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/words"
)

// Four of the five pages: Report, Devices, Rules and Log (pagenow.go has
// the Now page; pages.go the routes, login and the shared change path).

// The Report page: the weekly report (report's own HTML, charts and all)
// in the dashboard's layout, with a link to the page on its own.

type reportData struct {
	Since   string
	Device  string
	Person  string
	People  []option // "" (everyone) and each person, when hearth.yaml has people
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
	if people := ps.s.opts.Engine.People(); len(people) > 0 {
		d.People = []option{{"", "Every child"}}
		for _, p := range people {
			d.People = append(d.People, option{p, p + " (all their devices)"})
		}
	}
	if d.Person = q.Get("person"); d.Person != "" {
		d.Device = "" // a child's report covers their devices
	}
	full := url.Values{"since": {d.Since}, "device": {d.Device}}
	if d.Person != "" {
		full = url.Values{"since": {d.Since}, "person": {d.Person}}
	}
	d.Full = "/report/full?" + full.Encode()
	v.Data = d
	rep, err := ps.s.svc.Report(r.Context(), reportQuery{Since: d.Since, Device: d.Device, Person: d.Person})
	if err != nil {
		v.Error = errorText(err)
		return statusOf(err)
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
	q := r.URL.Query()
	rep, err := ps.s.svc.Report(r.Context(), reportQuery{Since: q.Get("since"), Device: q.Get("device"), Person: q.Get("person")})
	if err != nil {
		ps.fail(w, r, statusOf(err), errorText(err))
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
	File      configState  // hearth.yaml: its version for the forms, whether it can be saved
	Blockable []option     // the catalogue, for a device's own entries
	Children  []childCard  // people: in hearth.yaml, with their devices
	Setup     *deviceSetup // encrypted DNS for each named device; nil without listen_tls/listen_https
}

type deviceRow struct {
	ID      string // for the form's labels
	Title   string
	Key     string
	Name    string
	Group   string
	Source  string // "config", "dashboard", "unknown"
	Where   string // the source in words
	Details []string
	Today   string // the services a device not named looked up today
	// Settings are the parental controls of those services that have their
	// own (the catalogue's settings), linked.
	Settings []settingLink
	Editable bool
	// NameErr and GroupErr: why a change to this device was refused,
	// shown next to its field (Name is then what was typed).
	NameErr, GroupErr string
	Refused           bool     // the last change to this device was refused
	Own               *ownForm // its own entries, for a device hearth.yaml names (nil otherwise)
}

func (ps *pageSet) devices(_ *http.Request, v *view) int {
	s := ps.s
	now, loc := s.opts.Clock.Now(), s.opts.Engine.Location()
	d := devicesData{Groups: s.opts.Engine.GroupNames(), Conflicts: s.opts.Engine.Conflicts()}
	var data []byte
	d.File, data, _ = s.svc.ConfigState()
	d.Blockable, _, _ = ps.catalogueOptions("")
	d.Children = ps.children(v)
	d.Setup = ps.setupFor()
	own := map[string]ownEntries{}
	for _, o := range s.svc.DeviceEntries(data) {
		own[o.Name] = o
	}
	for i, dv := range s.svc.Devices() {
		row := deviceRow{ID: fmt.Sprintf("d%d", i+1), Title: dv.Name, Key: dv.Key, Name: dv.Name, Group: dv.Group, Source: dv.Source}
		switch dv.Source {
		case "config":
			row.Where, row.Editable = "Named in hearth.yaml", d.File.Editable
			if o, ok := own[dv.Name]; ok && d.File.Editable {
				row.Own = ps.ownFormFor(v, dv.Key, o)
			}
		case "dashboard":
			row.Where, row.Editable = "Named on the dashboard", true
		default:
			row.Title, row.Where, row.Editable = "Not named", "Not named yet", true
		}
		row.Details, row.Today = s.deviceDetails(dv, now, loc)
		if msg, typed := v.fieldFor("name-device", "key", dv.Key, "name"); v.Failed != nil && v.Failed.Form.Get("key") == dv.Key {
			row.NameErr, row.Name, row.Refused = msg, typed, true
			row.GroupErr, _ = v.fieldFor("name-device", "key", dv.Key, "group")
		}
		row.Settings = dv.Settings
		d.Devices = append(d.Devices, row)
	}
	v.Data = d
	return http.StatusOK
}

func (ps *pageSet) nameDevice(r *http.Request, p Principal) (string, string, string, error) {
	key, name, group := r.PostFormValue("key"), strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("group")
	detail := fmt.Sprintf("name %q, group %q", name, group)
	// The page only offers the devices seen.
	if !ps.s.svc.Seen(key) {
		return key, detail, "", notFound("no device %q has been seen", key)
	}
	stored, _, err := ps.s.svc.PutDevice(configedit.Device{Key: key, Name: name, Group: group}, r.PostFormValue("version"), p.Who()+" "+p.Addr)
	if err != nil {
		return key, detail, "", err
	}
	where := "saved in hearth.yaml"
	if stored == "state" {
		where = "kept by Hearth: hearth.yaml cannot be saved"
	}
	return key, detail + " in " + stored, fmt.Sprintf("%s is in the %s group from its next lookup (%s).", name, firstNonEmpty(group, policy.DefaultGroup), where), nil
}

func (ps *pageSet) forgetDevice(r *http.Request, _ Principal) (string, string, string, error) {
	key := r.PostFormValue("key")
	name, _, err := ps.s.svc.RemoveDevice(key, r.PostFormValue("version"))
	if err != nil {
		return key, "", "", err
	}
	return key, "", "The name " + name + " is forgotten: the device is unknown again.", nil
}

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

func (ps *pageSet) log(r *http.Request, v *view) int {
	q := r.URL.Query()
	d := logData{Device: q.Get("device"), Since: firstNonEmpty(q.Get("since"), "24h"), Action: firstNonEmpty(q.Get("action"), "block"),
		Devices: ps.deviceOptions(),
		Lengths: []option{{"1h", "Last hour"}, {"24h", "Last 24 hours"}, {"7d", "Last 7 days"}},
		Actions: []option{{"block", "Blocked"}, {"allow", "Allowed (groups that log them)"}, {"all", "All"}}}
	d.Devices, d.Lengths = withOption(d.Devices, d.Device), withOption(d.Lengths, d.Since)
	v.Data = d
	rows, err := ps.s.svc.Log(r.Context(), logQuery{Since: q.Get("since"), Device: q.Get("device"), Person: q.Get("person"), Action: q.Get("action"), Limit: q.Get("limit")})
	if err != nil {
		v.Error = errorText(err)
		return statusOf(err)
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
		if w := words.Reason(x.Reason); w != "" {
			why = append(why, w)
		}
		action := words.Outcome(x.Action, "")
		tries := "tries"
		if x.Attempts == 1 {
			tries = "try"
		}
		name := x.Name
		if x.Folded > 0 { // a flood of names folded into one row
			name = words.Folded(firstNonEmpty(x.Device, x.Client), x.Folded, journal.FoldedUnder(x.Name), x.Last.Sub(x.First))
		}
		d.Rows = append(d.Rows, logLine{When: clockText(x.Minute, now, loc), Device: firstNonEmpty(x.Device, x.Client),
			Name: name, Action: action, Why: strings.Join(why, ", "), Tries: x.Attempts, Unit: tries})
	}
	d.Limit = logLimit
	v.Data = d
	return http.StatusOK
}
