package journal

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

func TestSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	db, err := sql.Open("sqlite", fileURI(f.path())+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"auto_vacuum":  "2", // incremental
		"user_version": strconv.Itoa(schemaVersion),
	} {
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(f.path() + suffix); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("journal.db%s: %v, %v; want mode 0600", suffix, fi.Mode(), err)
		}
	}
	var plan string
	if err := db.QueryRow(`EXPLAIN QUERY PLAN SELECT * FROM lookups WHERE device = 'a' AND minute >= 5`).Scan(new(int), new(int), new(int), &plan); err != nil || !strings.Contains(plan, "lookups_device") {
		t.Errorf("a device's rows are read with %q, %v", plan, err)
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		cfg := testConfig()
		cfg.RetentionDays = 7
		f := newFixture(t, cfg)
		j := f.j
		cutoff := t0.Truncate(time.Minute).Add(-7 * 24 * time.Hour)
		for _, at := range []time.Time{t0.Add(-30 * 24 * time.Hour), cutoff.Add(-time.Second), cutoff, t0.Add(-time.Hour), t0} {
			j.Record(blocked(at, "kid-laptop", kid, "casino.example", 1))
		}
		j.sync()
		if n := len(readAll(t, j, Filter{})); n != 5 {
			t.Fatalf("%d rows before pruning", n)
		}
		// Drops from long ago, stored directly, go too.
		if _, err := j.st.write(context.Background(), nil, map[int64]int64{minuteOf(t0.Add(-8 * 24 * time.Hour)): 3, minuteOf(t0): 4}); err != nil {
			t.Fatal(err)
		}

		j.do(j.prune)
		rows := readAll(t, j, Filter{})
		if len(rows) != 3 || !rows[0].Minute.Equal(cutoff) {
			t.Errorf("after pruning: %d rows from %v; want 3 from %v", len(rows), rows[0].Minute, cutoff)
		}
		if n, _ := j.Dropped(context.Background(), time.Time{}, time.Time{}); n != 4 {
			t.Errorf("drops after pruning %d; want 4", n)
		}
		if st := j.Stats(); st.Rows != 3 {
			t.Errorf("Stats.Rows %d; want 3", st.Rows)
		}

		// A day later the cutoff has moved on.
		f.clock.Advance(24 * time.Hour)
		j.do(j.prune)
		if rows := readAll(t, j, Filter{}); len(rows) != 2 {
			t.Errorf("a day later: %d rows; want 2", len(rows))
		}
	})
}

// realRows records n distinct rows, a few per minute back from t0.
func recordRows(j *Journal, n int) {
	for i := range n {
		at := t0.Add(-time.Duration(n-i) * 10 * time.Second)
		j.enqueue(blocked(at, fmt.Sprintf("device-%02d", i%30), kid, fmt.Sprintf("tracker-%06d.ads.example.com", i), 1))
		if i%5000 == 4999 {
			j.sync()
		}
	}
	j.sync()
}

func TestSizeCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	fileSize := func() int64 {
		var n int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(path + suffix); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	clk := clocktest.New(t0)
	cfg := testConfig()
	cfg.RetentionDays = 3650

	// Fill ~5 MB with a cap of 200 MB.
	j := Open(cfg, Options{Clock: clk, Dir: dir})
	const n = 10_000
	recordRows(j, n)
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	before := fileSize()
	if before < 2<<20 { // twice the cap
		t.Fatalf("only %d bytes written", before)
	}

	// Reopened with a 1 MB cap, the start's prune brings it under.
	cfg.MaxSizeMB = 1
	log := &syncBuffer{}
	j = Open(cfg, Options{Clock: clk, Dir: dir, Logger: zerolog.New(log)})
	j.sync()
	st := j.Stats()
	if st.SizeBytes > 1<<20 || fileSize() > 1<<20 {
		t.Errorf("after pruning: Stats.SizeBytes %d, on disk %d; cap %d (was %d)", st.SizeBytes, fileSize(), 1<<20, before)
	}
	rows := readAll(t, j, Filter{})
	if int64(len(rows)) != st.Rows || len(rows) == 0 || len(rows) > n/2 {
		t.Fatalf("after pruning: %d rows, Stats.Rows %d", len(rows), st.Rows)
	}
	if last := rows[len(rows)-1]; last.Name != fmt.Sprintf("tracker-%06d.ads.example.com", n-1) {
		t.Errorf("the newest row went: last is %s", last.Name)
	}
	if !strings.Contains(log.String(), "max_size_mb") {
		t.Errorf("the log does not say the cap was reached:\n%s", log)
	}
	t.Logf("%d bytes and %d rows; pruned to %d bytes and %d rows", before, n, fileSize(), len(rows))

	// Writing on, the cap holds.
	recordRows(j, n)
	if st := j.Stats(); st.SizeBytes > 1<<20 {
		t.Errorf("while writing: %d bytes", st.SizeBytes)
	}
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := fileSize(); s > 1<<20 {
		t.Errorf("after writing on: %d bytes", s)
	}
}

func TestReadOnlyDirectory(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, dir, path string) *fixture {
		t.Helper()
		f := &fixture{clock: clocktest.New(t0), log: &syncBuffer{}, dir: dir}
		f.j = Open(Config{Path: path, Queue: 100, FlushInterval: time.Hour}, Options{Logger: zerolog.New(f.log), Clock: f.clock, Dir: dir})
		t.Cleanup(func() { _ = f.j.Close(context.Background()) })
		j := f.j
		st := j.Stats()
		if !st.InMemory || st.LastError == "" {
			t.Fatalf("stats %+v", st)
		}
		if !strings.Contains(f.log.String(), `"level":"error"`) || !strings.Contains(f.log.String(), "trying again every minute") {
			t.Errorf("log:\n%s", f.log)
		}
		// The DNS side never waits, even with the writer held up.
		release := j.stall()
		start := time.Now()
		for i := range 1000 {
			j.Record(blocked(t0, "kid-laptop", kid, "casino.example", uint16(1+i%2*27)))
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("1000 Records took %v", d)
		}
		release()
		j.sync()
		rows := readAll(t, j, Filter{})
		if len(rows) != 1 || rows[0].Queries != 100 || rows[0].Attempts != 50 {
			t.Errorf("from memory: %+v", rows)
		}
		if n, err := j.Dropped(context.Background(), time.Time{}, time.Time{}); n != 900 || err != nil {
			t.Errorf("drops from memory: %d, %v", n, err)
		}
		if st := j.Stats(); st.Rows != 1 || st.Dropped != 900 || st.Written != 0 {
			t.Errorf("stats %+v", st)
		}
		return f
	}

	t.Run("parent is a regular file", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "not-a-dir")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := check(t, dir, filepath.Join(file, "journal.db"))
		if err := f.j.Close(context.Background()); err == nil || !strings.Contains(err.Error(), "1 rows kept in memory are lost") {
			t.Errorf("Close: %v", err)
		}
	})

	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes to read-only directories")
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		f := check(t, dir, "")
		if !strings.Contains(f.log.String(), "writable by the user hearth runs as") {
			t.Errorf("the log does not say what to do:\n%s", f.log)
		}

		// Made writable, the next retry opens the database and moves the
		// rows there.
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		f.j.do(f.j.reopen)
		st := f.j.Stats()
		if st.InMemory || st.Rows != 1 || st.Written != 100 {
			t.Errorf("after the retry: %+v", st)
		}
		if err := f.j.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		r := f.reader(t)
		if rows := readAll(t, r, Filter{}); len(rows) != 1 || rows[0].Queries != 100 {
			t.Errorf("after the retry: %+v", rows)
		}
		if n, err := r.Dropped(context.Background(), time.Time{}, time.Time{}); n != 900 || err != nil {
			t.Errorf("drops after the retry: %d, %v", n, err)
		}
	})
}

