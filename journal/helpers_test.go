package journal

import (
	"bytes"
	"context"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// t0 is the tests' "now": a Monday noon.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// testConfig commits only when a test says so (sync) or at Close.
func testConfig() Config {
	return Config{RetentionDays: 60, MaxSizeMB: 200, Queue: 100_000, FlushInterval: time.Hour}
}

// syncBuffer is a log sink safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a journal in a temporary directory with a fake clock and a
// captured log.
type fixture struct {
	cfg   Config
	j     *Journal
	clock *clocktest.Fake
	log   *syncBuffer
	dir   string
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	f := &fixture{cfg: cfg, clock: clocktest.New(t0), log: &syncBuffer{}, dir: t.TempDir()}
	f.j = Open(cfg, Options{Logger: zerolog.New(f.log), Clock: f.clock, Dir: f.dir})
	t.Cleanup(func() { _ = f.j.Close(context.Background()) })
	return f
}

func (f *fixture) path() string { return filepath.Join(f.dir, "journal.db") }

// reader opens the fixture's journal as `hearth report` does.
func (f *fixture) reader(t testing.TB) *Reader {
	t.Helper()
	r, err := OpenReaderFor(f.cfg, f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// A backend is a database the journal runs on: SQLite always, PostgreSQL
// too under the build tag postgres (postgres_test.go adds it).
type backend struct {
	name    string
	prepare func(testing.TB, *Config) // nil: SQLite
}

var backends = []backend{{name: "sqlite"}}

// fixtureFunc makes a fixture on one backend.
type fixtureFunc func(testing.TB, Config) *fixture

// eachBackend runs fn once per backend, as a subtest named after it, with
// a newFixture that opens the journal there.
func eachBackend(t *testing.T, fn func(t *testing.T, newFixture fixtureFunc)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, func(t testing.TB, cfg Config) *fixture {
				if b.prepare != nil {
					b.prepare(t, &cfg)
				}
				return newFixture(t, cfg)
			})
		})
	}
}

// do runs fn on the writer goroutine and waits for it.
func (j *Journal) do(fn func()) {
	done := make(chan struct{})
	j.ctl <- func() { fn(); close(done) }
	<-done
}

// sync has the writer take everything queued and commit it.
func (j *Journal) sync() {
	j.do(func() {
		j.drain()
		j.flush(true)
	})
}

// stall holds the writer until the returned function is called.
func (j *Journal) stall() (release func()) {
	started, held := make(chan struct{}), make(chan struct{})
	j.ctl <- func() { close(started); <-held }
	<-started
	return func() { close(held) }
}

var (
	kid    = netip.MustParseAddr("192.168.1.20")
	tablet = netip.MustParseAddr("192.168.1.21")
	guest  = netip.MustParseAddr("192.168.1.99")
)

// blocked is a lookup that a category rule blocked.
func blocked(at time.Time, device string, client netip.Addr, name string, qtype uint16) Event {
	return Event{
		Time: at, Device: device, Group: "kids", Client: client, Name: name, Qtype: qtype,
		Action: ActionBlock, Reason: verdict.ReasonRule, Category: "gambling", List: "hagezi-gambling",
		Rule: "groups.kids.block[0]", Response: "nxdomain",
	}
}

// allowed is an allowed lookup.
func allowed(at time.Time, device string, client netip.Addr, name string, qtype uint16) Event {
	return Event{Time: at, Device: device, Group: "kids", Client: client, Name: name, Qtype: qtype, Action: ActionAllow}
}

func readAll(t testing.TB, src interface {
	Rows(context.Context, Filter) ([]Row, error)
}, f Filter) []Row {
	t.Helper()
	rows, err := src.Rows(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func totalQueries(rows []Row) int64 {
	var n int64
	for _, r := range rows {
		n += r.Queries
	}
	return n
}

// enqueue queues e like Record, but when the queue is full has the writer
// take it (and commit) instead of dropping e.
func (j *Journal) enqueue(e Event) {
	l := j.laneOf(e.Queue)
	for {
		l.mu.Lock()
		if len(l.buf) < j.cfg.Queue {
			l.buf = append(l.buf, e)
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		j.sync()
	}
}

// flushTick is what the writer does at each flush_interval.
func (j *Journal) flushTick() { j.flush(false) }
