package journal

// The one place where SQLite and PostgreSQL differ in the SQL the journal
// sends: placeholders (? against $1), and the few functions and statements
// that are not common SQL. Everything else (the upsert with RETURNING, the
// readers, the pruning queries) is written once, in the SQL both accept:
// quoted keywords ("group", "action", "window"), columns qualified in an
// upsert's SET (lookups.a + excluded.a), subqueries with an alias.

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect says which database a *dbx talks to.
type dialect uint8

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// bind rewrites q's ? placeholders to $1, $2, ... for PostgreSQL. The
// journal's SQL has no ? inside a string literal or a quoted name.
func (d dialect) bind(q string) string {
	if d != dialectPostgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// least and greatest are SQLite's min(a, b) and max(a, b) with several
// arguments.
func (d dialect) least() string {
	if d == dialectPostgres {
		return "LEAST"
	}
	return "min"
}

func (d dialect) greatest() string {
	if d == dialectPostgres {
		return "GREATEST"
	}
	return "max"
}

// dbx is a database with its dialect: its methods take the journal's SQL
// (with ? placeholders) and bind it.
type dbx struct {
	*sql.DB
	d dialect
}

func (db *dbx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.d.bind(q), args...)
}

func (db *dbx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.d.bind(q), args...)
}

func (db *dbx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.d.bind(q), args...)
}

func (db *dbx) Query(q string, args ...any) (*sql.Rows, error) {
	return db.QueryContext(context.Background(), q, args...)
}

func (db *dbx) Exec(q string, args ...any) (sql.Result, error) {
	return db.ExecContext(context.Background(), q, args...)
}

func (db *dbx) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txx, error) {
	tx, err := db.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txx{Tx: tx, d: db.d}, nil
}

// txx is a transaction with its dialect.
type txx struct {
	*sql.Tx
	d dialect
}

func (tx *txx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(ctx, tx.d.bind(q), args...)
}

func (tx *txx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return tx.Tx.PrepareContext(ctx, tx.d.bind(q))
}

func (tx *txx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(ctx, tx.d.bind(q), args...)
}
