package web

// The group editor's form: a group of hearth.yaml as the form holds it
// (groupDraft), read from the file's JSON, from a posted form, and written
// back as the file's JSON and as the policy's GroupConfig for the preview.
// The draft travels in the form itself, so every button (add a rule, move
// it up, add a window, filter the catalogue, preview) works without a
// script: each posts the whole form and gets the editor back.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/schedule"
)

// groupDraft is one group being edited.
type groupDraft struct {
	Name            string
	Rules           []ruleDraft
	Bedtime         []windowDraft
	BedtimeHolidays []windowDraft
	Allow           []string
	SafeSearch      string // "", off, moderate, strict
	Bypass          bool
	Response        string // "" (the household's), nxdomain, null_ip, refused, or addresses
	Budgets         []budgetDraft
	// Extra are the group's keys the form does not edit (log_allowed, ...),
	// kept as the file has them.
	Extra map[string]json.RawMessage
}

type ruleDraft struct {
	Block, Except []string
	Mode          string // "always", "outside", "during"
	Windows       []windowDraft
	Holidays      []windowDraft
}

// windowDraft is a window as days and times; Text is a window the file
// has that does not parse (kept as written).
type windowDraft struct {
	Days     [7]bool // Monday first
	From, To string
	Text     string
}

// formDays are the day names of a window's check boxes, Monday first.
var formDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// fileGroup is a group in the file's shape (JSON), as far as the form goes.
type fileGroup struct {
	Rules []struct {
		Block    []string `json:"block"`
		Except   []string `json:"except"`
		Outside  []string `json:"outside"`
		During   []string `json:"during"`
		Holidays []string `json:"holidays"`
	} `json:"rules"`
	Bedtime          []string `json:"bedtime"`
	BedtimeHolidays  []string `json:"bedtime_holidays"`
	Allow            []string `json:"allow"`
	SafeSearch       string   `json:"safe_search"`
	BypassProtection bool     `json:"bypass_protection"`
	BlockResponse    string   `json:"block_response"`
}

// formKeys are the group keys the form edits.
var formKeys = []string{"rules", "bedtime", "bedtime_holidays", "allow", "safe_search", "bypass_protection", "block_response", "budgets"}

// draftFromJSON reads a group as the file has it.
func draftFromJSON(name string, raw json.RawMessage) (groupDraft, error) {
	d := groupDraft{Name: name, Extra: map[string]json.RawMessage{}}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil && string(raw) != "null" {
		return d, fmt.Errorf("group %s: %w", name, err)
	}
	for k, v := range all {
		if !slices.Contains(formKeys, k) {
			d.Extra[k] = v
		}
	}
	var g fileGroup
	if err := json.Unmarshal(raw, &g); err != nil && string(raw) != "null" {
		return d, fmt.Errorf("group %s: %w", name, err)
	}
	for _, r := range g.Rules {
		rd := ruleDraft{Block: r.Block, Except: r.Except, Mode: "always", Holidays: windowsFrom(r.Holidays)}
		switch {
		case len(r.Outside) > 0:
			rd.Mode, rd.Windows = "outside", windowsFrom(r.Outside)
		case len(r.During) > 0:
			rd.Mode, rd.Windows = "during", windowsFrom(r.During)
		}
		d.Rules = append(d.Rules, rd)
	}
	d.Bedtime, d.BedtimeHolidays = windowsFrom(g.Bedtime), windowsFrom(g.BedtimeHolidays)
	d.Allow, d.SafeSearch, d.Bypass, d.Response = g.Allow, g.SafeSearch, g.BypassProtection, g.BlockResponse
	d.Budgets = budgetsFromJSON(all["budgets"])
	return d, nil
}

func windowsFrom(list []string) []windowDraft {
	var out []windowDraft
	for _, s := range list {
		w, err := schedule.ParseWindow(s)
		if err != nil {
			out = append(out, windowDraft{Text: s})
			continue
		}
		var wd windowDraft
		for i := range 7 {
			wd.Days[i] = w.On(weekOrder[i])
		}
		wd.From, wd.To = minuteText(w.Start()), minuteText(w.End())
		out = append(out, wd)
	}
	return out
}

// String is the window as the file writes it ("mon,tue 16:00-19:00"); ""
// for a row left empty.
func (w windowDraft) String() string {
	if w.Text != "" {
		return strings.TrimSpace(w.Text)
	}
	var days []string
	for i, on := range w.Days {
		if on {
			days = append(days, formDays[i])
		}
	}
	if len(days) == 0 && w.From == "" && w.To == "" {
		return ""
	}
	ds := strings.Join(days, ",")
	switch ds {
	case "mon,tue,wed,thu,fri":
		ds = "mon-fri"
	case "sat,sun":
		ds = "sat,sun"
	case "mon,tue,wed,thu,fri,sat,sun":
		ds = "daily"
	}
	return strings.TrimSpace(ds + " " + w.From + "-" + w.To)
}

