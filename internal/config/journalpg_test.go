package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// journal.postgres: from the environment (so the password can stay out of
// hearth.yaml), and a bad address named by its key without the password.
func TestJournalPostgres(t *testing.T) {
	const dsn = "postgres://hearth:s3cret-pw@127.0.0.1:5432/hearth"
	cfg, _, err := Load(LoadOptions{Search: []string{}, Environ: func() []string { return []string{"HEARTH_JOURNAL_POSTGRES=" + dsn} }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Journal.Postgres != dsn {
		t.Errorf("journal.postgres = %q", cfg.Journal.Postgres)
	}
	_, _, err = Load(LoadOptions{Search: []string{}, Environ: func() []string {
		return []string{"HEARTH_JOURNAL_POSTGRES=postgres://hearth:s3cret-pw@127.0.0.1:nope/hearth"}
	}})
	var fe *fielderr.Error
	if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), "journal.postgres") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("a bad address: %v", err)
	}
}
