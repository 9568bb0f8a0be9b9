package report

// Counting: rows into devices, each with its tries by category, service,
// reason and hour, compared with the period before.

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
)

const (
	topHours   = 3 // busiest hours shown per device
	topAllowed = 5 // allowed services shown per device

	otherCategory = "other" // blocked rows with no category (a device's own entries)
)

// tally collects one device's rows before they become a Device.
type tally struct {
	dev      Device
	current  []journal.Row    // the period's rows, both actions
	prev     int64            // blocked tries in the period before
	prevCats map[string]int64 // ... by category
	before   map[string]bool  // services seen before Since
	seen     map[string]int64 // services seen in the period, tries of both actions
	allowed  map[string]int64 // allowed tries by service
	cats     map[string]int64 // blocked tries by category
	svcs     map[string]int64 // blocked tries by service
}

// namer gives rows their service and category and things their names,
// looking each queried name up in the catalogue once.
type namer struct {
	cat   *blocklists.Catalogue
	byDom map[string]string // queried name -> service ID ("" for none)
}

// normalise fills in a row's service from the catalogue when the decision
// did not name one (a device's own entry for "discord.com"), and its
// category from the service when the decision had none.
func (n *namer) normalise(row *journal.Row) {
	if row.Service == "" && row.Name != "" {
		id, ok := n.byDom[row.Name]
		if !ok {
			if s, found := n.cat.ServiceFor(row.Name); found {
				id = s.ID
			}
			n.byDom[row.Name] = id
		}
		row.Service = id
	}
	if row.Category == "" && row.Service != "" {
		if s, ok := n.cat.Service(row.Service); ok && len(s.Categories) > 0 {
			row.Category = s.Categories[0]
		}
	}
	if row.Category == "" && row.Action == journal.ActionBlock {
		row.Category = otherCategory
	}
}

// categoryName is the catalogue's name for a category, or its ID.
func (n *namer) categoryName(id string) string {
	if id == otherCategory {
		return "Other sites"
	}
	if c, ok := n.cat.Category(id); ok {
		return c.Name
	}
	return id
}

// serviceName is the catalogue's name for a service, or its ID.
func (n *namer) serviceName(id string) string {
	if s, ok := n.cat.Service(id); ok {
		return s.Name
	}
	return id
}

// inCategory says whether a row is in a category: by its decision, or by
// its service (Snapchat blocked as social is still a chat app).
func (n *namer) inCategory(row *journal.Row, category string) bool {
	if row.Category == category {
		return true
	}
	if s, ok := n.cat.Service(row.Service); ok {
		return slices.Contains(s.Categories, category)
	}
	return false
}

// count turns rows into one Device per device with rows in the period or
// blocked rows in the period before, configured devices first (by name),
// then unknown ones (by address).
func count(rows []journal.Row, r *Report, cat *blocklists.Catalogue) []Device {
	n := &namer{cat: cat, byDom: make(map[string]string)}
	tallies := make(map[string]*tally)
	for _, row := range rows {
		if row.Action != journal.ActionBlock && row.Action != journal.ActionAllow {
			continue
		}
		if !row.Minute.Before(r.Until) {
			continue
		}
		n.normalise(&row)
		key := "d:" + row.Device
		if row.Device == "" {
			key = "c:" + row.Client
		}
		t := tallies[key]
		if t == nil {
			t = newTally(row)
			tallies[key] = t
		}
		switch {
		case row.Minute.Before(r.Since):
			if row.Service != "" {
				t.before[row.Service] = true
			}
			if !row.Minute.Before(r.PreviousSince) && row.Action == journal.ActionBlock {
				t.prev += row.Attempts
				t.prevCats[row.Category] += row.Attempts
			}
		default:
			t.current = append(t.current, row)
		}
	}
	var out []Device
	for _, t := range tallies {
		if len(t.current) == 0 && t.prev == 0 {
			continue
		}
		out = append(out, t.device(n, r))
	}
	slices.SortFunc(out, compareDevices)
	return out
}

func newTally(row journal.Row) *tally {
	t := &tally{
		prevCats: make(map[string]int64),
		before:   make(map[string]bool),
		seen:     make(map[string]int64),
		allowed:  make(map[string]int64),
		cats:     make(map[string]int64),
		svcs:     make(map[string]int64),
	}
	if row.Device != "" {
		t.dev.Name, t.dev.Known = row.Device, true
	} else {
		t.dev.Client = row.Client
		t.dev.Name = strings.TrimSpace("unknown device " + row.Client)
	}
	return t
}

