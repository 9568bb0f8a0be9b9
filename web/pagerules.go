package web

// The Rules page: each group's week, Monday to Sunday, as blocks on a
// 24-hour line, its rules in words and its devices with their own entries;
// forms to create, rename and delete groups, the household's time zone and
// holidays, and Reload. Each group's own editor is in pagerules_edit.go.
// Every change goes through the service layer into hearth.yaml, from the
// version the page was loaded with.

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/verdict"
)

func (ps *pageSet) rulesRoutes() {
	m := ps.s.mux
	ps.get["rules"] = ps.rules
	m.Handle("GET /rules", ps.page("rules", "Rules", ps.rules))
	m.Handle("POST /rules/create", ps.rulesChange("create-group", ps.createGroup))
	m.Handle("POST /rules/rename", ps.rulesChange("rename-group", ps.renameGroup))
	m.Handle("POST /rules/delete", ps.rulesChange("delete-group", ps.deleteGroup))
	m.Handle("POST /rules/household", ps.rulesChange("set-household", ps.setHousehold))
	m.Handle("POST /rules/unfiltered", ps.rulesChange("set-unfiltered", ps.setUnfiltered))
	m.Handle("POST /rules/reload", ps.rulesChange("reload", ps.reloadConfig))
	m.Handle("GET /rules/group", ps.page("rulesgroup", "Edit group", ps.editGroup))
	m.HandleFunc("POST /rules/group", ps.postGroup)
}

type rulesData struct {
	Groups    []ruleGroup
	File      configState
	Household householdDraft
	Holidays  string // one a line, for the text area
	Paste     string // the YAML to paste when the file cannot be saved
	// ConfirmErr is why "filter nothing" was not saved (no confirmation),
	// shown next to its checkbox.
	ConfirmErr string
	// NewName and NewNameErr: what was typed in a refused "New group" and
	// why, shown next to the field.
	NewName, NewNameErr string
	// TzErr and HolErr: why the household's zone or holidays were refused.
	TzErr, HolErr string
}

type ruleGroup struct {
	ID      string
	Name    string
	Devices string
	Own     []ownEntries // the group's devices with their own entries
	Legend  []legendItem
	Days    []ruleDay
	Always  []string
	None    bool // no rule at all
	// RenameTo and RenameErr: a refused rename of this group, next to its field.
	RenameTo, RenameErr string
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
	return ps.rulesPage(v, nil)
}

// rulesPage fills the page; err is a refused change, whose YAML to paste
// (a file that cannot be saved) the page shows.
func (ps *pageSet) rulesPage(v *view, err error) int {
	var d rulesData
	st, data, rerr := ps.s.svc.ConfigState()
	d.File = st
	if rerr == nil {
		if h, _, err := ps.s.svc.Household(); err == nil {
			d.Household = householdOf(h)
			d.Holidays = strings.Join(d.Household.Holidays, "\n")
		}
	}
	if d.Household.Timezone == "" {
		d.Household.Timezone = ps.s.opts.Engine.Location().String()
	}
	own := ps.s.svc.DeviceEntries(data)
	for gi, gw := range ps.s.opts.Engine.Week() {
		g := ps.groupWeek(gw, fmt.Sprintf("g%d", gi+1))
		for _, o := range own {
			if o.Group == gw.Group && (len(o.Allow) > 0 || len(o.Block) > 0) {
				g.Own = append(g.Own, o)
			}
		}
		if msg, typed := v.fieldFor("rename-group", "name", gw.Group, "to"); msg != "" || typed != "" {
			g.RenameTo, g.RenameErr = typed, msg
			if m, _ := v.fieldFor("rename-group", "name", gw.Group, "name"); g.RenameErr == "" {
				g.RenameErr = m
			}
		}
		d.Groups = append(d.Groups, g)
	}
	d.NewNameErr, d.NewName = v.fieldFor("create-group", "", "", "name")
	if f := v.Failed; f != nil && f.Action == "set-household" {
		d.Household.Timezone, d.Holidays = f.Form.Get("timezone"), f.Form.Get("holidays")
		d.TzErr = f.Fields["timezone"]
		var hol []string
		for _, k := range slices.Sorted(maps.Keys(f.Fields)) {
			if strings.HasPrefix(k, "calendar") {
				hol = append(hol, f.Fields[k])
			}
		}
		d.HolErr = strings.Join(hol, "; ")
	}
	var ro *configedit.ReadOnlyError
	if errors.As(err, &ro) {
		d.Paste, d.File.Why = string(ro.YAML), ro.Why
	}
	if se, ok := err.(*serviceError); ok {
		d.ConfirmErr = se.fields["confirm"]
	}
	v.Data = d
	return http.StatusOK
}

// groupWeek lays one group's week out for the page.
func (ps *pageSet) groupWeek(gw policy.GroupWeek, id string) ruleGroup {
	g := ruleGroup{ID: id, Name: gw.Group, Devices: strings.Join(gw.Devices, ", ")}
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
		case verdict.ModeAlways:
			g.Always = append(g.Always, wr.Text)
			continue
		case verdict.ModeOutside:
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
	return g
}

