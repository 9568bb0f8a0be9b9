package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy/verdict"
)

func TestRecordAndRead(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		f := newFixture(t, testConfig())
		j := f.j
		m0, m1 := t0.Add(-2*time.Minute), t0.Add(-time.Minute)
		j.Record(blocked(m0.Add(5*time.Second), "kid-laptop", kid, "casino.example", 1))
		j.Record(blocked(m0.Add(6*time.Second), "kid-laptop", kid, "casino.example", 28))
		j.Record(allowed(m0.Add(7*time.Second), "kid-laptop", kid, "school.example", 1))
		j.Record(blocked(m1.Add(1*time.Second), "tablet", tablet, "casino.example", 65))
		j.Record(blocked(m1.Add(2*time.Second), "", guest, "poker.example", 1))
		j.sync()

		all := readAll(t, j, Filter{})
		if len(all) != 4 {
			t.Fatalf("got %d rows, want 4: %+v", len(all), all)
		}
		want := Row{
			Minute: m0, Device: "kid-laptop", Client: "192.168.1.20", Group: "kids", Name: "casino.example",
			Action: ActionBlock, Reason: verdict.ReasonRule, Category: "gambling", List: "hagezi-gambling",
			Rule: "groups.kids.block[0]", Response: "nxdomain", Queries: 2, Attempts: 1,
		}
		if all[0] != want {
			t.Errorf("first row\n got %+v\nwant %+v", all[0], want)
		}

		for _, tc := range []struct {
			name  string
			f     Filter
			names []string // expected rows' device/name, in order
		}{
			{"all, oldest first", Filter{}, []string{"kid-laptop/casino.example", "kid-laptop/school.example", "/poker.example", "tablet/casino.example"}},
			{"device name", Filter{Device: "tablet"}, []string{"tablet/casino.example"}},
			{"client address of an unknown device", Filter{Device: "192.168.1.99"}, []string{"/poker.example"}},
			{"client address of a known device", Filter{Device: "192.168.1.20"}, []string{"kid-laptop/casino.example", "kid-laptop/school.example"}},
			{"IPv4-mapped address", Filter{Device: "::ffff:192.168.1.99"}, []string{"/poker.example"}},
			{"blocked only", Filter{Action: OnlyBlocked, Device: "kid-laptop"}, []string{"kid-laptop/casino.example"}},
			{"allowed only", Filter{Action: OnlyAllowed}, []string{"kid-laptop/school.example"}},
			{"since the second minute", Filter{Since: m1}, []string{"/poker.example", "tablet/casino.example"}},
			{"since within the first minute leaves it out", Filter{Since: m0.Add(time.Second)}, []string{"/poker.example", "tablet/casino.example"}},
			{"until the second minute", Filter{Until: m1}, []string{"kid-laptop/casino.example", "kid-laptop/school.example"}},
			{"until within the first minute keeps it", Filter{Until: m0.Add(time.Second)}, []string{"kid-laptop/casino.example", "kid-laptop/school.example"}},
			{"empty period", Filter{Since: m1, Until: m1}, nil},
			{"limit: newest first", Filter{Limit: 1}, []string{"tablet/casino.example"}},
			{"unknown device", Filter{Device: "nobody"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				for _, r := range readAll(t, j, tc.f) {
					got = append(got, r.Device+"/"+r.Name)
				}
				if strings.Join(got, " ") != strings.Join(tc.names, " ") {
					t.Errorf("got %v, want %v", got, tc.names)
				}
			})
		}

		st := j.Stats()
		if st.Rows != 4 || st.Written != 5 || st.Dropped != 0 || st.InMemory || st.SizeBytes == 0 || st.LastError != "" {
			t.Errorf("stats %+v", st)
		}
	})
}

// A burst of retries within a minute is one row that counts them, also
// when the burst spans two commits.
func TestBurst(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		f := newFixture(t, testConfig())
		j := f.j
		minute := t0.Truncate(time.Minute)
		for i := range 1000 {
			at := minute.Add(time.Duration(i) * 50 * time.Millisecond)
			j.Record(blocked(at, "kid-laptop", kid, "casino.example", 1))
			j.Record(blocked(at, "kid-laptop", kid, "casino.example", 28))
			if i == 300 {
				j.sync()
			}
		}
		j.sync()
		rows := readAll(t, j, Filter{})
		if len(rows) != 1 {
			t.Fatalf("got %d rows, want 1", len(rows))
		}
		if r := rows[0]; r.Queries != 2000 || r.Attempts != 1000 {
			t.Errorf("Queries %d, Attempts %d; want 2000, 1000", r.Queries, r.Attempts)
		}
		if st := j.Stats(); st.Rows != 1 || st.Written != 2000 || st.Dropped != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// The last values of a row's details win; the counts add up.
func TestLastValuesWin(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		f := newFixture(t, testConfig())
		j := f.j
		e := blocked(t0, "kid-laptop", kid, "casino.example", 1)
		j.Record(e)
		j.sync()
		e.Category, e.Rule, e.Qtype = "betting", "groups.kids.block[1]", 65
		j.Record(e)
		j.sync()
		rows := readAll(t, j, Filter{})
		if len(rows) != 1 || rows[0].Category != "betting" || rows[0].Rule != "groups.kids.block[1]" || rows[0].Queries != 2 || rows[0].Attempts != 1 {
			t.Errorf("rows %+v", rows)
		}
	})
}

