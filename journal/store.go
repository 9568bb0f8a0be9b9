package journal

// The SQLite side: opening a database (and telling a corrupt one apart),
// the schema, the batch upsert, pruning and the size on disk. Nothing here
// logs or keeps state beyond the *sql.DB; the Journal decides what to do
// with the errors.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/verdict"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// upsertConflict adds a batch row to its stored row: the last values win,
// the counters add up (each writer adds what it counted since its last
// write, so two Hearths writing the same row add up too).
func upsertConflict(d dialect) string {
	return `
ON CONFLICT (minute, device, client, name, "action") DO UPDATE SET
	"group" = excluded."group", reason = excluded.reason, mode = excluded.mode,
	category = excluded.category, service = excluded.service, list = excluded.list,
	rule = excluded.rule, "window" = excluded."window", response = excluded.response,
	a = lookups.a + excluded.a, aaaa = lookups.aaaa + excluded.aaaa, other = lookups.other + excluded.other,
	folded = lookups.folded + excluded.folded,
	first_ms = CASE WHEN lookups.first_ms = 0 THEN excluded.first_ms WHEN excluded.first_ms = 0 THEN lookups.first_ms
		ELSE ` + d.least() + `(lookups.first_ms, excluded.first_ms) END,
	last_ms = ` + d.greatest() + `(lookups.last_ms, excluded.last_ms)`
}

const dropSQL = `
INSERT INTO dropped (minute, lookups) VALUES (?, ?)
ON CONFLICT (minute) DO UPDATE SET lookups = dropped.lookups + excluded.lookups`

// busyMillis is how long a statement waits for a lock held by another
// connection (a report's reader during a checkpoint) before failing.
const busyMillis = 5000

// key identifies a row: one device (by name and address) asking for one
// name in one minute, with one outcome.
type key struct {
	minute int64
	device string
	client netip.Addr
	name   string
	action verdict.Action
}

// vals is the rest of a row: the decision's details (the last ones win)
// and the counts by query type.
type vals struct {
	group, category, service, list, rule, window, response string
	reason                                                 verdict.Reason
	mode                                                   verdict.Mode

	a, aaaa, other int64
	// A fold row's: names folded, first and last lookup (Unix ms).
	folded, firstMs, lastMs int64

	// The writer's bookkeeping, not stored: the counters above are what
	// was added since the row was last written; written says a row of the
	// key is stored (so only the counts change), dirty that there are new
	// counts, lastWrite when (clock, Unix ns). minute holds the minute's
	// counts so far, for the "blocked" log line.
	written, dirty bool
	lastWrite      int64
	minute         counts
}

// counts are a row's counters for its whole minute.
type counts struct{ a, aaaa, other, folded int64 }

func (c counts) queries() int64  { return c.a + c.aaaa + c.other }
func (c counts) attempts() int64 { return max(c.a, c.aaaa, c.other) }

// wrote clears the counters after a write at now (Unix ns).
func (v *vals) wrote(now int64) {
	v.a, v.aaaa, v.other, v.folded = 0, 0, 0, 0
	v.written, v.dirty, v.lastWrite = true, false, now
}

// fold counts e in a fold row: the name if it is a new one, and its time.
func (v *vals) fold(e *Event, newName bool) {
	if newName {
		v.folded++
		v.minute.folded++
	}
	ms := e.Time.UnixMilli()
	if v.firstMs == 0 || ms < v.firstMs {
		v.firstMs = ms
	}
	if ms > v.lastMs {
		v.lastMs = ms
	}
}

// add counts e and takes its details.
func (v *vals) add(e *Event) {
	v.group, v.reason, v.mode = e.Group, e.Reason, e.Mode
	v.category, v.service, v.list = e.Category, e.Service, e.List
	v.rule, v.window, v.response = e.Rule, e.Window, e.Response
	v.dirty = true
	switch e.Qtype {
	case 1: // A
		v.a++
		v.minute.a++
	case 28: // AAAA
		v.aaaa++
		v.minute.aaaa++
	default:
		v.other++
		v.minute.other++
	}
}

// merge adds the newer o to v.
func (v *vals) merge(o *vals) {
	a, aaaa, other := v.a+o.a, v.aaaa+o.aaaa, v.other+o.other
	folded, first, last := v.folded+o.folded, minNonZero(v.firstMs, o.firstMs), max(v.lastMs, o.lastMs)
	*v = *o
	v.a, v.aaaa, v.other = a, aaaa, other
	v.folded, v.firstMs, v.lastMs = folded, first, last
}