// minuteText is minutes after midnight as "21:30" ("24:00" at the end).
func minuteText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// formPrincipal makes the checks every form's change passes (a password
// set, the form read, a login, its CSRF token), answering itself when one
// fails.
func (ps *pageSet) formPrincipal(w http.ResponseWriter, r *http.Request, back string) (Principal, bool) {
	s := ps.s
	if !s.auth.PasswordSet() {
		ps.fail(w, r, http.StatusForbidden, "No admin password is set, so nothing can be changed: run `sudo hearth passwd` on the machine running Hearth.")
		return Principal{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		ps.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return Principal{}, false
	}
	p, ok := s.auth.Principal(r)
	if !ok {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(back), http.StatusSeeOther)
		return Principal{}, false
	}
	if !s.auth.CheckCSRF(r, p) {
		ps.fail(w, r, http.StatusForbidden, "This form is out of date or came from another site, so nothing was changed. Go back, reload the page and try again.")
		return Principal{}, false
	}
	return p, true
}

// rulesChange serves one of the Rules page's forms: audited, then back to
// the page with the message, or the page again (as the file is now) with
// the error, and the YAML to paste if the file cannot be saved.
func (ps *pageSet) rulesChange(action string, h formFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := ps.formPrincipal(w, r, "/rules")
		if !ok {
			return
		}
		var flash string
		var err error
		_ = ps.s.audited(p, action, func() (string, string, error) {
			target, detail, msg, herr := h(r, p)
			flash, err = msg, herr
			return target, detail, cause(herr)
		})
		if err != nil {
			v := ps.newView(w, r, "rules", "Rules", p, true)
			v.Error = "Nothing was changed. " + errorText(err)
			v.Failed = failedFrom(action, r, err)
			ps.rulesPage(v, err)
			ps.render(w, statusOf(err), v)
			return
		}
		setFlash(w, flash)
		http.Redirect(w, r, "/rules", http.StatusSeeOther)
	})
}

func (ps *pageSet) createGroup(r *http.Request, _ Principal) (string, string, string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		return name, "", "", invalid("name", "a group needs a name", "give the group a name")
	}
	st, err := ps.s.svc.CreateGroup(name, r.PostFormValue("version"))
	if err != nil {
		return name, "", "", err
	}
	return name, "hearth.yaml " + short(st.Version), "The group " + name + " is made: give it rules below.", nil
}

func (ps *pageSet) renameGroup(r *http.Request, _ Principal) (string, string, string, error) {
	from, to := r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("to"))
	if to == "" || to == from {
		return from, "", "", invalid("to", "give the group a new name", "a new name")
	}
	st, err := ps.s.svc.RenameGroup(from, to, r.PostFormValue("version"))
	if err != nil {
		return from, "to " + to, "", err
	}
	return from, "to " + to + ", hearth.yaml " + short(st.Version), "The group " + from + " is now called " + to + ".", nil
}

func (ps *pageSet) deleteGroup(r *http.Request, _ Principal) (string, string, string, error) {
	name := r.PostFormValue("name")
	st, err := ps.s.svc.DeleteGroup(name, r.PostFormValue("version"))
	if err != nil {
		return name, "", "", err
	}
	return name, "hearth.yaml " + short(st.Version), "The group " + name + " is deleted.", nil
}

func (ps *pageSet) setHousehold(r *http.Request, _ Principal) (string, string, string, error) {
	var hol []string
	for _, line := range strings.Split(r.PostFormValue("holidays"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			hol = append(hol, line)
		}
	}
	body := map[string]any{"timezone": strings.TrimSpace(r.PostFormValue("timezone")), "calendar": map[string]any{"holidays": hol}}
	if len(hol) == 0 {
		body["calendar"] = map[string]any{"holidays": nil}
	}
	b, _ := jsonMarshal(body)
	_, st, err := ps.s.svc.PutHousehold(b, r.PostFormValue("version"))
	if err != nil {
		return "household", "", "", err
	}
	return "household", "hearth.yaml " + short(st.Version), "The household's time zone and holidays are saved.", nil
}

// setUnfiltered sets or removes `unfiltered: true` (household settings).
// Turning it on needs the confirmation box ticked: without it nothing is
// written and the page says so next to the box.
func (ps *pageSet) setUnfiltered(r *http.Request, _ Principal) (string, string, string, error) {
	on := r.PostFormValue("unfiltered") == "true"
	if on && r.PostFormValue("confirm") != "yes" {
		return "household", "", "", invalid("confirm", "filtering nothing needs a confirmation",
			"Tick the box to confirm that nothing may be blocked for anyone.")
	}
	body := []byte(`{"unfiltered": null}`)
	if on {
		body = []byte(`{"unfiltered": true}`)
	}
	_, st, err := ps.s.svc.PutHousehold(body, r.PostFormValue("version"))
	if err != nil {
		return "household", "", "", err
	}
	if on {
		return "household", "unfiltered: true, hearth.yaml " + short(st.Version),
			"Saved: with no rule, bedtime, safe search or bypass protection left, nothing is blocked for anyone.", nil
	}
	return "household", "unfiltered removed, hearth.yaml " + short(st.Version),
		"Saved: a household that chooses nothing to block keeps the ways round the filter blocked again.", nil
}

func (ps *pageSet) reloadConfig(_ *http.Request, _ Principal) (string, string, string, error) {
	if ps.s.opts.Backend == nil {
		return "config", "", "", failed(kindInternal, nil, "this dashboard cannot reload the configuration")
	}
	if err := ps.s.svc.Reload(); err != nil {
		return "config", "", "", err
	}
	return "config", "", "hearth.yaml reloaded: the rules shown are the ones in use.", nil
}
