package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/alerts"
)

// The Alerts page's "for a group or a child" part (alerts.for): events
// switched for one group or person, on top of the household's; and the
// neighbour check's status (devices online but silent, new devices seen
// only on the network).

// NeighbourStatuser is implemented by an AlertsBackend that looks at the
// neighbour table (the app); the page shows its last look.
type NeighbourStatuser interface {
	NeighbourStatus() *alerts.NeighbourStatus
}

// forEntry is alerts.for.<who> as the file has it (JSON from Household).
type forEntry struct {
	Blocked     *[]string `json:"blocked,omitempty"`
	BedtimeChat *bool     `json:"bedtime_chat,omitempty"`
	Bypass      *bool     `json:"bypass,omitempty"`
	Budget      *bool     `json:"budget,omitempty"`
	Silent      *string   `json:"silent_device,omitempty"`
}

func (e forEntry) empty() bool {
	return e.Blocked == nil && e.BedtimeChat == nil && e.Bypass == nil && e.Budget == nil && e.Silent == nil
}

// forData is the page's view of alerts.for.
type forData struct {
	Entries  []forSummary
	Who      []option // groups and people
	Editing  string   // the one in the form (?for=)
	Switches []forSwitch
	Silent   []option
	SilentOn string // "" as the household
	OwnList  bool   // blocked: its own list
	Blocked  map[string]bool
}

type forSummary struct{ Who, Kind, Text string }

type forSwitch struct {
	Key, Label, On string // On: "", "on", "off"
}

func triState(p *bool) string {
	switch {
	case p == nil:
		return ""
	case *p:
		return "on"
	}
	return "off"
}

// alertsFor fills the page's alerts.for part from the file's entries.
func (ps *pageSet) alertsFor(r *http.Request, set map[string]forEntry, catName func(string) string) forData {
	e := ps.s.opts.Engine
	people := e.People()
	d := forData{Blocked: map[string]bool{}}
	kind := func(who string) string {
		if slices.Contains(people, who) {
			return "child"
		}
		return "group"
	}
	for _, g := range e.GroupNames() {
		d.Who = append(d.Who, option{g, g + " (group)"})
	}
	for _, p := range people {
		d.Who = append(d.Who, option{p, p + " (person)"})
	}
	for _, who := range slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	}) {
		d.Entries = append(d.Entries, forSummary{Who: who, Kind: kind(who), Text: describeFor(set[who], catName)})
	}
	d.Editing = r.URL.Query().Get("for")
	if d.Editing == "" && len(d.Who) > 0 {
		d.Editing = d.Who[0].Value
	}
	cur := set[d.Editing]
	d.Switches = []forSwitch{
		{"bedtime_chat", "A chat app tried at bedtime", triState(cur.BedtimeChat)},
		{"bypass", "A way round the filter tried", triState(cur.Bypass)},
		{"budget", "A daily budget at 10 minutes left, and used up", triState(cur.Budget)},
	}
	d.Silent = []option{{"", "As the household"}, {"0", "Never"}, {"20m", "After 20 minutes"}, {"40m", "After 40 minutes"}, {"1h", "After an hour"}, {"2h", "After two hours"}}
	if cur.Silent != nil {
		d.SilentOn = *cur.Silent
		d.Silent = withOption(d.Silent, *cur.Silent)
	}
	if cur.Blocked != nil {
		d.OwnList = true
		for _, b := range *cur.Blocked {
			d.Blocked[b] = true
		}
	}
	return d
}

// describeFor is one entry in words: "blocked tries at Gaming, Adult; bypass off".
func describeFor(e forEntry, catName func(string) string) string {
	var parts []string
	if e.Blocked != nil {
		var names []string
		for _, b := range *e.Blocked {
			names = append(names, catName(b))
		}
		if len(names) == 0 {
			parts = append(parts, "no blocked tries")
		} else {
			parts = append(parts, "blocked tries at "+strings.Join(names, ", "))
		}
	}
	for _, s := range []struct {
		label string
		p     *bool
	}{{"chat at bedtime", e.BedtimeChat}, {"ways round the filter", e.Bypass}, {"budgets", e.Budget}} {
		if s.p != nil {
			parts = append(parts, s.label+" "+map[bool]string{true: "on", false: "off"}[*s.p])
		}
	}
	if e.Silent != nil {
		if *e.Silent == "0" || *e.Silent == "0s" {
			parts = append(parts, "silent devices off")
		} else {
			parts = append(parts, "silent after "+*e.Silent)
		}
	}
	if len(parts) == 0 {
		return "as the household"
	}
	return strings.Join(parts, "; ")
}

// saveAlertsFor writes one group's or person's entry of alerts.for (or
// removes it when everything is "as the household").
func (ps *pageSet) saveAlertsFor(r *http.Request, _ Principal) (string, string, string, error) {
	f := r.PostForm
	who := strings.TrimSpace(f.Get("who"))
	if who == "" {
		return "alerts", "", "", invalid("who", "Choose a group or a child.", "choose one")
	}
	set := map[string]forEntry{}
	if h, _, err := ps.s.svc.Household(); err == nil {
		var hh struct {
			Alerts struct {
				For map[string]forEntry `json:"for"`
			} `json:"alerts"`
		}
		_ = json.Unmarshal(h, &hh)
		if hh.Alerts.For != nil {
			set = hh.Alerts.For
		}
	}
	var e forEntry
	tri := func(key string) *bool {
		switch f.Get(key) {
		case "on":
			v := true
			return &v
		case "off":
			v := false
			return &v
		}
		return nil
	}
	e.BedtimeChat, e.Bypass, e.Budget = tri("bedtime_chat"), tri("bypass"), tri("budget")
	if v := strings.TrimSpace(f.Get("silent_device")); v != "" {
		e.Silent = &v
	}
	if f.Get("blocked_mode") == "own" {
		b := nonNil(slices.Clone(f["blocked"]))
		e.Blocked = &b
	}
	if e.empty() {
		delete(set, who)
	} else {
		set[who] = e
	}
	var body []byte
	if len(set) == 0 {
		body, _ = json.Marshal(map[string]any{"alerts": map[string]any{"for": nil}})
	} else {
		body, _ = json.Marshal(map[string]any{"alerts": map[string]any{"for": set}})
	}
	if _, _, err := ps.s.svc.PutHousehold(body, f.Get("version")); err != nil {
		return "alerts", "", "", err
	}
	return "alerts", "for " + who, fmt.Sprintf("Alerts for %s are saved in hearth.yaml and in force.", who), nil
}

// neighbourText is the neighbour check's last look in words ("" none).
func neighbourText(st *alerts.NeighbourStatus, loc *time.Location) (text string, failing bool) {
	if st == nil {
		return "", false
	}
	if !st.On {
		return "The network is not watched: the silent-device and new-device alerts are off.", false
	}
	if st.LastRun.IsZero() {
		return "The network has not been looked at yet (once a minute).", false
	}
	when := st.LastRun.In(loc).Format("15:04")
	if !st.Readable {
		return fmt.Sprintf("The network's neighbour table could not be read at %s (%s): devices that stop using Hearth, and new devices that never ask it, are not noticed.", when, st.Error), true
	}
	text = fmt.Sprintf("Looked at the network at %s: %s heard from lately", when, countOf(st.Online, "device", "devices"))
	if st.Silent {
		text += fmt.Sprintf(", %s watched for going silent", countOf(st.Watched, "named device", "named devices"))
	}
	return text + ".", false
}

func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