// A failed commit moves the batch to memory; the retry moves it back.
func TestWriteFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	j := f.j
	j.Record(blocked(t0, "kid-laptop", kid, "casino.example", 1))
	j.sync()
	j.do(func() { j.st.db.Close() }) // as a dead disk would
	j.Record(blocked(t0, "kid-laptop", kid, "casino.example", 28))
	j.sync()
	st := j.Stats()
	if !st.InMemory || st.LastError == "" || st.Rows != 1 || st.Written != 1 {
		t.Errorf("after the failure: %+v", st)
	}
	if !strings.Contains(f.log.String(), "cannot write to the database") {
		t.Errorf("log:\n%s", f.log)
	}
	if rows := readAll(t, j, Filter{}); len(rows) != 1 || rows[0].Queries != 1 || rows[0].Attempts != 1 {
		t.Errorf("from memory: %+v", rows)
	}
	j.do(j.reopen)
	st = j.Stats()
	if st.InMemory || st.Rows != 1 || st.Written != 2 {
		t.Errorf("after the retry: %+v", st)
	}
	if rows := readAll(t, j, Filter{}); len(rows) != 1 || rows[0].Queries != 2 || rows[0].Attempts != 1 {
		t.Errorf("after the retry: %+v", rows)
	}
}

func TestMemoryBound(t *testing.T) {
	t.Parallel()
	m := newMemStore(3)
	batch := func(names ...string) map[key]*vals {
		b := map[key]*vals{}
		for i, n := range names {
			b[key{minute: int64(i), name: n}] = &vals{a: 2}
		}
		return b
	}
	if lost := m.add(batch("a", "b"), nil); lost != 0 {
		t.Errorf("lost %d", lost)
	}
	if lost := m.add(batch("a", "x"), nil); lost != 0 {
		t.Errorf("lost %d", lost) // a merges; x is new: 3 rows
	}
	if lost := m.add(batch("d"), map[int64]int64{7: 1}); lost != 4 {
		t.Errorf("lost %d, want the oldest row's 4 lookups", lost)
	}
	if n := m.dropped(time.Time{}, time.Time{}); n != 1 {
		t.Errorf("dropped %d", n)
	}
	var names []string
	for _, r := range m.query(Filter{}) {
		names = append(names, r.Name)
	}
	if strings.Join(names, " ") != "d b x" {
		t.Errorf("kept %v", names)
	}
}

func TestCorruptFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(strings.Repeat("this is not an SQLite database\n", 500)), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged pages", func(t *testing.T, path string) {
			j := Open(testConfig(), Options{Dir: filepath.Dir(path), Clock: clocktest.New(t0)})
			recordRows(j, 5000)
			if err := j.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := 4096 * 3; i < len(b)-4096; i += 4096 * 5 {
				copy(b[i:i+2048], strings.Repeat("\xff", 2048))
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "journal.db")
			tc.damage(t, path)
			f := &fixture{clock: clocktest.New(t0), log: &syncBuffer{}, dir: dir}
			f.j = Open(testConfig(), Options{Logger: zerolog.New(f.log), Clock: f.clock, Dir: dir})
			defer f.j.Close(context.Background())

			aside := path + ".corrupt-20260302T120000"
			if _, err := os.Stat(aside); err != nil {
				t.Errorf("not moved aside: %v\n%s", err, f.log)
			}
			if log := f.log.String(); !strings.Contains(log, "corrupt") || !strings.Contains(log, aside) {
				t.Errorf("the log does not say so:\n%s", log)
			}
			if st := f.j.Stats(); st.InMemory || st.Rows != 0 {
				t.Errorf("stats %+v", st)
			}
			f.j.Record(blocked(t0, "kid-laptop", kid, "casino.example", 1))
			f.j.sync()
			if rows := readAll(t, f.j, Filter{}); len(rows) != 1 {
				t.Errorf("the new journal has %d rows", len(rows))
			}
		})
	}
}

