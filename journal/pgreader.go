package journal

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoJournal says a PostgreSQL database has no journal tables yet: the
// server creates them when it first starts with journal.postgres set.
var ErrNoJournal = errors.New("there is no journal in this database yet: the server creates it when it starts with journal.postgres set")

// OpenReaderFor opens the journal that the configuration names for reading:
// the PostgreSQL database of journal.postgres, else the SQLite file
// (DefaultPath: journal.path or journal.db in the state directory dir).
// `hearth report`, `hearth log` and `hearth doctor` use it.
func OpenReaderFor(cfg Config, dir string) (*Reader, error) {
	if cfg.Postgres == "" {
		return OpenReader(DefaultPath(cfg, dir))
	}
	return openPostgresReader(cfg.Postgres)
}

// openPostgresReader connects to the journal's PostgreSQL database without
// changing it: a database whose schema the server has not created yet, or
// that a newer hearth brought further, is an error that says so.
func openPostgresReader(dsn string) (*Reader, error) {
	name := PostgresName(dsn)
	sdb, err := openPostgresDB(dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	fail := func(err error) (*Reader, error) {
		sdb.Close()
		return nil, fmt.Errorf("journal: opening %s: %w", name, err)
	}
	migs, err := pgMigrations()
	if err != nil {
		return fail(err)
	}
	var exists bool
	if err := sdb.QueryRowContext(ctx, "SELECT to_regclass('journal_schema') IS NOT NULL").Scan(&exists); err != nil {
		return fail(err)
	}
	if !exists {
		return fail(ErrNoJournal)
	}
	var v int
	if err := sdb.QueryRowContext(ctx, "SELECT version FROM journal_schema").Scan(&v); err != nil {
		return fail(err)
	}
	if v > len(migs) {
		return fail(fmt.Errorf("%w (schema version %d in PostgreSQL; this one knows %d)", errNewer, v, len(migs)))
	}
	if v < len(migs) {
		return fail(fmt.Errorf("the journal's schema (version %d) is older than this hearth's (%d): start the server once to bring it up to date", v, len(migs)))
	}
	sdb.SetMaxOpenConns(2)
	return &Reader{db: &dbx{DB: sdb, d: dialectPostgres}, path: name, version: schemaVersion}, nil
}