func TestDropsWhenQueueFull(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		cfg := testConfig()
		cfg.Queue = 10
		f := newFixture(t, cfg)
		j := f.j
		release := j.stall()
		for i := range 25 {
			j.Record(blocked(t0.Add(time.Duration(i)*time.Second), "kid-laptop", kid, "casino.example", 1))
		}
		st := j.Stats()
		if st.Queued != 10 || st.Dropped != 15 {
			t.Errorf("queued %d, dropped %d; want 10, 15", st.Queued, st.Dropped)
		}
		release()
		if err := j.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		j.Record(blocked(t0, "kid-laptop", kid, "casino.example", 1)) // after Close: counted, not kept
		if st := j.Stats(); st.Dropped != 16 {
			t.Errorf("dropped %d after a Record past Close; want 16", st.Dropped)
		}

		r := f.reader(t)
		ctx := context.Background()
		if n, err := r.Dropped(ctx, time.Time{}, time.Time{}); err != nil || n != 15 {
			t.Errorf("stored drops %d, %v; want 15", n, err)
		}
		// The drops are stored at the minute the writer noticed them.
		if n, _ := r.Dropped(ctx, t0, t0.Add(time.Minute)); n != 15 {
			t.Errorf("drops in the current minute %d; want 15", n)
		}
		if n, _ := r.Dropped(ctx, t0.Add(time.Minute), time.Time{}); n != 0 {
			t.Errorf("drops after the current minute %d; want 0", n)
		}
		if n := totalQueries(readAll(t, r, Filter{})); n != 10 {
			t.Errorf("stored %d lookups, want 10", n)
		}
	})
}

func TestCloseFlushes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		cfg := testConfig() // commits hourly: only Close writes
		f := newFixture(t, cfg)
		for i := range 500 {
			f.j.Record(blocked(t0.Add(time.Duration(i)*time.Second), "kid-laptop", kid, "casino.example", uint16(1+27*(i%2))))
		}
		if err := f.j.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := f.j.Close(context.Background()); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := f.j.Rows(context.Background(), Filter{}); !errors.Is(err, errClosed) {
			t.Errorf("Rows after Close: %v", err)
		}
		r := f.reader(t)
		rows := readAll(t, r, Filter{})
		if n := totalQueries(rows); n != 500 || len(rows) != 9 {
			t.Errorf("read %d lookups in %d rows; want 500 in 9", n, len(rows))
		}
	})
}

func TestCloseContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	release := f.j.stall()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := f.j.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a stalled writer: %v", err)
	}
	release()
	if err := f.j.Close(context.Background()); err != nil {
		t.Errorf("Close after: %v", err)
	}
}

// Record is on the DNS path: no allocation for an Event held in a variable.
func TestRecordAllocs(t *testing.T) {
	f := newFixture(t, testConfig())
	e := blocked(t0, "kid-laptop", kid, "casino.example", 1)
	if n := testing.AllocsPerRun(1000, func() { f.j.Record(e) }); n != 0 {
		t.Errorf("Record allocates %v times per call", n)
	}
	var nilJournal *Journal
	nilJournal.Record(e) // a nil Journal records nothing
}

func TestLogBlocked(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.LogBlocked = true
	f := newFixture(t, cfg)
	e := blocked(t0, "kid-laptop", kid, "casino.example", 28)
	e.Service, e.Window, e.Mode = "pokerstars", "school-nights", verdict.ModeDuring
	f.j.Record(e)
	f.j.Record(e) // one line per row and minute, with its counts, not one per lookup
	f.j.Record(allowed(t0, "kid-laptop", kid, "school.example", 1))
	f.j.sync()

	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(f.log.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if m["event"] == "blocked" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d blocked events logged, want 1:\n%s", len(lines), f.log)
	}
	want := map[string]any{
		"level": "info", "event": "blocked", "device": "kid-laptop", "group": "kids", "client": "192.168.1.20",
		"minute": "2026-03-02T12:00:00Z", "tries": 2.0, "queries": 2.0,
		"name": "casino.example", "category": "gambling", "service": "pokerstars",
		"list": "hagezi-gambling", "rule": "groups.kids.block[0]", "window": "school-nights",
		"response": "nxdomain", "reason": "rule", "mode": "during", "message": "blocked",
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("%s = %v, want %v", k, lines[0][k], v)
		}
	}
}

func TestNoLogBlocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	f.j.Record(blocked(t0, "kid-laptop", kid, "casino.example", 1))
	f.j.sync()
	if strings.Contains(f.log.String(), `"event":"blocked"`) {
		t.Errorf("logged with log_blocked off:\n%s", f.log)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := Config{RetentionDays: 60, MaxSizeMB: 200, Queue: 65536, FlushInterval: time.Second}
	if errs := good.Validate("journal"); len(errs) != 0 {
		t.Errorf("defaults: %v", errs)
	}
	for _, tc := range []struct {
		change func(*Config)
		key    string
	}{
		{func(c *Config) { c.RetentionDays = 0 }, "journal.retention_days"},
		{func(c *Config) { c.RetentionDays = 3651 }, "journal.retention_days"},
		{func(c *Config) { c.MaxSizeMB = 0 }, "journal.max_size_mb"},
		{func(c *Config) { c.MaxSizeMB = 100_001 }, "journal.max_size_mb"},
		{func(c *Config) { c.Queue = 99 }, "journal.queue"},
		{func(c *Config) { c.Queue = 10_000_001 }, "journal.queue"},
		{func(c *Config) { c.FlushInterval = 99 * time.Millisecond }, "journal.flush_interval"},
		{func(c *Config) { c.FlushInterval = time.Minute + 1 }, "journal.flush_interval"},
	} {
		c := good
		tc.change(&c)
		errs := c.Validate("journal")
		var fe *fielderr.Error
		if len(errs) != 1 || !errors.As(errs[0], &fe) || fe.Key != tc.key {
			t.Errorf("%+v: %v; want one error for %s", c, errs, tc.key)
		}
	}
	for _, edge := range []Config{
		{RetentionDays: 1, MaxSizeMB: 1, Queue: 100, FlushInterval: 100 * time.Millisecond},
		{RetentionDays: 3650, MaxSizeMB: 100_000, Queue: 10_000_000, FlushInterval: time.Minute},
	} {
		if errs := edge.Validate("journal"); len(errs) != 0 {
			t.Errorf("%+v: %v", edge, errs)
		}
	}
	if errs := (Config{}).Validate(""); len(errs) != 4 {
		t.Errorf("zero config: %v; want 4 errors", errs)
	} else if fe := errs[0].(*fielderr.Error); fe.Key != "retention_days" {
		t.Errorf("key without a prefix: %q", fe.Key)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Parallel()
	if p := DefaultPath(Config{}, "/var/lib/hearth"); p != "/var/lib/hearth/journal.db" {
		t.Errorf("default: %s", p)
	}
	if p := DefaultPath(Config{Path: "/srv/j.db"}, "/var/lib/hearth"); p != "/srv/j.db" {
		t.Errorf("configured: %s", p)
	}
}

func TestMinutes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		t        time.Time
		of, next int64
	}{
		{time.Unix(120, 0), 2, 2},
		{time.Unix(121, 0), 2, 3},
		{time.Unix(120, 1), 2, 3},
		{time.Unix(-1, 0), -1, 0},
		{time.Unix(-60, 0), -1, -1},
	} {
		if of, next := minuteOf(tc.t), minuteAtOrAfter(tc.t); of != tc.of || next != tc.next {
			t.Errorf("%v: minuteOf %d, minuteAtOrAfter %d; want %d, %d", tc.t.Unix(), of, next, tc.of, tc.next)
		}
	}
}

func TestFileURI(t *testing.T) {
	t.Parallel()
	if got := fileURI("/var/lib/a?b#c%d/journal.db"); got != "file:/var/lib/a%3fb%23c%25d/journal.db" {
		t.Errorf("got %s", got)
	}
}

// TestLogBlockedBatched: with EventOutput the per-lookup events are written
// in batches (fewer writes than lines), each line whole.
func TestLogBlockedBatched(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.LogBlocked = true
	out := &countingWriter{}
	dir := t.TempDir()
	j := Open(cfg, Options{Logger: zerolog.New(&syncBuffer{}), Clock: clocktest.New(t0), Dir: dir, EventOutput: out})
	const n = 500
	j.do(func() { // queue them all before the writer looks
		for i := range n {
			j.enqueue(blocked(t0, fmt.Sprintf("kid-%d", i%20), kid, fmt.Sprintf("c%d.casino.example", i), 1)) // 20 devices: under the log limit
		}
	})
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.buf.String()), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["event"] != "blocked" {
			t.Fatalf("line %q: %v", l, err)
		}
	}
	if out.writes >= n/10 {
		t.Errorf("%d writes for %d lines: not batched", out.writes, n)
	}
}

type countingWriter struct {
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; return c.buf.Write(p) }
