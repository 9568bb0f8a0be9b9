//go:build postgres

package journal

// The journal on a real PostgreSQL (journal/pgtest starts one for this test
// binary): the backend-neutral tests run on it too (eachBackend), and these
// check what only a shared server has: two writers, a kill, migrations.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/journal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func init() {
	backends = append(backends, backend{name: "postgres", prepare: func(t testing.TB, c *Config) {
		c.Postgres = pgtest.Database(t)
	}})
}

// pgFixture is a journal on the PostgreSQL database dsn.
func pgFixture(t testing.TB, dsn string, cfg Config) *fixture {
	t.Helper()
	cfg.Postgres = dsn
	return newFixture(t, cfg)
}

// Two Hearths write one database: a child's lookups answered by both add up
// in the same rows, and either's reader (the report) counts them once.
func TestPostgresTwoWriters(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t)
	a, b := pgFixture(t, dsn, testConfig()), pgFixture(t, dsn, testConfig())
	if a.j.Stats().InMemory || b.j.Stats().InMemory {
		t.Fatalf("not on PostgreSQL: %+v / %+v", a.j.Stats(), b.j.Stats())
	}
	const rounds = 20
	for i := range rounds {
		at := t0.Add(time.Duration(i) * 2 * time.Second) // one minute
		a.j.Record(blocked(at, "kid-laptop", kid, "casino.example", 1))
		b.j.Record(blocked(at, "kid-laptop", kid, "casino.example", 28))
		b.j.Record(blocked(at, "kid-laptop", kid, "poker.example", 1))
		if i%5 == 4 { // both flush, rows already written by the other
			a.j.sync()
			b.j.sync()
		}
	}
	// Both write at once, the same rows, many times: in key order, no deadlock.
	done := make(chan struct{})
	for _, f := range []*fixture{a, b} {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				for n := range 50 {
					f.j.Record(blocked(t0.Add(2*time.Minute), "tablet", tablet, fmt.Sprintf("n%02d.example", n), uint16(1+27*(i%2))))
				}
				f.j.sync()
			}
		}()
	}
	<-done
	<-done
	for _, f := range []*fixture{a, b} {
		if st := f.j.Stats(); st.InMemory || st.LastError != "" {
			t.Fatalf("a writer failed: %+v", st)
		}
	}
	r := b.reader(t)
	rows := readAll(t, r, Filter{Device: "kid-laptop"})
	if len(rows) != 2 {
		t.Fatalf("%d rows; want casino and poker: %+v", len(rows), rows)
	}
	if c := rows[0]; c.Name != "casino.example" || c.Queries != 2*rounds || c.Attempts != rounds {
		t.Errorf("casino: %d queries, %d attempts; want %d (A from one, AAAA from the other), %d", c.Queries, c.Attempts, 2*rounds, rounds)
	}
	tablet := readAll(t, r, Filter{Device: "tablet"})
	if len(tablet) != 50 || totalQueries(tablet) != 2*200*50 {
		t.Errorf("tablet: %d rows, %d queries; want 50, %d", len(tablet), totalQueries(tablet), 2*200*50)
	}
	// The hourly totals add up the rows' attempts exactly, across writers.
	tot, err := r.Totals(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var attempts, rowAttempts int64
	for _, x := range tot {
		attempts += x.Attempts
	}
	for _, x := range readAll(t, r, Filter{}) {
		rowAttempts += x.Attempts
	}
	if attempts != rowAttempts {
		t.Errorf("totals %d attempts, rows %d", attempts, rowAttempts)
	}
}