func minNonZero(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

func (v *vals) queries() int64 { return v.a + v.aaaa + v.other }

// row turns a stored key and values into a Row.
func row(k key, v *vals) Row {
	return Row{
		Minute: minuteTime(k.minute), Device: k.device, Client: addrString(k.client),
		Group: v.group, Name: k.name, Action: k.action, Reason: v.reason, Mode: v.mode,
		Category: v.category, Service: v.service, List: v.list, Rule: v.rule,
		Window: v.window, Response: v.response,
		Queries: v.queries(), Attempts: max(v.a, v.aaaa, v.other),
		Folded: v.folded, First: msTime(v.firstMs), Last: msTime(v.lastMs),
	}
}

// msTime is a fold row's time; the zero time for 0.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// store is an open journal database.
type store struct {
	db   *dbx
	path string // the file, or the PostgreSQL address without its password
	// maxBytes is the size cap (0: none): PostgreSQL's prune compacts the
	// tables only when they are over it.
	maxBytes int64
}

// errNewer says the file was written by a later version of hearth.
var errNewer = errors.New("the journal was written by a newer version of hearth")

// openStore opens (creating it if need be) the journal database at path
// for writing, checks it (quick_check) and brings its schema up to date.
// maxBytes (0: none) scales the WAL so that it stays small next to the cap.
// A corrupt file gives an error for which isCorrupt is true.
func openStore(ctx context.Context, path string, maxBytes int64) (*store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	// The journal is a household's browsing history: only hearth's user
	// may read it. SQLite gives the WAL and shared-memory files the same
	// mode as the database.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// The WAL is checkpointed (and cut back to journal_size_limit) every
	// walPages pages: SQLite's default of 1000 (4 MB), less for small caps.
	const pageSize = 4096
	walPages := int64(1000)
	if maxBytes > 0 {
		walPages = min(walPages, max(16, maxBytes/10/pageSize))
	}
	// The driver runs busy_timeout first and the other pragmas in name
	// order, so auto_vacuum comes before journal_mode writes the first page.
	dsn := fileURI(path) + fmt.Sprintf("?_txlock=immediate"+
		"&_pragma=busy_timeout(%d)"+
		"&_pragma=auto_vacuum(incremental)"+
		"&_pragma=journal_mode(wal)"+
		"&_pragma=journal_size_limit(%d)"+
		"&_pragma=synchronous(normal)"+
		"&_pragma=temp_store(memory)"+
		"&_pragma=wal_autocheckpoint(%d)",
		busyMillis, walPages*pageSize, walPages)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s := &store{db: &dbx{DB: db, d: dialectSQLite}, path: path, maxBytes: maxBytes}
	if err := s.check(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.initSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// check runs quick_check: a few seconds for a large file, once per start.
func (s *store) check(ctx context.Context) error {
	if s.db.d == dialectPostgres {
		return nil // the server looks after its own files
	}
	rows, err := s.db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return err
		}
		if msg != "ok" && len(problems) < 3 {
			problems = append(problems, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return &corruptError{msg: "quick_check: " + strings.Join(problems, "; ")}
	}
	return nil
}

// write stores a batch in one transaction: rows are added to what is
// stored, their tries to the hourly totals, drops (lookups lost, by minute)
// likewise. It returns how many of the rows were new.
func (s *store) write(ctx context.Context, rows map[key]*vals, drops map[int64]int64) (inserted int64, err error) {
	if s.db.d != dialectPostgres {
		return s.writeOnce(ctx, rows, drops)
	}
	ctx, cancel := context.WithTimeout(ctx, pgTimeout)
	defer cancel()
	for try := 1; ; try++ {
		inserted, err = s.writeOnce(ctx, rows, drops)
		if err == nil || try == pgWriteTries || !pgRetryable(err) {
			return inserted, err
		}
	}
}

// writeOnce is write in one transaction.
func (s *store) writeOnce(ctx context.Context, rows map[key]*vals, drops map[int64]int64) (inserted int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if len(rows) > 0 {
		tot := make(map[totalKey]*totalVals)
		if inserted, err = upsertRows(ctx, tx, rows, tot); err != nil {
			return 0, err
		}
		if err := upsertTotals(ctx, tx, tot); err != nil {
			return 0, err
		}
	}
	for m, n := range drops {
		if n == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, dropSQL, m, n); err != nil {
			return 0, err
		}
	}
	return inserted, tx.Commit()
}

// rowArgs is how many values one row takes.
const rowArgs = 20

// upsertChunk is how many rows one statement writes: one database/sql
// round trip per chunk rather than per row (rowArgs values a row, well
// under SQLite's limit on parameters).
const upsertChunk = 64

// upsertRows writes rows a chunk per statement and returns how many were
// new; it adds what each row's tries grew by to tot. RETURNING gives each
// row's key and stored counters: a total equal to the batch's own means the
// row was inserted, and the stored counters less the batch's are the row's
// before, so its attempts (the most asked type) grew by the difference of
// the two maxima.
func upsertRows(ctx context.Context, tx *txx, rows map[key]*vals, tot map[totalKey]*totalVals) (inserted int64, err error) {
	type skey struct {
		minute                       int64
		device, client, name, action string // as stored
	}
	var full *sql.Stmt
	chunk := make(map[skey]*vals, upsertChunk)
	args := make([]any, 0, upsertChunk*rowArgs)
	run := func() error {
		if len(chunk) == 0 {
			return nil
		}
		var stmt *sql.Stmt
		if len(chunk) == upsertChunk && full != nil {
			stmt = full
		} else {
			st, err := tx.PrepareContext(ctx, upsertManySQL(tx.d, len(chunk)))
			if err != nil {
				return err
			}
			if len(chunk) == upsertChunk {
				full = st // closed after the last chunk
			} else {
				defer st.Close()
			}
			stmt = st
		}
		res, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			var k skey
			var a, aaaa, other int64
			if err := res.Scan(&k.minute, &k.device, &k.client, &k.name, &k.action, &a, &aaaa, &other); err != nil {
				return err
			}
			v := chunk[k]
			if v == nil {
				continue
			}
			if a+aaaa+other == v.queries() {
				inserted++
			}
			grew := max(a, aaaa, other) - max(a-v.a, aaaa-v.aaaa, other-v.other)
			addTotal(tot, k.minute, k.device, k.client, k.action, v, grew)
		}
		clear(chunk)
		args = args[:0]
		return res.Err()
	}
	for k, v := range inOrder(tx.d, rows) {
		sk := skey{k.minute, k.device, addrString(k.client), k.name, k.action.String()}
		chunk[sk] = v
		args = append(args, sk.minute, sk.device, sk.client, sk.name, sk.action,
			v.group, v.reason.String(), modeName(v.mode), v.category, v.service, v.list, v.rule, v.window, v.response,
			v.a, v.aaaa, v.other, v.folded, v.firstMs, v.lastMs)
		if len(chunk) == upsertChunk {
			if err := run(); err != nil {
				return 0, err
			}
		}
	}
	if err := run(); err != nil {
		return 0, err
	}
	if full != nil {
		full.Close()
	}
	return inserted, nil
}

// upsertManySQL inserts or adds to n rows, returning each row's key and
// counters.
func upsertManySQL(d dialect, n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO lookups (minute, device, client, name, "action", "group", reason, mode,
	category, service, list, rule, "window", response, a, aaaa, other, folded, first_ms, last_ms) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(upsertConflict(d))
	b.WriteString(` RETURNING minute, device, client, name, "action", a, aaaa, other`)
	return b.String()
}

// count is the number of rows stored.
func (s *store) count(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM lookups").Scan(&n)
	return n, err
}

// size is the file's size as SQLite sees it (pages in use or free, WAL
// included in page_count's view) plus the WAL file.
func (s *store) size(ctx context.Context) (pages, wal int64, err error) {
	if s.db.d == dialectPostgres {
		return s.pgSize(ctx)
	}
	var count, size int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&count); err != nil {
		return 0, 0, err
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, 0, err
	}
	if fi, err := os.Stat(s.path + "-wal"); err == nil {
		wal = fi.Size()
	}
	return count * size, wal, nil
}

