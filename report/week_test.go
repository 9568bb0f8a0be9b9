package report

// The seeded week the tests share, and a fake Source that answers like the
// journal (it honours the Filter).

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// london is the household's zone in the seeded week, which spans the
// clocks going forward (01:00 GMT on Sunday 29 March 2026): rows after it
// are read on British Summer Time.
func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatalf("loading the zone: %v", err)
	}
	return loc
}

// weekSince and weekUntil bound the seeded week: Monday 23 March 2026 to
// Monday 30 March, midnight to midnight in London (167 hours).
func weekSince(loc *time.Location) time.Time { return time.Date(2026, 3, 23, 0, 0, 0, 0, loc) }
func weekUntil(loc *time.Location) time.Time { return time.Date(2026, 3, 30, 0, 0, 0, 0, loc) }

// seed is a row, written as a test reads it: a day relative to a start
// (negative days fall before it), a local time, and who did what.
type seed struct {
	day      int
	hm       string // local "15:04"
	dev      string // configured name; "" for an unknown device
	client   string
	action   string // "block" (default) or "allow"
	reason   string
	mode     string
	cat, svc string
	name     string // the queried name; defaults to a name made from svc
	attempts int64
}

// rowsFrom turns seeds into journal rows, each minute on the local clock of
// loc counted from start. Queries is twice Attempts (A and AAAA), so a test
// that counts queries instead of tries fails.
func rowsFrom(t testing.TB, start time.Time, loc *time.Location, seeds []seed) []journal.Row {
	t.Helper()
	var rows []journal.Row
	for _, s := range seeds {
		hm, err := time.Parse("15:04", s.hm)
		if err != nil {
			t.Fatalf("seed time %q: %v", s.hm, err)
		}
		y, m, d := start.In(loc).Date()
		minute := time.Date(y, m, d+s.day, hm.Hour(), hm.Minute(), 0, 0, loc).UTC()
		action, err := verdict.ParseAction(cmp.Or(s.action, "block"))
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		reason, err := verdict.ParseReason(cmp.Or(s.reason, "none"))
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		mode, err := verdict.ParseMode(s.mode)
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		name := cmp.Or(s.name, s.svc+".example")
		client := s.client
		if client == "" && s.dev != "" {
			client = "192.168.1.20"
		}
		rows = append(rows, journal.Row{
			Minute: minute, Device: s.dev, Client: client, Group: "kids", Name: name,
			Action: action, Reason: reason, Mode: mode, Category: s.cat, Service: s.svc,
			Rule: "groups.kids.rules[0]", Response: "nxdomain",
			Queries: 2 * s.attempts, Attempts: s.attempts,
		})
	}
	return rows
}

