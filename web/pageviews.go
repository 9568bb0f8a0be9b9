package web

import (
	"bytes"
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

// The five pages: Now, Report, Devices, Rules and Log (pages.go has the
// routes, login and the shared change path).

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
	st := s.svc.Status()
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
		nd.StateText = ps.stateText(ds, at)
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

// stateText says a device's state (the policy's, never recomputed here)
// in words: "Paused until 18:30", "Gaming blocked until 16:00", "Ads
// always blocked", "Open until 16:00".
func (ps *pageSet) stateText(ds policy.DeviceStatus, at func(time.Time) string) string {
	switch ds.State {
	case "paused":
		return "Paused until " + at(ds.Until)
	case "bedtime":
		return "Bedtime until " + at(ds.Until)
	case "limited":
		// A rule with times first: it is what a parent may lift.
		if text := ps.timedBlocks(ds, at); text != "" {
			return text
		}
		return upperFirst(ps.s.words(ds.Blocked)) + " always blocked"
	}
	if ds.Until.IsZero() {
		return "Open now"
	}
	return "Open until " + at(ds.Until)
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
// The form's own words for minutes that are not a number; the rules of
// overrides are the policy's (service.AddOverride).
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
	ov, warning, err := ps.s.svc.AddOverride(policy.OverrideRequest{Kind: kind, Device: req.Device, Group: req.Group,
		What: req.What, Minutes: req.Minutes, By: p.Who()})
	if err != nil {
		return target, "", "", err
	}
	detail = ps.s.overrideDetail(ov)
	until := clockText(ov.Until, ps.s.opts.Clock.Now(), ps.s.opts.Engine.Location())
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
	o, err := ps.s.svc.CancelOverride(id)
	switch {
	case err != nil:
		return id, "", "", err
	case o.ID == "":
		return id, "", "Ended.", nil
	case o.Kind == policy.OverridePause:
		return id, "", "The pause on " + overrideTarget(o) + " has ended.", nil
	}
	return id, "", "Bonus time for " + ps.s.word(o.What) + " on " + overrideTarget(o) + " has ended.", nil
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
	rep, err := ps.s.svc.Report(r.Context(), reportQuery{Since: q.Get("since"), Device: q.Get("device")})
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
	rep, err := ps.s.svc.Report(r.Context(), reportQuery{Since: q.Get("since"), Device: q.Get("device")})
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
	for i, dv := range s.svc.Devices() {
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
	key, name, group := r.PostFormValue("key"), strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("group")
	detail := fmt.Sprintf("name %q, group %q", name, group)
	// The page only offers the devices seen.
	if !ps.s.svc.Seen(key) {
		return key, detail, "", notFound("no device %q has been seen", key)
	}
	err := ps.s.svc.NameDevice(policy.Assignment{Key: key, Name: name, Group: group, By: p.Who() + " " + p.Addr})
	if err != nil {
		return key, detail, "", err
	}
	return key, detail, fmt.Sprintf("%s is in the %s group from its next lookup.", name, firstNonEmpty(group, policy.DefaultGroup)), nil
}

func (ps *pageSet) forgetDevice(r *http.Request, _ Principal) (string, string, string, error) {
	key := r.PostFormValue("key")
	name, err := ps.s.svc.ForgetDevice(key)
	if err != nil {
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
	rows, err := ps.s.svc.Log(r.Context(), logQuery{Since: q.Get("since"), Device: q.Get("device"), Action: q.Get("action"), Limit: q.Get("limit")})
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
	d.Limit = logLimit
	v.Data = d
	return http.StatusOK
}