func (s *store) close() error { return s.db.Close() }

// fileURI makes path into an SQLite URI ("file:..."), escaping what a URI
// would read as a query, fragment or escape.
func fileURI(path string) string {
	p := filepath.ToSlash(filepath.Clean(path))
	if filepath.VolumeName(path) != "" {
		p = "/" + p // file:/C:/...
	}
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// corruptError is a quick_check failure.
type corruptError struct{ msg string }

func (e *corruptError) Error() string { return "the database is corrupt: " + e.msg }

// isCorrupt says whether err means the file is damaged or not a database
// at all, as opposed to unreachable (permissions, disk full).
func isCorrupt(err error) bool {
	var ce *corruptError
	if errors.As(err, &ce) {
		return true
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// sqliteCode is the primary SQLite result code in err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// hint says what to do about an error opening or writing the database.
func hint(err error, path string) string {
	dir := filepath.Dir(path)
	switch code := sqliteCode(err); {
	case errors.Is(err, errNewer):
		return fmt.Sprintf("run the newer hearth again, or move %s aside to start a new journal", path)
	case code == sqlite3.SQLITE_FULL || strings.Contains(err.Error(), "no space left"):
		return fmt.Sprintf("free space on the disk that holds %s, or lower journal.max_size_mb", dir)
	case errors.Is(err, fs.ErrPermission), code == sqlite3.SQLITE_READONLY, code == sqlite3.SQLITE_PERM,
		code == sqlite3.SQLITE_CANTOPEN, code == sqlite3.SQLITE_AUTH:
		return fmt.Sprintf("make %s (and %s) writable by the user hearth runs as (uid %d), or set journal.path", dir, path, os.Geteuid())
	case isCorrupt(err):
		return fmt.Sprintf("move %s aside to start a new journal", path)
	}
	return fmt.Sprintf("check that %s is a directory hearth can write on a working disk, or set journal.path", dir)
}
