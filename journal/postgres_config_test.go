package journal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestValidatePostgres(t *testing.T) {
	base := Config{RetentionDays: 60, MaxSizeMB: 200, Queue: 8192, FlushInterval: time.Second}
	for _, dsn := range []string{
		"postgres://hearth:s3cret-pw@127.0.0.1:notaport/hearth",
		"postgres://hearth:s3cret-pw@127.0.0.1/hearth?sslmode=bogus",
		"host=127.0.0.1 password=s3cret-pw port=x",
	} {
		c := base
		c.Postgres = dsn
		errs := c.Validate("journal")
		if len(errs) != 1 {
			t.Fatalf("%q: %d errors %v; want 1", dsn, len(errs), errs)
		}
		msg := errs[0].Error()
		if !strings.Contains(msg, "journal.postgres") || strings.Contains(msg, "s3cret-pw") {
			t.Errorf("%q: %q; want the key named and no password", dsn, msg)
		}
	}
	c := base
	c.Postgres = "postgres://hearth:s3cret-pw@127.0.0.1:5433/hearth"
	if errs := c.Validate("journal"); len(errs) != 0 {
		t.Errorf("a good address: %v", errs)
	}
	if got := PostgresName(c.Postgres); got != "postgres://hearth@127.0.0.1:5433/hearth" {
		t.Errorf("PostgresName = %q", got)
	}
}

func TestBindPlaceholders(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?,?)`
	if got := dialectPostgres.bind(q); got != `SELECT a FROM t WHERE b = $1 AND c IN ($2,$3)` {
		t.Errorf("postgres: %q", got)
	}
	if got := dialectSQLite.bind(q); got != q {
		t.Errorf("sqlite: %q", got)
	}
}

func TestPostgresMigrationsNumbered(t *testing.T) {
	migs, err := pgMigrations()
	if err != nil || len(migs) == 0 {
		t.Fatalf("%d migrations, %v", len(migs), err)
	}
}

func TestPostgresRetryable(t *testing.T) {
	for code, want := range map[string]bool{"40P01": true, "40001": true, "23505": false, "57P01": false} {
		if got := pgRetryable(fmt.Errorf("commit: %w", &pgconn.PgError{Code: code})); got != want {
			t.Errorf("%s: %v", code, got)
		}
	}
	if pgRetryable(errors.New("connection refused")) {
		t.Error("a plain error is retried")
	}
}
