package journal

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/verdict"
)

var alexTablet = netip.MustParseAddr("192.168.1.30")

// gaming is a lookup the gaming rule blocked, as the resolver hands it over.
func gaming(at time.Time, name string, qtype uint16) Event {
	return Event{
		Time: at, Device: "alex-tablet", Group: "kids", Client: alexTablet, Name: name, Qtype: qtype,
		Action: ActionBlock, Reason: verdict.ReasonRule, Category: "gaming", Service: "roblox",
		List: "builtin", Rule: "groups.kids.rules[0]", Response: "nxdomain",
	}
}

// chat is a lookup the chat rule blocked.
func chat(at time.Time, name string) Event {
	return Event{
		Time: at, Device: "emma-phone", Group: "kids", Client: kid, Name: name, Qtype: 1,
		Action: ActionBlock, Reason: verdict.ReasonRule, Mode: verdict.ModeOutside, Category: "chat",
		Service: "discord", List: "builtin", Rule: "groups.kids.rules[1]", Response: "nxdomain",
	}
}

// randomName is a made-up name under roblox.com.
func randomName(rng *rand.Rand) string {
	return fmt.Sprintf("%08x%04x.roblox.com", rng.Uint32(), rng.Uint32()&0xffff)
}

// recordFlood records n made-up names under roblox.com, A and AAAA each,
// over span from start, through Record as the resolver does (the writer
// takes them whenever the queue fills).
func recordFlood(j *Journal, rng *rand.Rand, n int, start time.Time, span time.Duration) {
	for i := range n {
		at := start.Add(span * time.Duration(i) / time.Duration(n))
		name := randomName(rng)
		j.enqueue(gaming(at, name, 1))
		j.enqueue(gaming(at, name, 28))
	}
	j.sync()
}

func sumTotals(ts []Total, category string) int64 {
	var n int64
	for _, t := range ts {
		if category == "" || t.Category == category {
			n += t.Attempts
		}
	}
	return n
}

// 30,000 made-up names from one device in 4 seconds leave another device's
// earlier rows and the counts by category whole, under a 2 MB and a 20 MB
// cap: the names over the budget are one row with their count.
func TestFloodFolded(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		for _, capMB := range []int{2, 20} {
			t.Run(fmt.Sprintf("%dMB", capMB), func(t *testing.T) {
				t.Parallel()
				cfg := testConfig()
				cfg.MaxSizeMB = capMB
				cfg.Flood.NamesPerMinute = 120
				f := newFixture(t, cfg)
				j := f.j
				ctx := context.Background()

				// Earlier: Emma's phone tried Discord, each minute of an hour.
				for i := range 60 {
					j.Record(chat(t0.Add(-3*time.Hour+time.Duration(i)*time.Minute), "discord.com"))
				}
				j.sync()
				before := readAll(t, j, Filter{Device: "emma-phone"})

				// Now: 30,000 made-up names under roblox.com in 4 seconds.
				f.clock.Set(t0.Add(10 * time.Second))
				recordFlood(j, rand.New(rand.NewPCG(1, 2)), 30_000, t0, 4*time.Second)
				j.do(j.prune)

				if after := readAll(t, j, Filter{Device: "emma-phone"}); len(after) != len(before) || len(after) != 60 {
					t.Errorf("Emma's phone: %d rows after the flood, %d before; want 60", len(after), len(before))
				}
				rows := readAll(t, j, Filter{Device: "alex-tablet"})
				var own, folded int
				var fold Row
				for _, r := range rows {
					if IsFoldMarker(r.Name) {
						folded++
						fold = r
					} else {
						own++
					}
				}
				if own != 120 || folded != 1 {
					t.Fatalf("alex-tablet: %d rows of their own and %d folded; want 120 and 1", own, folded)
				}
				if fold.Name != "*.roblox.com" || fold.Folded != 30_000-120 || fold.Attempts != 30_000-120 || fold.Queries != 2*(30_000-120) {
					t.Errorf("fold row %s: %d names, %d tries, %d queries", fold.Name, fold.Folded, fold.Attempts, fold.Queries)
				}
				if span := fold.Last.Sub(fold.First); span < 3900*time.Millisecond || span > 4*time.Second {
					t.Errorf("fold row spans %v (%v to %v); want about 4s", span, fold.First, fold.Last)
				}
				if fold.Service != "roblox" || fold.Category != "gaming" || fold.Rule != "groups.kids.rules[0]" {
					t.Errorf("fold row's decision: %+v", fold)
				}
				totals, err := j.Totals(ctx, Filter{})
				if err != nil {
					t.Fatal(err)
				}
				if g, c := sumTotals(totals, "gaming"), sumTotals(totals, "chat"); g != 30_000 || c != 60 {
					t.Errorf("totals: gaming %d, chat %d; want 30000 and 60", g, c)
				}
				if st := j.Stats(); st.SizeBytes > int64(capMB)<<20 {
					t.Errorf("%d bytes on disk; cap %d MB", st.SizeBytes, capMB)
				}
			})
		}
	})
}

