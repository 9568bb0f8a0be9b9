package report

// What the journal's rows no longer say: the tries of rows pruned to the
// size cap, from the journal's hourly totals, and the floods of names the
// journal folded into one row.

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/policy/words"
)

// TotalsSource is a Source that also keeps hourly totals apart from its
// rows (journal.Journal, journal.Reader): the report's counts then survive
// rows pruned to the size cap.
type TotalsSource interface {
	Totals(ctx context.Context, f journal.Filter) ([]journal.Total, error)
}

// Flood is a flood of names that the journal folded into one row per
// minute (more different names in a minute than the device's budget,
// journal.flood.names_per_minute): the names are not kept, their tries are
// counted with the rest.
type Flood struct {
	// Under is the registrable domain the names were under ("roblox.com");
	// "" for names under many domains.
	Under string    `json:"under"`
	Names int64     `json:"names"` // different names folded
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Text says it: "alex-tablet looked up 12,000 made-up names under
	// roblox.com in 4 seconds (folded)".
	Text string `json:"text"`
}

// totalKey groups rows and totals alike: a device's decision in an hour.
type totalKey struct {
	hour                     int64
	device, client, category string
	service                  string
	action                   verdict.Action
	reason                   verdict.Reason
	mode                     verdict.Mode
}

// fillPruned adds to rows, for every hour that ends by until, a row for the
// tries its totals hold beyond what its rows count (rows pruned for the
// size cap), with the decision the totals keep and no name.
func fillPruned(rows []journal.Row, totals []journal.Total, until time.Time) []journal.Row {
	if len(totals) == 0 {
		return rows
	}
	type counts struct{ queries, attempts int64 }
	have := make(map[totalKey]counts)
	for i := range rows {
		r := &rows[i]
		k := totalKey{hour: r.Minute.Unix() / 3600, device: r.Device, client: r.Client, category: r.Category,
			service: r.Service, action: r.Action, reason: r.Reason, mode: r.Mode}
		c := have[k]
		c.queries += r.Queries
		c.attempts += r.Attempts
		have[k] = c
	}
	for _, t := range totals {
		if t.Hour.Add(time.Hour).After(until) {
			continue // the hour is not all in what was read
		}
		k := totalKey{hour: t.Hour.Unix() / 3600, device: t.Device, client: t.Client, category: t.Category,
			service: t.Service, action: t.Action, reason: t.Reason, mode: t.Mode}
		c := have[k]
		if missing := t.Attempts - c.attempts; missing > 0 {
			rows = append(rows, journal.Row{
				Minute: t.Hour, Device: t.Device, Client: t.Client, Action: t.Action, Reason: t.Reason,
				Mode: t.Mode, Category: t.Category, Service: t.Service,
				Queries: max(t.Queries-c.queries, missing), Attempts: missing,
			})
		}
	}
	slices.SortStableFunc(rows, func(a, b journal.Row) int { return a.Minute.Compare(b.Minute) })
	return rows
}

// floods sums a device's fold rows of the period by their marker.
func floods(name string, current []journal.Row, loc *time.Location) []Flood {
	by := map[string]*Flood{}
	for i := range current {
		r := &current[i]
		if r.Folded == 0 || !journal.IsFoldMarker(r.Name) {
			continue
		}
		f := by[r.Name]
		if f == nil {
			f = &Flood{Under: journal.FoldedUnder(r.Name), First: r.First, Last: r.Last}
			by[r.Name] = f
		}
		f.Names += r.Folded
		if !r.First.IsZero() && r.First.Before(f.First) {
			f.First = r.First
		}
		if r.Last.After(f.Last) {
			f.Last = r.Last
		}
	}
	out := []Flood{}
	for _, f := range by {
		f.Text = words.Folded(name, f.Names, f.Under, f.Last.Sub(f.First))
		f.First, f.Last = f.First.In(loc), f.Last.In(loc)
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Flood) int { return cmp.Or(cmp.Compare(b.Names, a.Names), cmp.Compare(a.Under, b.Under)) })
	return out
}