// weekSeeds is the seeded week and what came before it. The expected numbers
// in TestBuildWeek are worked out from it by hand.
var weekSeeds = func() []seed {
	var s []seed
	for d := 0; d <= 4; d++ { // Monday to Friday
		s = append(s,
			// Discord at bedtime, 21:30: 5 x 4 = 20.
			seed{day: d, hm: "21:30", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 4},
			// Roblox before school, outside its allowed hours: 5 x 2 = 10.
			seed{day: d, hm: "07:20", dev: "Tablet", reason: "rule", mode: "outside", cat: "gaming", svc: "roblox", attempts: 2},
			// YouTube in school hours: 5 x 3 = 15.
			seed{day: d, hm: "10:40", dev: "Tablet", reason: "rule", mode: "during", cat: "video", svc: "youtube", attempts: 3},
		)
	}
	s = append(s,
		// Sunday, on summer time: 22:10 BST is 21:10 UTC; it must count at 22.
		seed{day: 6, hm: "22:10", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 3},
		seed{day: 5, hm: "12:05", dev: "Tablet", reason: "rule", mode: "outside", cat: "gaming", svc: "roblox", attempts: 5},
		seed{day: 2, hm: "18:30", dev: "Tablet", reason: "pause", cat: "social", svc: "tiktok", attempts: 6},
		seed{day: 3, hm: "16:45", dev: "Tablet", reason: "rule", cat: "chat", svc: "wizz", attempts: 2},
		seed{day: 4, hm: "23:50", dev: "Tablet", reason: "rule", cat: "bypass", svc: "doh-resolvers", attempts: 1},
		seed{day: 1, hm: "20:05", dev: "Tablet", reason: "rule", cat: "adult", name: "adult-site.example", attempts: 2},
		// At Until exactly: outside the week.
		seed{day: 7, hm: "00:00", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 50},

		// The week before (from Monday 16 March 01:00, 167 hours before Since).
		seed{day: -7, hm: "21:30", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 2},
		seed{day: -6, hm: "21:30", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 2},
		seed{day: -5, hm: "21:30", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 2},
		seed{day: -4, hm: "21:30", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 2},
		seed{day: -3, hm: "21:30", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 2},
		seed{day: -5, hm: "07:20", dev: "Tablet", reason: "rule", mode: "outside", cat: "gaming", svc: "roblox", attempts: 30},
		seed{day: -4, hm: "18:00", dev: "Tablet", reason: "pause", cat: "social", svc: "tiktok", attempts: 7},
		// Before the week before: 00:30 on Monday 16 March is earlier
		// than 01:00, so it is history but not compared.
		seed{day: -7, hm: "00:30", dev: "Tablet", reason: "rule", mode: "outside", cat: "gaming", svc: "roblox", attempts: 100},
		seed{day: -12, hm: "10:00", dev: "Tablet", reason: "rule", mode: "during", cat: "video", svc: "youtube", attempts: 1},
		seed{day: -13, hm: "12:00", dev: "Tablet", reason: "rule", cat: "bypass", svc: "doh-resolvers", attempts: 1},

		// Sam's phone: a group that journals allowed lookups too.
		seed{day: 1, hm: "17:00", dev: "Sam's phone", action: "allow", svc: "whatsapp", cat: "chat", attempts: 30},
		seed{day: 2, hm: "16:00", dev: "Sam's phone", action: "allow", svc: "minecraft", cat: "gaming", attempts: 12},
		seed{day: 3, hm: "09:00", dev: "Sam's phone", action: "allow", name: "homework.example", attempts: 40},
		// Discord 20 minutes after Minecraft: chat during gaming.
		seed{day: 2, hm: "16:20", dev: "Sam's phone", reason: "rule", cat: "chat", svc: "discord", attempts: 4},
		seed{day: 5, hm: "15:00", dev: "Sam's phone", reason: "rule", cat: "chat", svc: "random-video-chat", attempts: 3},
		seed{day: -10, hm: "19:00", dev: "Sam's phone", action: "allow", svc: "youtube", cat: "video", attempts: 5},
		seed{day: -10, hm: "19:05", dev: "Sam's phone", action: "allow", svc: "whatsapp", cat: "chat", attempts: 5},
		seed{day: -10, hm: "19:10", dev: "Sam's phone", action: "allow", svc: "minecraft", cat: "gaming", attempts: 5},
		seed{day: -10, hm: "19:15", dev: "Sam's phone", reason: "rule", cat: "chat", svc: "discord", attempts: 1},

		// A device that is not configured.
		seed{day: 3, hm: "13:00", client: "192.168.1.7", reason: "rule", cat: "social", svc: "instagram", attempts: 5},
		seed{day: -2, hm: "13:00", client: "192.168.1.7", reason: "rule", cat: "social", svc: "instagram", attempts: 12},

		// A laptop blocked only in the week before.
		seed{day: -2, hm: "11:00", dev: "Laptop", client: "192.168.1.30", reason: "rule", cat: "social", svc: "reddit", attempts: 4},
	)
	for d := 0; d <= 6; d++ { // YouTube every evening on Sam's phone: 7 x 10 = 70
		s = append(s, seed{day: d, hm: "19:00", dev: "Sam's phone", action: "allow", svc: "youtube", cat: "video", attempts: 10})
	}
	return s
}()

// fakeSource answers from rows in memory, as the journal would.
type fakeSource struct {
	rows    []journal.Row
	dropped int64
	err     error
	filters []journal.Filter // every Rows call
}

var _ Source = (*fakeSource)(nil)

func (f *fakeSource) Rows(_ context.Context, flt journal.Filter) ([]journal.Row, error) {
	f.filters = append(f.filters, flt)
	if f.err != nil {
		return nil, f.err
	}
	var out []journal.Row
	for _, r := range f.rows {
		switch {
		case !flt.Since.IsZero() && r.Minute.Before(flt.Since),
			!flt.Until.IsZero() && !r.Minute.Before(flt.Until),
			!flt.Action.Has(r.Action),
			flt.Device != "" && r.Device != flt.Device && r.Client != flt.Device,
			len(flt.Devices) > 0 && !slices.Contains(flt.Devices, r.Device):
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b journal.Row) int { return a.Minute.Compare(b.Minute) })
	if flt.Limit > 0 {
		slices.Reverse(out)
		out = out[:min(flt.Limit, len(out))]
	}
	return out, nil
}

func (f *fakeSource) Dropped(context.Context, time.Time, time.Time) (int64, error) {
	return f.dropped, f.err
}

// weekReport builds the report of the seeded week.
func weekReport(t testing.TB) *Report {
	t.Helper()
	loc := london(t)
	src := &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, weekSeeds), dropped: 3}
	r, err := Build(context.Background(), src, weekOptions(loc))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return r
}

func weekOptions(loc *time.Location) Options {
	return Options{Since: weekSince(loc), Until: weekUntil(loc), Location: loc, HelpCountries: []string{"gb"}}
}
