package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Reader reads a journal database that a server (another process) may be
// writing: `hearth report` and `hearth log`. The WAL lets it read a
// consistent snapshot per query without holding the writer up.
type Reader struct {
	db      *dbx
	path    string
	version int // the file's schema version
}

// OpenReader opens the journal database at path read-only. A missing file
// is an error that says so: nothing has been recorded yet, or the server
// keeps its journal elsewhere.
func OpenReader(path string) (*Reader, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("journal: there is no journal at %s: either nothing has been recorded yet, "+
				"or the server keeps it elsewhere (journal.path, or journal.db in its state directory)", path)
		}
		return nil, fmt.Errorf("journal: %w", err)
	}
	sdb, err := sql.Open("sqlite", fileURI(path)+fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)", busyMillis))
	if err != nil {
		return nil, fmt.Errorf("journal: opening %s: %w", path, err)
	}
	db := &dbx{DB: sdb, d: dialectSQLite}
	db.SetMaxOpenConns(2)
	v, err := userVersion(context.Background(), db)
	if err == nil {
		switch {
		case v == 0:
			err = errors.New("it is not a journal, or it was never written to")
		case v > schemaVersion:
			err = fmt.Errorf("%w (schema version %d; this one knows %d)", errNewer, v, schemaVersion)
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: opening %s: %w", path, err)
	}
	return &Reader{db: db, path: path, version: v}, nil
}

// Rows reads rows as Journal.Rows does; what the server has not committed
// yet is not seen (new names: at most its flush_interval; more lookups of a
// name already committed this minute: at most 10 s, see README.md).
func (r *Reader) Rows(ctx context.Context, f Filter) ([]Row, error) {
	if r.version < 2 {
		return queryRowsFrom(ctx, r.db, selectRowsV1, f)
	}
	return queryRows(ctx, r.db, f)
}

// Dropped sums the lookups lost in [since, until), as Journal.Dropped does.
func (r *Reader) Dropped(ctx context.Context, since, until time.Time) (int64, error) {
	return queryDropped(ctx, r.db, since, until)
}

// Close closes the database.
func (r *Reader) Close() error { return r.db.Close() }
