package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

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
	case rs.Mode == verdict.ModeAlways && len(rs.Bonus) > 0:
		return what + " always blocked; bonus time allows " + ps.s.words(rs.Bonus)
	case rs.Mode == verdict.ModeAlways:
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
		if rs.Mode == verdict.ModeAlways || !rs.Blocking {
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
		if rs.Mode == verdict.ModeAlways || !rs.Blocking {
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
	return ps.addOverride(r, p, state.OverridePause)
}

func (ps *pageSet) bonus(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, state.OverrideBonus)
}

func (ps *pageSet) addOverride(r *http.Request, p Principal, kind state.OverrideKind) (target, detail, flash string, err error) {
	req, err := overrideForm(r)
	target = firstNonEmpty(req.Device, req.Group)
	if err != nil {
		return target, "", "", err
	}
	ov, warning, err := ps.s.svc.AddOverride(state.Request{Kind: kind, Device: req.Device, Group: req.Group,
		What: req.What, Minutes: req.Minutes, By: p.Who()})
	if err != nil {
		return target, "", "", err
	}
	detail = ps.s.overrideDetail(ov)
	until := clockText(ov.Until, ps.s.opts.Clock.Now(), ps.s.opts.Engine.Location())
	if kind == state.OverridePause {
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
func overrideTarget(o state.Override) string {
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
	case o.Kind == state.OverridePause:
		return id, "", "The pause on " + overrideTarget(o) + " has ended.", nil
	}
	return id, "", "Bonus time for " + ps.s.word(o.What) + " on " + overrideTarget(o) + " has ended.", nil
}