// Without a budget, a device that fills the journal loses its own oldest
// rows first; the other devices' rows and the last day stay, and the
// totals keep every try.
func TestPruneNoisiestFirst(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		cfg := testConfig()
		cfg.MaxSizeMB = 1
		cfg.RetentionDays = 30
		f := newFixture(t, cfg)
		j := f.j
		ctx := context.Background()

		// Three days ago, Emma's phone: 50 rows.
		for i := range 50 {
			j.Record(chat(t0.Add(-72*time.Hour+time.Duration(i)*time.Minute), fmt.Sprintf("cdn%d.discord.com", i)))
		}
		// From two days ago to two hours ago, alex-tablet: 12,000 names.
		rng := rand.New(rand.NewPCG(3, 4))
		const n = 12_000
		start, span := t0.Add(-48*time.Hour), 46*time.Hour
		for i := range n {
			j.enqueue(gaming(start.Add(span*time.Duration(i)/n), randomName(rng), 1))
			if i%4000 == 3999 {
				j.sync()
			}
		}
		j.sync()
		// This morning, the kitchen speaker's only tries.
		j.Record(blocked(t0.Add(-time.Hour), "kitchen", guest, "casino.example", 1))
		j.sync()
		j.do(j.prune)

		if rows := readAll(t, j, Filter{Device: "emma-phone"}); len(rows) != 50 {
			t.Errorf("Emma's phone: %d rows; want 50", len(rows))
		}
		if rows := readAll(t, j, Filter{Device: "kitchen"}); len(rows) != 1 {
			t.Errorf("kitchen: %d rows; want 1", len(rows))
		}
		alex := readAll(t, j, Filter{Device: "alex-tablet"})
		if len(alex) == 0 || len(alex) >= n {
			t.Fatalf("alex-tablet: %d rows of %d; want some pruned", len(alex), n)
		}
		// Its newest rows (the last day) stay.
		if last := alex[len(alex)-1].Minute; last.Before(t0.Add(-3 * time.Hour)) {
			t.Errorf("alex-tablet's newest row is from %v", last)
		}
		if st := j.Stats(); st.SizeBytes > 1<<20 {
			t.Errorf("%d bytes; cap 1 MB", st.SizeBytes)
		}
		totals, err := j.Totals(ctx, Filter{Device: "alex-tablet"})
		if err != nil {
			t.Fatal(err)
		}
		if got := sumTotals(totals, "gaming"); got != n {
			t.Errorf("alex-tablet's gaming total %d after pruning; want %d", got, n)
		}
		if !strings.Contains(f.log.String(), "alex-tablet") {
			t.Errorf("the log does not name the device pruned:\n%s", f.log)
		}
	})
}

// A journal written by the previous version (schema 1) opens: its rows are
// kept, read by a Reader before and after, and counted into the totals.
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", fileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schema + `PRAGMA user_version = 1;
		INSERT INTO lookups VALUES (` + fmt.Sprint(minuteOf(t0.Add(-time.Hour))) + `, 'emma-phone', '192.168.1.20', 'discord.com',
		'block', 'kids', 'rule', 'outside', 'chat', 'discord', 'builtin', 'groups.kids.rules[1]', '', 'nxdomain', 3, 2, 0);`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r, err := OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	if rows := readAll(t, r, Filter{}); len(rows) != 1 || rows[0].Attempts != 3 || rows[0].Folded != 0 {
		t.Errorf("version 1 through a Reader: %+v", rows)
	}
	if ts, err := r.Totals(ctx, Filter{}); err != nil || ts != nil {
		t.Errorf("version 1 totals: %v, %v", ts, err)
	}
	r.Close()

	j := Open(testConfig(), Options{Logger: zerolog.Nop(), Clock: clocktest.New(t0), Dir: dir})
	if st := j.Stats(); st.InMemory {
		t.Fatalf("not opened: %s", st.LastError)
	}
	j.Record(chat(t0, "discord.com"))
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if rows := readAll(t, r, Filter{}); len(rows) != 2 {
		t.Errorf("after migrating: %d rows; want 2", len(rows))
	}
	ts, err := r.Totals(ctx, Filter{})
	if err != nil || sumTotals(ts, "chat") != 4 || len(ts) != 2 {
		t.Errorf("totals after migrating: %+v, %v; want 3 tries then 1", ts, err)
	}
}

// The guard's memory stays within its bounds whatever one minute brings.
func TestFloodGuardBounded(t *testing.T) {
	t.Parallel()
	g := newFloodGuard(100)
	rng := rand.New(rand.NewPCG(5, 6))
	m := minuteOf(t0)
	var folded int64
	for i := range floodNames + 50_000 {
		dev := devKey{"", netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		if i%2 == 0 {
			dev = devKey{"alex-tablet", alexTablet}
		}
		e := gaming(t0, fmt.Sprintf("%x.d%d.example", rng.Uint64(), i%40), 1)
		if _, isNew, fold := g.check(&e, dev, m); fold && isNew {
			folded++
		}
	}
	if len(g.seen) > floodNames || len(g.perDev) > floodDevices || len(g.buckets) > floodBuckets {
		t.Errorf("names %d, devices %d, buckets %d", len(g.seen), len(g.perDev), len(g.buckets))
	}
	if g.domains[devKey{"alex-tablet", alexTablet}] > floodDomains {
		t.Errorf("alex-tablet has %d fold domains", g.domains[devKey{"alex-tablet", alexTablet}])
	}
	if folded == 0 {
		t.Error("nothing folded")
	}
	// The next minute starts afresh, with the memory given back.
	e := gaming(t0.Add(time.Minute), "www.roblox.com", 1)
	if _, _, fold := g.check(&e, devKey{"alex-tablet", alexTablet}, m+1); fold || len(g.seen) != 1 {
		t.Errorf("next minute: folded %v, %d names remembered", fold, len(g.seen))
	}
}