// An empty database gets the schema; a newer one is refused by the writer
// (rows kept in memory, the error says why) and by a reader.
func TestPostgresMigrations(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t)
	f := pgFixture(t, dsn, testConfig())
	migs, _ := pgMigrations()
	db := pgtest.Admin(t, dsn)
	var v int
	if err := db.QueryRow("SELECT version FROM journal_schema").Scan(&v); err != nil || v != len(migs) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(migs))
	}
	for _, table := range []string{"lookups", "totals", "dropped"} {
		var ok bool
		if err := db.QueryRow("SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s: %v, %v", table, ok, err)
		}
	}
	// Opening again changes nothing.
	g := pgFixture(t, dsn, testConfig())
	if st := g.j.Stats(); st.InMemory {
		t.Fatalf("second open: %+v", st)
	}
	f.j.Close(context.Background())
	g.j.Close(context.Background())

	if _, err := db.Exec("UPDATE journal_schema SET version = 99"); err != nil {
		t.Fatal(err)
	}
	h := pgFixture(t, dsn, testConfig())
	if st := h.j.Stats(); !st.InMemory || !strings.Contains(st.LastError, "newer version") {
		t.Errorf("a newer schema: %+v", st)
	}
	if _, err := OpenReaderFor(h.cfg, h.dir); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Errorf("reader of a newer schema: %v", err)
	}
	// A reader of a database the server never set up says so.
	empty := Config{Postgres: pgtest.Database(t)}
	if _, err := OpenReaderFor(empty, ""); err == nil || !strings.Contains(err.Error(), "no journal in this database") {
		t.Errorf("reader of an empty database: %v", err)
	}
}

// A server that goes away: the rows wait in memory, the journal says it is
// failing, and when the server is back (tried at every flush) they are
// written.
func TestPostgresDownAndBack(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t)
	cfg := testConfig()
	f := pgFixture(t, dsn, cfg)
	name := dsnDatabase(t, dsn)
	admin := pgtest.Admin(t, strings.Replace(dsn, "/"+name, "/postgres", 1))
	f.j.Record(blocked(t0, "kid-laptop", kid, "one.example", 1))
	f.j.sync()

	// Down: no new sessions, and the journal's are ended.
	if _, err := admin.Exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
		t.Fatal(err)
	}
	f.j.Record(blocked(t0, "kid-laptop", kid, "two.example", 1))
	f.j.sync()
	st := f.j.Stats()
	if !st.InMemory || st.LastError == "" || st.Rows != 1 {
		t.Fatalf("while down: %+v", st)
	}
	if strings.Contains(f.log.String(), "hearth-test") {
		t.Errorf("the log shows the password: %s", f.log.String())
	}
	f.j.do(f.j.flushTick) // a flush while down: still in memory
	f.j.Record(blocked(t0, "kid-laptop", kid, "three.example", 1))

	if _, err := admin.Exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	// The writer's next flush tries the server again.
	f.j.do(func() {
		f.j.drain()
		f.j.reopen()
		f.j.flush(true)
	})
	if st := f.j.Stats(); st.InMemory || st.Written != 3 || st.LastError != "" {
		t.Errorf("back: %+v", st)
	}
	rows := readAll(t, f.reader(t), Filter{})
	if len(rows) != 3 {
		t.Errorf("%d rows after the server came back; want 3", len(rows))
	}
}

func dsnDatabase(t testing.TB, dsn string) string {
	c, err := ParsePostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return c.Database
}

// A Hearth killed (SIGKILL, no Close) loses what it had not yet flushed,
// and nothing flushed before.
func TestPostgresKill(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresKillChild$")
	cmd.Env = append(os.Environ(), pgtest.ChildEnv+"=1", "JOURNAL_KILL_DSN="+dsn)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	flushed, pending := 0, 0
	sc := bufio.NewScanner(out)
	for pending == 0 && sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "flushed "); ok {
			flushed, _ = strconv.Atoi(s)
		}
		if s, ok := strings.CutPrefix(sc.Text(), "pending "); ok {
			pending, _ = strconv.Atoi(s)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if flushed == 0 || pending == 0 {
		t.Fatalf("the child stopped early: flushed %d, pending %d", flushed, pending)
	}
	var n int
	if err := pgtest.Admin(t, dsn).QueryRow("SELECT count(*) FROM lookups").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != flushed {
		t.Errorf("after the kill: %d rows; %d were flushed (and %d not yet)", n, flushed, pending)
	}
}

