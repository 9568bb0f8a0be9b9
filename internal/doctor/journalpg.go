package doctor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/journal"
)

// checkPostgresJournal checks a journal kept in PostgreSQL
// (journal.postgres): the server answers, the user may log in, and the
// tables are there at a schema this hearth reads.
func (d *Doctor) checkPostgresJournal(cfg *config.Config) {
	name := journal.PostgresName(cfg.Journal.Postgres)
	r, err := journal.OpenReaderFor(cfg.Journal, cfg.StateDirectory())
	if errors.Is(err, journal.ErrNoJournal) {
		d.report(Finding{Status: OK, Text: "journal " + name + ": connects; Hearth creates its tables when it starts"})
		return
	}
	if err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "journal: "), "opening "+name+": ")
		d.report(Finding{Status: Fail, Text: fmt.Sprintf("journal %s: %s", name, msg),
			Fix: "check that PostgreSQL runs and that the role and database of journal.postgres exist " +
				"(docs/postgres.md); while it fails, the running Hearth keeps blocked lookups in memory only"})
		return
	}
	r.Close()
	d.report(Finding{Status: OK, Text: "journal " + name + ": connects, schema up to date"})
}
