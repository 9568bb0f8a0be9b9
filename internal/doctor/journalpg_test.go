package doctor

import (
	"fmt"
	"strings"
	"testing"
)

// A journal in a PostgreSQL that does not answer: the doctor says so, names
// the database without its password, and says what to do.
func TestDoctorPostgresJournalDown(t *testing.T) {
	t.Parallel()
	port := strings.TrimPrefix(freePort(t), "127.0.0.1:") // nothing listens there
	path, _ := writeDoctorConfig(t, doctorSetup{
		extra: fmt.Sprintf("journal: {postgres: \"postgres://hearth:s3cret-pw@127.0.0.1:%s/hearth?connect_timeout=2\"}\n", port),
	})
	code, out := runDoctor(t, path, nil)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantFinding(t, out, "FAIL", "journal postgres://hearth@127.0.0.1:"+port+"/hearth:", "docs/postgres.md")
	if strings.Contains(out, "s3cret-pw") {
		t.Errorf("the doctor shows the password:\n%s", out)
	}
}