// device counts the period's rows.
func (t *tally) device(n *namer, r *Report) Device {
	d := t.dev
	for i := range t.current {
		row := &t.current[i]
		if row.Service != "" {
			t.seen[row.Service] += row.Attempts
		}
		if row.Action == journal.ActionAllow {
			if row.Service != "" {
				t.allowed[row.Service] += row.Attempts
			}
			continue
		}
		a := row.Attempts
		d.Blocked += a
		t.cats[row.Category] += a
		if row.Service != "" {
			t.svcs[row.Service] += a
		}
		d.Hours[row.Minute.In(r.loc).Hour()] += a
		switch {
		case row.Reason == verdict.ReasonBedtime:
			d.When.Bedtime += a
		case row.Reason == verdict.ReasonRule && row.Mode == verdict.ModeOutside:
			d.When.Outside += a
		case row.Reason == verdict.ReasonRule && row.Mode == verdict.ModeDuring:
			d.When.During += a
		case row.Reason == verdict.ReasonPause:
			d.When.Pause += a
		default:
			d.When.Anytime += a
		}
	}
	if r.History {
		d.Change = change(d.Blocked, t.prev)
	}

	// Categories: this period's, and those blocked only in the one before.
	ids := make(map[string]bool)
	for id := range t.cats {
		ids[id] = true
	}
	if r.History {
		for id := range t.prevCats {
			ids[id] = true
		}
	}
	d.Categories = []Count{}
	for id := range ids {
		c := Count{ID: id, Name: n.categoryName(id), Attempts: t.cats[id]}
		if r.History {
			c.Change = change(t.cats[id], t.prevCats[id])
		}
		d.Categories = append(d.Categories, c)
	}
	slices.SortFunc(d.Categories, compareCounts)

	d.Services = serviceCounts(n, t.svcs, 0)
	d.Allowed = serviceCounts(n, t.allowed, topAllowed)
	d.Busiest = busiest(d.Hours, topHours)

	d.New = []Service{}
	if r.History {
		for _, c := range serviceCounts(n, t.seen, 0) {
			if !t.before[c.ID] {
				d.New = append(d.New, Service{ID: c.ID, Name: c.Name})
			}
		}
	}
	d.Settings = n.settings(serviceCounts(n, t.seen, 0))
	d.Floods = floods(d.Name, t.current, r.loc)
	d.starters = starters(n, d.Name, t.current, d.New, r)
	return d
}

// serviceCounts lists counts by service, most first; at most limit (0: all).
func serviceCounts(n *namer, m map[string]int64, limit int) []Count {
	out := make([]Count, 0, len(m))
	for id, a := range m {
		if a > 0 {
			out = append(out, Count{ID: id, Name: n.serviceName(id), Attempts: a})
		}
	}
	slices.SortFunc(out, compareCounts)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// busiest returns the top hours with any tries, most first, earlier first
// on a tie.
func busiest(hours [24]int64, top int) []HourCount {
	out := []HourCount{}
	for h, a := range hours {
		if a > 0 {
			out = append(out, HourCount{Hour: h, Attempts: a})
		}
	}
	slices.SortStableFunc(out, func(a, b HourCount) int { return cmp.Compare(b.Attempts, a.Attempts) })
	if len(out) > top {
		out = out[:top]
	}
	return out
}

// compareCounts orders most tries first, then (for a category gone to 0)
// most tries before, then by name.
func compareCounts(a, b Count) int {
	if c := cmp.Compare(b.Attempts, a.Attempts); c != 0 {
		return c
	}
	var pa, pb int64
	if a.Change != nil {
		pa = a.Change.Previous
	}
	if b.Change != nil {
		pb = b.Change.Previous
	}
	if c := cmp.Compare(pb, pa); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
}

// compareDevices puts configured devices first, by name, then unknown
// devices by address.
func compareDevices(a, b Device) int {
	if a.Known != b.Known {
		if a.Known {
			return -1
		}
		return 1
	}
	if a.Known {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Name, b.Name))
	}
	pa, errA := netip.ParseAddr(a.Client)
	pb, errB := netip.ParseAddr(b.Client)
	if errA == nil && errB == nil {
		return pa.Compare(pb)
	}
	return strings.Compare(a.Client, b.Client)
}

// settings returns the parental-control links of the services counted,
// in their order, each page once.
func (n *namer) settings(used []Count) []SettingsLink {
	out := []SettingsLink{}
	seen := make(map[string]bool)
	for _, c := range used {
		s, ok := n.cat.Service(c.ID)
		if !ok {
			continue
		}
		for _, st := range s.Settings {
			if seen[st.URL] {
				continue
			}
			seen[st.URL] = true
			out = append(out, SettingsLink{Service: s.ID, ServiceName: s.Name, Name: st.Name, URL: st.URL})
		}
	}
	return out
}