// TestPostgresKillChild records and flushes 3,000 rows, then records 500
// more that wait for the next flush (an hour away), and waits to be killed.
func TestPostgresKillChild(t *testing.T) {
	dsn := os.Getenv("JOURNAL_KILL_DSN")
	if dsn == "" {
		t.Skip("run by TestPostgresKill")
	}
	j := Open(Config{Postgres: dsn, Queue: 10_000, FlushInterval: time.Hour}, Options{Logger: zerolog.Nop(), Clock: clocktest.New(t0)})
	for i := range 3500 {
		j.enqueue(blocked(t0.Add(time.Duration(i)*time.Millisecond), "kid-laptop", kid, fmt.Sprintf("n%d.example", i), 1))
		if i == 2999 {
			j.sync()
			fmt.Printf("flushed %d\n", i+1)
		}
	}
	j.do(j.drain)
	fmt.Printf("pending %d\n", 500)
	select {}
}

// max_size_mb on PostgreSQL bounds pg_total_relation_size of the tables:
// a journal reopened with a smaller cap is pruned under it at the start
// (the newest rows kept), and stays under it while writing on.
func TestPostgresSizeCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.Database(t)
	cfg := testConfig()
	cfg.RetentionDays = 3650
	f := pgFixture(t, dsn, cfg)
	const n = 10_000
	recordRows(f.j, n)
	before := f.j.Stats().SizeBytes
	if before < 2<<20 {
		t.Fatalf("only %d bytes written", before)
	}
	f.j.Close(ctx)

	cfg.MaxSizeMB = 1
	g := pgFixture(t, dsn, cfg)
	g.j.sync()
	st := g.j.Stats()
	if st.SizeBytes > 1<<20 || st.SizeBytes == 0 {
		t.Errorf("after pruning: %d bytes; cap %d (was %d)", st.SizeBytes, 1<<20, before)
	}
	rows := readAll(t, g.j, Filter{})
	if int64(len(rows)) != st.Rows || len(rows) == 0 || len(rows) > n/2 {
		t.Fatalf("after pruning: %d rows, Stats.Rows %d", len(rows), st.Rows)
	}
	if last := rows[len(rows)-1]; last.Name != fmt.Sprintf("tracker-%06d.ads.example.com", n-1) {
		t.Errorf("the newest row went: last is %s", last.Name)
	}
	if !strings.Contains(g.log.String(), "max_size_mb") {
		t.Errorf("the log does not say the cap was reached:\n%s", g.log)
	}
	recordRows(g.j, n)
	if st := g.j.Stats(); st.SizeBytes > 1<<20 {
		t.Errorf("while writing: %d bytes", st.SizeBytes)
	}
	t.Logf("%d bytes and %d rows; pruned to %d bytes and %d rows", before, n, st.SizeBytes, len(rows))
}

// A server that holds the writer up (a lock, a slow disk): Record never
// waits, lookups past the queue are counted as dropped, and what was queued
// is written when the server answers again.
func TestPostgresSlowServer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t)
	cfg := testConfig()
	cfg.Queue = 100
	f := pgFixture(t, dsn, cfg)
	f.j.Record(blocked(t0, "kid-laptop", kid, "first.example", 1))
	f.j.sync()

	admin := pgtest.Admin(t, dsn)
	tx, err := admin.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("LOCK TABLE lookups IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	f.j.Record(blocked(t0, "kid-laptop", kid, "held.example", 1))
	flushed := make(chan struct{})
	go func() { f.j.sync(); close(flushed) }()
	// Wait until the writer's commit waits for the lock.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var waiting int
		if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The DNS path meanwhile: 250 lookups, none waits; 100 fit the queue.
	start := time.Now()
	for i := range 250 {
		f.j.Record(blocked(t0, "kid-laptop", kid, fmt.Sprintf("q%d.example", i), 1))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Record waited: %v for 250 lookups", took)
	}
	if st := f.j.Stats(); st.Queued != 100 || st.Dropped != 150 {
		t.Errorf("while held: queued %d, dropped %d; want 100, 150", st.Queued, st.Dropped)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	<-flushed
	f.j.sync()
	st := f.j.Stats()
	if st.InMemory || st.Written != 102 {
		t.Errorf("after: %+v; want 102 lookups written", st)
	}
	if n, err := f.j.Dropped(context.Background(), time.Time{}, time.Time{}); err != nil || n != 150 {
		t.Errorf("dropped stored: %d, %v; want 150", n, err)
	}
}