func TestReaderWhileWriting(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		cfg := testConfig()
		cfg.FlushInterval = 5 * time.Millisecond
		f := newFixture(t, cfg)
		j := f.j
		j.Record(blocked(t0, "kid-laptop", kid, "casino.example", 1))
		j.sync()
		r := f.reader(t)

		const n = 3000
		written := make(chan struct{})
		go func() {
			defer close(written)
			for i := range n {
				j.enqueue(blocked(t0.Add(time.Duration(i)*time.Second), "kid-laptop", kid, fmt.Sprintf("n%d.example", i), 1))
			}
			j.sync()
		}()
		// Each read, while the writer commits, sees a committed state: whole
		// batches, never fewer rows than the read before; after the last
		// commit, every row.
		last := 0
		for done := false; !done; {
			select {
			case <-written:
				done = true
			default:
			}
			rows := readAll(t, r, Filter{})
			if len(rows) < last {
				t.Fatalf("read %d rows after %d", len(rows), last)
			}
			last = len(rows)
		}
		if last != n+1 {
			t.Fatalf("read %d rows after the last commit, want %d", last, n+1)
		}
		if n, err := r.Dropped(context.Background(), time.Time{}, time.Time{}); err != nil || n != 0 {
			t.Errorf("dropped %d, %v", n, err)
		}
	})
}

func TestOpenReaderErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	if _, err := OpenReader(path); err == nil || !strings.Contains(err.Error(), "nothing has been recorded yet") || !strings.Contains(err.Error(), path) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReader(path); err == nil || !strings.Contains(err.Error(), "never written") {
		t.Errorf("empty file: %v", err)
	}
}

// A newer schema is neither touched nor moved aside.
func TestNewerSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	if _, err := f.j.st.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if err := f.j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReader(f.path()); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Errorf("reader: %v", err)
	}
	g := &fixture{clock: clocktest.New(t0), log: &syncBuffer{}, dir: f.dir}
	g.j = Open(testConfig(), Options{Logger: zerolog.New(g.log), Clock: g.clock, Dir: f.dir})
	defer g.j.Close(context.Background())
	if st := g.j.Stats(); !st.InMemory || !strings.Contains(st.LastError, "newer version") {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(g.log.String(), "run the newer hearth again") {
		t.Errorf("log:\n%s", g.log)
	}
	if matches, _ := filepath.Glob(f.path() + ".corrupt-*"); len(matches) != 0 {
		t.Errorf("moved aside: %v", matches)
	}
}

// After kill -9 the database opens cleanly and holds every committed
// batch. The lookups come from a child process (this test binary again).
func TestKill9(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$")
	cmd.Env = append(os.Environ(), "JOURNAL_KILL9_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(out)
	for committed < 10_000 && sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			committed, _ = strconv.Atoi(s)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if committed < 10_000 {
		t.Fatalf("the child stopped after %d", committed)
	}

	st, err := openStore(context.Background(), filepath.Join(dir, "journal.db"), 0) // runs quick_check
	if err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	defer st.close()
	n, err := st.count(context.Background())
	if err != nil || n < int64(committed) {
		t.Errorf("after kill -9: %d rows, %v; %d were committed", n, err, committed)
	}
	t.Logf("%d rows committed when killed; %d found", committed, n)
}

// TestKill9Child is TestKill9's child: it records until killed, committing
// often and saying how much it committed.
func TestKill9Child(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("JOURNAL_KILL9_DIR")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	j := Open(Config{Queue: 10_000, FlushInterval: 2 * time.Millisecond}, Options{Dir: dir})
	for i := 0; ; i++ {
		j.enqueue(blocked(t0.Add(time.Duration(i)*time.Second), "kid-laptop", kid, fmt.Sprintf("n%d.example", i), 1))
		if i%1000 == 999 {
			j.sync()
			fmt.Printf("committed %d\n", i+1)
		}
	}
}
