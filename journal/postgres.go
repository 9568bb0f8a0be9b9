package journal

// The journal on PostgreSQL (journal.postgres): the same tables and SQL as
// on SQLite through dialect.go, with what only the server side has here:
// connecting, the schema's versions (journal_schema, migrations from
// migrations/postgres), the size (pg_total_relation_size) and compacting.

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/postgres/*.sql
var pgMigrationFiles embed.FS

// pgMigrations are the migration files in order: file NNN_*.sql takes the
// database to version NNN. Their numbers run 1, 2, 3, ... (checked by a
// test).
func pgMigrations() ([]string, error) {
	names, err := fs.Glob(pgMigrationFiles, "migrations/postgres/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]string, 0, len(names))
	for i, n := range names {
		num, _, _ := strings.Cut(path.Base(n), "_")
		if v, err := strconv.Atoi(num); err != nil || v != i+1 {
			return nil, fmt.Errorf("journal: migration %s: its number should be %03d", n, i+1)
		}
		b, err := pgMigrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// pgSchemaLock is the advisory lock (a constant of ours) that two Hearths
// starting at once take to bring the schema up to date one after the other.
const pgSchemaLock = 0x4865617274684a // "HearthJ"

// pgTimeout bounds connecting and each flush's statements, so that a
// server that does not answer holds the writer (never DNS) this long.
const pgTimeout = 10 * time.Second

// pgOpenTimeout bounds connecting: Open waits this long at most (hearth
// serve's start) for a server that does not answer before keeping rows in
// memory and trying again at the next flush.
const pgOpenTimeout = 3 * time.Second

// ParsePostgres checks a journal.postgres address with pgx (the URL or
// key=value forms libpq takes). Its error never contains the password.
func ParsePostgres(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors already mask the password; say it plainly.
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, "cannot parse `"); ok {
			if _, rest, ok := strings.Cut(after, "`: "); ok {
				msg = rest
			}
		}
		return nil, errors.New(msg)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgTimeout {
		cfg.ConnectTimeout = pgTimeout
	}
	return cfg, nil
}

// PostgresName is a journal.postgres address fit for logs and pages:
// postgres://user@host:port/database, without the password.
func PostgresName(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "postgres (an address that does not parse)"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// openPostgres connects to the journal's database and brings its schema up
// to date. maxBytes is the size cap (0: none).
func openPostgres(ctx context.Context, dsn string, maxBytes int64) (*store, error) {
	db, err := openPostgresDB(dsn)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, pgOpenTimeout)
	err = db.PingContext(pctx)
	cancel()
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &store{db: &dbx{DB: db, d: dialectPostgres}, path: PostgresName(dsn), maxBytes: maxBytes}
	sctx, cancel := context.WithTimeout(ctx, pgTimeout)
	defer cancel()
	if err := s.pgInitSchema(sctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openPostgresDB(dsn string) (*sql.DB, error) {
	cfg, err := ParsePostgres(dsn)
	if err != nil {
		return nil, fmt.Errorf("journal.postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// pgInitSchema creates the tables in an empty database or brings them up
// to date, in one transaction under pgSchemaLock, and refuses a database
// of a newer schema than this hearth knows.
func (s *store) pgInitSchema(ctx context.Context) error {
	migs, err := pgMigrations()
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(pgSchemaLock)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS journal_schema (version INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("creating journal_schema: %w", err)
	}
	var v int
	switch err := tx.QueryRowContext(ctx, "SELECT version FROM journal_schema").Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, "INSERT INTO journal_schema (version) VALUES (0)"); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if v > len(migs) {
		return fmt.Errorf("%w (schema version %d in PostgreSQL; this one knows %d)", errNewer, v, len(migs))
	}
	for ; v < len(migs); v++ {
		if _, err := tx.ExecContext(ctx, migs[v]); err != nil {
			return fmt.Errorf("bringing the journal from schema version %d to %d: %w", v, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE journal_schema SET version = ?", v); err != nil {
		return err
	}
	return tx.Commit()
}

// pgTables are the journal's tables, whose sizes (with their indexes and
// TOAST) are the journal's size on PostgreSQL.
const pgSizeSQL = `SELECT CAST(pg_total_relation_size('lookups') + pg_total_relation_size('totals') +
	pg_total_relation_size('dropped') AS BIGINT)`

// pgSize is the tables' size on the server, indexes included; there is no
// WAL of ours to count.
func (s *store) pgSize(ctx context.Context) (int64, int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, pgSizeSQL).Scan(&n)
	return n, 0, err
}

// pgCompact gives the space of deleted rows back when the tables are over
// the cap, or always after rows were deleted for the cap (forSize):
// VACUUM FULL rewrites them (holding the other Hearth's writes for that
// long: seconds for hundreds of MB), so that the size the prune measures
// falls as it does on SQLite. Otherwise the deleted rows' space is left to
// autovacuum, which makes it reusable without shrinking the files.
func (s *store) pgCompact(ctx context.Context, forSize bool) error {
	if s.maxBytes <= 0 {
		return nil
	}
	if !forSize {
		n, _, err := s.pgSize(ctx)
		if err != nil || n <= s.maxBytes {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, "VACUUM (FULL) lookups, totals, dropped")
	return err
}

// pgWriteTries is how often a commit that PostgreSQL failed for a conflict
// with another transaction (another Hearth's prune deleting the rows this
// one updates) is tried, at once, before the flush fails.
const pgWriteTries = 3

// pgRetryable says whether err is such a conflict: a deadlock the server
// broke, or a serialization failure. The transaction was rolled back whole.
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// pgHint says what to do about an error connecting to or writing the
// PostgreSQL journal.
func pgHint(err error, name string) string {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, errNewer):
		return "run the newer hearth again, or give this one another database in journal.postgres"
	case errors.As(err, &pe) && (pe.Code == "28P01" || pe.Code == "28000"):
		return "check the user and password in journal.postgres (and pg_hba.conf on the server)"
	case errors.As(err, &pe) && pe.Code == "3D000":
		return "create the database (createdb -O hearth hearth), see docs/postgres.md"
	case errors.As(err, &pe) && pe.Code == "42501":
		return "the user in journal.postgres must own the database or may create tables in it (docs/postgres.md)"
	case errors.As(err, &pe) && pe.Code == "53100":
		return "the PostgreSQL server's disk is full: free space there, or lower journal.max_size_mb"
	}
	return fmt.Sprintf("check that PostgreSQL runs and accepts connections at %s (journal.postgres)", name)
}
