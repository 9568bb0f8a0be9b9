//go:build postgres

package doctor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/journal/pgtest"
)

// A journal in a PostgreSQL that answers: before Hearth created its tables
// the doctor says it will; once they are there, that they are up to date.
func TestDoctorPostgresJournal(t *testing.T) {
	srv, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	dsn := pgtest.DatabaseOn(t, srv)
	path, _ := writeDoctorConfig(t, doctorSetup{extra: fmt.Sprintf("journal: {postgres: %q}\n", dsn)})
	name := journal.PostgresName(dsn)

	_, out := runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "journal "+name+": connects; Hearth creates its tables when it starts")

	j := journal.Open(journal.Config{Postgres: dsn, Queue: 100, FlushInterval: 100e6}, journal.Options{})
	if st := j.Stats(); st.InMemory {
		t.Fatalf("the journal did not open: %+v", st)
	}
	j.Close(t.Context())
	_, out = runDoctor(t, path, nil)
	wantFinding(t, out, "ok", "journal "+name+": connects, schema up to date")
	if strings.Contains(out, "hearth-test") {
		t.Errorf("the doctor shows the password:\n%s", out)
	}
}
