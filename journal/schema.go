package journal

// The schema, and the steps that bring a file written by an older hearth
// up to date. A new file is created at version 1 and taken through every
// step, so that new and migrated files are the same.

import (
	"context"
	"fmt"
)

// schemaVersion is kept in PRAGMA user_version.
//   - 1: lookups and dropped.
//   - 2: lookups gain folded, first_ms, last_ms (fold rows); the totals
//     table (tries per hour, device and decision, kept when rows are
//     pruned for size), filled from the existing rows.
const schemaVersion = 2

// schema creates version 1. minute is Unix seconds / 60 (UTC). The lookups
// key starts with minute, so the table itself is the index "by minute"
// (WITHOUT ROWID tables are stored in key order); lookups_device serves
// one device's rows. "group", "action" and "window" are quoted because they
// are SQL keywords.
const schema = `
CREATE TABLE lookups (
	minute   INTEGER NOT NULL,
	device   TEXT NOT NULL,
	client   TEXT NOT NULL,
	name     TEXT NOT NULL,
	"action" TEXT NOT NULL,
	"group"  TEXT NOT NULL,
	reason   TEXT NOT NULL,
	mode     TEXT NOT NULL,
	category TEXT NOT NULL,
	service  TEXT NOT NULL,
	list     TEXT NOT NULL,
	rule     TEXT NOT NULL,
	"window" TEXT NOT NULL,
	response TEXT NOT NULL,
	a        INTEGER NOT NULL,
	aaaa     INTEGER NOT NULL,
	other    INTEGER NOT NULL,
	PRIMARY KEY (minute, device, client, name, "action")
) WITHOUT ROWID;
CREATE INDEX lookups_device ON lookups (device, minute);
CREATE TABLE dropped (
	minute  INTEGER PRIMARY KEY,
	lookups INTEGER NOT NULL
);
`

// migrations[i] takes a file from version i+1 to i+2.
var migrations = []string{
	// 1 -> 2. hour is Unix seconds / 3600 (UTC); attempts add up the rows'
	// attempts (the most asked query type of each row), as the report does.
	`
ALTER TABLE lookups ADD COLUMN folded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lookups ADD COLUMN first_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lookups ADD COLUMN last_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE totals (
	hour     INTEGER NOT NULL,
	device   TEXT NOT NULL,
	client   TEXT NOT NULL,
	"action" TEXT NOT NULL,
	reason   TEXT NOT NULL,
	mode     TEXT NOT NULL,
	category TEXT NOT NULL,
	service  TEXT NOT NULL,
	queries  INTEGER NOT NULL,
	attempts INTEGER NOT NULL,
	PRIMARY KEY (hour, device, client, "action", reason, mode, category, service)
) WITHOUT ROWID;
INSERT INTO totals
	SELECT minute / 60, device, client, "action", reason, mode, category, service,
		sum(a + aaaa + other), sum(max(a, aaaa, other))
	FROM lookups WHERE minute >= 0
	GROUP BY minute / 60, device, client, "action", reason, mode, category, service;
`,
}

// initSchema creates the tables in a new file, brings an older one up to
// date (in one transaction) and refuses a newer one.
func (s *store) initSchema(ctx context.Context) error {
	if s.db.d == dialectPostgres {
		return s.pgInitSchema(ctx)
	}
	v, err := userVersion(ctx, s.db)
	if err != nil {
		return err
	}
	switch {
	case v == schemaVersion:
		return nil
	case v > schemaVersion:
		return fmt.Errorf("%w (schema version %d; this one knows %d)", errNewer, v, schemaVersion)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if v == 0 {
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("creating the tables: %w", err)
		}
		v = 1
	}
	for ; v < schemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("bringing the journal from schema version %d to %d: %w", v, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

func userVersion(ctx context.Context, db *dbx) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}
