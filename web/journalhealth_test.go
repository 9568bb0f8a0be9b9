package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/journal"
)

// TestJournalFailingShown: a journal that cannot open its database (here a
// directory that is a file; on two nodes, a PostgreSQL server down) is
// named on the Now page and in /api/status, with the node when state is
// shared; a journal that works says nothing on the page.
func TestJournalFailingShown(t *testing.T) {
	f := newPagesFixture(t, pagesSetup{})
	f.login()
	nowPage := func() string {
		t.Helper()
		_, body := f.get("/now")
		return body
	}
	status := func() map[string]any {
		t.Helper()
		_, raw := f.get("/api/status")
		var st map[string]any
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			t.Fatalf("/api/status: %v: %s", err, raw)
		}
		return st
	}
	if body := nowPage(); strings.Contains(body, "the journal") || strings.Contains(body, "The journal") {
		t.Errorf("a working journal is named on the Now page")
	}
	if j, _ := status()["journal"].(map[string]any); j == nil || j["failing"] != false {
		t.Errorf("/api/status journal with a working journal: %v", j)
	}

	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := journal.Open(journal.Config{Path: filepath.Join(blocker, "journal.db"), Queue: 64, FlushInterval: 10 * time.Millisecond},
		journal.Options{Logger: zerolog.Nop(), Clock: f.clk})
	t.Cleanup(func() { _ = bad.Close(context.Background()) })
	if !bad.Stats().InMemory {
		t.Fatalf("the journal under a file opened: %+v", bad.Stats())
	}
	f.srv.opts.Journal = bad
	j, _ := status()["journal"].(map[string]any)
	if j == nil || j["failing"] != true || !strings.Contains(j["last_error"].(string), "not-a-dir") {
		t.Errorf("/api/status journal while failing: %v", j)
	}
	if body := nowPage(); !strings.Contains(body, "The journal cannot write its database (") ||
		!strings.Contains(body, "the report will miss them") {
		t.Errorf("the Now page does not say the journal is failing:\n%s", body)
	}
	f.srv.opts.Shared = func() (SharedState, bool) { return SharedState{Node: "pi-attic", Connected: true}, true }
	if body := nowPage(); !strings.Contains(body, "On node pi-attic, the journal cannot write its database") {
		t.Errorf("the Now page does not name the node whose journal fails")
	} else if !strings.Contains(body, "Shared state: node pi-attic, no other Hearth seen.") {
		t.Errorf("the Now page does not say the node's shared state:\n%s", body)
	}
	f.srv.opts.Journal = nil
	if _, ok := status()["journal"]; ok {
		t.Errorf("/api/status has a journal object with the journal off")
	}
}
