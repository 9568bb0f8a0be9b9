package web

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
)

// TestLogPageSafeSearch: a safe-search rewrite in the journal (as the
// resolver records it for a group with log_allowed) shows on the Log page
// among the allowed lookups, in the words of policy/words, and the API gives
// its reason by its stable name.
func TestLogPageSafeSearch(t *testing.T) {
	f := newPagesFixture(t, pagesSetup{})
	f.journal.Record(journal.Event{Time: f.clk.Now().Add(-5 * time.Minute), Device: "alex-tablet", Group: "kids",
		Client: netip.MustParseAddr(pagesKidIP), Name: "www.google.com", Qtype: 1,
		Action: journal.ActionAllow, Reason: policy.ReasonSafeSearch, Rule: "groups.kids.safe_search"})
	f.reopenJournal() // the rewrite is in the database, without waiting for a flush
	if rows, err := f.journal.Rows(context.Background(), journal.Filter{}); err != nil || len(rows) != 1 {
		t.Fatalf("the journal has %d rows (%v), want 1", len(rows), err)
	}
	f.login()
	resp, body := f.get("/log?action=allow")
	wantPage(t, "/log?action=allow", resp, body, 200, "www.google.com", "safe search")
	if i := strings.Index(body, "www.google.com"); i < 0 || !strings.Contains(body[i:], "allowed") {
		t.Errorf("the rewrite is not shown as allowed:\n%s", body)
	}
	if _, body := f.get("/log"); strings.Contains(body, "www.google.com") {
		t.Errorf("the blocked log shows an allowed rewrite:\n%s", body)
	}
	resp, body = f.get("/api/log?action=allow")
	var got struct {
		Rows []struct{ Name, Action, Reason string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/api/log: %d %v\n%s", resp.StatusCode, err, body)
	}
	if len(got.Rows) != 1 || got.Rows[0].Action != "allow" || got.Rows[0].Reason != "safe-search" {
		t.Errorf("/api/log rows: %+v", got.Rows)
	}
}