// fieldMap maps the file's key paths (the checker's fields) to the form's
// field ids, for the problems shown next to them.
type fieldMap map[string]string

// lookup is the form field of key, or of the nearest key above it that
// has one ("groups.kids.rules[0].block[2]" → the rule's picker).
func (m fieldMap) lookup(key string) (string, bool) {
	for key != "" {
		if id, ok := m[key]; ok {
			return id, true
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return "", false
}

// windowList is a list of windows as the file has it, with each written
// window's form id.
func windowList(ws []windowDraft, key, id string, fm fieldMap) []string {
	var out []string
	for j, w := range ws {
		if s := w.String(); s != "" {
			fm[fmt.Sprintf("%s[%d]", key, len(out))] = fmt.Sprintf("%s-w%d", id, j)
			out = append(out, s)
		}
	}
	fm[key] = id + "-w0"
	return out
}

// file is the draft as the file's JSON (the keys in the file's usual
// order, the form's first, then those it keeps), the same group for the
// policy's compiler, and where each key's problems go on the form.
func (d groupDraft) file() (json.RawMessage, policy.GroupConfig, fieldMap) {
	key := "groups." + d.Name
	fm := fieldMap{key: "group"}
	var gc policy.GroupConfig
	var parts []string
	add := func(k string, v any) {
		b, _ := json.Marshal(v)
		kb, _ := json.Marshal(k)
		parts = append(parts, string(kb)+":"+string(b))
	}
	if len(d.Rules) > 0 {
		var rules []map[string][]string
		for i, r := range d.Rules {
			rk, id := fmt.Sprintf("%s.rules[%d]", key, i), fmt.Sprintf("r%d", i)
			fm[rk], fm[rk+".block"], fm[rk+".except"] = id+"-block", id+"-block", id+"-except"
			fm[rk+".outside"], fm[rk+".during"] = id+"-w0", id+"-w0"
			m := map[string][]string{"block": nonNil(r.Block)}
			rc := policy.RuleConfig{Block: r.Block, Except: r.Except}
			if len(r.Except) > 0 {
				m["except"] = r.Except
			}
			if r.Mode == "outside" || r.Mode == "during" {
				ws := windowList(r.Windows, rk+"."+r.Mode, id, fm)
				m[r.Mode] = nonNil(ws)
				if r.Mode == "outside" {
					rc.Outside = ws
				} else {
					rc.During = ws
				}
				if hs := windowList(r.Holidays, rk+".holidays", id+"-h", fm); len(hs) > 0 {
					m["holidays"], rc.Holidays = hs, hs
				}
			}
			rules = append(rules, m)
			gc.Rules = append(gc.Rules, rc)
		}
		add("rules", orderedRules(rules))
	}
	if ws := windowList(d.Bedtime, key+".bedtime", "bed", fm); len(ws) > 0 {
		add("bedtime", ws)
		gc.Bedtime = ws
	}
	if ws := windowList(d.BedtimeHolidays, key+".bedtime_holidays", "bedh", fm); len(ws) > 0 {
		add("bedtime_holidays", ws)
		gc.BedtimeHolidays = ws
	}
	fm[key+".allow"] = "allow"
	if len(d.Allow) > 0 {
		add("allow", d.Allow)
		gc.Allow = d.Allow
	}
	fm[key+".safe_search"] = "safe"
	if d.SafeSearch != "" {
		add("safe_search", d.SafeSearch)
		gc.SafeSearch = d.SafeSearch
	}
	fm[key+".bypass_protection"] = "bypass"
	if d.Bypass {
		add("bypass_protection", true)
		gc.BypassProtection = true
	}
	fm[key+".block_response"] = "response"
	if d.Response != "" {
		add("block_response", d.Response)
		gc.BlockResponse = d.Response
	}
	if len(d.Budgets) > 0 {
		raw, bc := budgetsFile(key, d.Budgets, fm)
		add("budgets", raw)
		gc.Budgets = bc
	}
	extra := make([]string, 0, len(d.Extra))
	for k := range d.Extra {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	for _, k := range extra {
		kb, _ := json.Marshal(k)
		parts = append(parts, string(kb)+":"+string(d.Extra[k]))
		if k == "log_allowed" {
			_ = json.Unmarshal(d.Extra[k], &gc.LogAllowed)
		}
	}
	return json.RawMessage("{" + strings.Join(parts, ",") + "}"), gc, fm
}

// orderedRules writes each rule's keys in the order people write them.
func orderedRules(rules []map[string][]string) json.RawMessage {
	var items []string
	for _, m := range rules {
		var parts []string
		for _, k := range []string{"block", "except", "outside", "during", "holidays"} {
			if v, ok := m[k]; ok {
				b, _ := json.Marshal(v)
				parts = append(parts, `"`+k+`":`+string(b))
			}
		}
		items = append(items, "{"+strings.Join(parts, ",")+"}")
	}
	return json.RawMessage("[" + strings.Join(items, ",") + "]")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// draftFromForm reads the editor's form. Entries picked in a rule's "add"
// list or typed as a domain join the rule, whatever button was pressed.
func draftFromForm(f url.Values) groupDraft {
	d := groupDraft{Name: f.Get("name"), Extra: map[string]json.RawMessage{}}
	if err := json.Unmarshal([]byte(f.Get("extra")), &d.Extra); err != nil || d.Extra == nil {
		d.Extra = map[string]json.RawMessage{}
	}
	n, _ := strconv.Atoi(f.Get("rules"))
	for i := range min(n, 100) {
		p := fmt.Sprintf("r%d.", i)
		r := ruleDraft{Mode: f.Get(p + "mode")}
		if r.Mode != "outside" && r.Mode != "during" {
			r.Mode = "always"
		}
		r.Block = picked(f, p+"block", p+"add", p+"domain")
		r.Except = picked(f, p+"except", p+"addexcept", p+"exceptdomain")
		r.Windows = windowsFromForm(f, p+"w")
		r.Holidays = windowsFromForm(f, p+"h")
		d.Rules = append(d.Rules, r)
	}
	d.Bedtime, d.BedtimeHolidays = windowsFromForm(f, "bed.w"), windowsFromForm(f, "bedh.w")
	d.Allow = picked(f, "allow", "allow.add", "allow.domain")
	d.SafeSearch = f.Get("safe_search")
	d.Bypass = f.Get("bypass") == "on"
	d.Budgets = budgetsFromForm(f)
	d.Response = f.Get("block_response")
	if d.Response == "address" {
		d.Response = strings.TrimSpace(f.Get("block_response_addr"))
	}
	return d
}

// picked is a list's kept entries (check boxes left ticked) plus what was
// picked from the catalogue and typed as domains (one or more, by commas
// or spaces).
func picked(f url.Values, kept, add, typed string) []string {
	var out []string
	push := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range f[kept] {
		push(s)
	}
	for _, s := range f[add] {
		push(s)
	}
	for _, s := range strings.FieldsFunc(f.Get(typed), func(r rune) bool { return r == ',' || r == ' ' }) {
		push(s)
	}
	return out
}

func windowsFromForm(f url.Values, prefix string) []windowDraft {
	n, _ := strconv.Atoi(f.Get(prefix + "n"))
	var out []windowDraft
	for j := range min(n, 50) {
		p := fmt.Sprintf("%s%d.", prefix, j)
		w := windowDraft{From: strings.TrimSpace(f.Get(p + "from")), To: strings.TrimSpace(f.Get(p + "to")), Text: strings.TrimSpace(f.Get(p + "text"))}
		for _, day := range f[p+"day"] {
			if i := slices.Index(formDays, day); i >= 0 {
				w.Days[i] = true
			}
		}
		out = append(out, w)
	}
	return out
}

// apply does what a button other than save asks to the draft: add, move
// or remove a rule, add or remove a window. It reports whether op was one
// of them.
func (d *groupDraft) apply(op string) bool {
	verb, arg, _ := strings.Cut(op, ":")
	i, _ := strconv.Atoi(strings.SplitN(arg, ":", 2)[0])
	inRange := i >= 0 && i < len(d.Rules)
	switch {
	case verb == "addrule":
		d.Rules = append(d.Rules, ruleDraft{Mode: "during", Windows: []windowDraft{{}}})
	case verb == "up" && inRange && i > 0:
		d.Rules[i-1], d.Rules[i] = d.Rules[i], d.Rules[i-1]
	case verb == "down" && inRange && i+1 < len(d.Rules):
		d.Rules[i+1], d.Rules[i] = d.Rules[i], d.Rules[i+1]
	case verb == "delrule" && inRange:
		d.Rules = slices.Delete(d.Rules, i, i+1)
	case verb == "addbudget":
		d.Budgets = append(d.Budgets, budgetDraft{})
	case verb == "delbudget" && i >= 0 && i < len(d.Budgets):
		d.Budgets = slices.Delete(d.Budgets, i, i+1)
	case verb == "addwin" || verb == "delwin":
		list := d.windows(arg)
		if list == nil {
			return false
		}
		if verb == "addwin" {
			*list = append(*list, windowDraft{})
			return true
		}
		_, js, _ := strings.Cut(arg, "/")
		j, err := strconv.Atoi(js)
		if err == nil && j >= 0 && j < len(*list) {
			*list = slices.Delete(*list, j, j+1)
		}
	default:
		return false
	}
	return true
}

// windows is the window list a button names: "bed", "bedh", "3.w" (rule
// 3's windows) or "3.h" (its holiday windows), then "/j" for one window.
func (d *groupDraft) windows(arg string) *[]windowDraft {
	which, _, _ := strings.Cut(arg, "/")
	switch which {
	case "bed":
		return &d.Bedtime
	case "bedh":
		return &d.BedtimeHolidays
	}
	is, kind, _ := strings.Cut(which, ".")
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= len(d.Rules) {
		return nil
	}
	if kind == "h" {
		return &d.Rules[i].Holidays
	}
	return &d.Rules[i].Windows
}
