package app

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// TestUnwell: every upstream failing for 5 minutes, a list not updated for
// a day, the journal failing: each told once per episode.
func TestUnwell(t *testing.T) {
	var u unwell
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ups := []upstream.Stat{{Address: "udp://a", Queries: 100, Errors: 1}, {Address: "udp://b", Queries: 50}}
	texts := func(now time.Time, lists []blocklists.SourceStatus, j *journal.Stats) string {
		var out []string
		for _, a := range u.look(now, ups, lists, j) {
			out = append(out, a.Text)
		}
		return strings.Join(out, "\n")
	}
	if got := texts(t0, nil, &journal.Stats{}); got != "" {
		t.Fatalf("well, yet: %s", got)
	}
	// From now on every query fails.
	for i := 1; i <= 6; i++ {
		ups[0].Queries, ups[0].Errors = ups[0].Queries+10, ups[0].Errors+10
		ups[1].Queries, ups[1].Errors = ups[1].Queries+10, ups[1].Errors+10
		got := texts(t0.Add(time.Duration(i)*time.Minute), nil, nil)
		switch {
		case i < 5 && got != "":
			t.Fatalf("minute %d: told too early: %s", i, got)
		case i == 5 && !strings.HasPrefix(got, "Every upstream DNS server has failed for 5 minutes"):
			t.Fatalf("minute 5: %q", got)
		case i == 6 && got != "":
			t.Fatalf("told twice: %s", got)
		}
	}
	ups[1].Queries++ // one answered: well again
	texts(t0.Add(7*time.Minute), nil, nil)
	if !u.downSince.IsZero() || u.upsTold {
		t.Error("not well again after an answer")
	}

	stale := []blocklists.SourceStatus{{Name: "hagezi", URL: "https://example.invalid/l.txt", LastCheck: t0.Add(-25 * time.Hour), LastError: "404 Not Found"},
		{Name: "mine", LastUpdate: t0.Add(-90 * 24 * time.Hour)}}
	if got := texts(t0.Add(8*time.Minute), stale, nil); got != "The list hagezi has not updated for 25 hours (404 Not Found); Hearth filters with its last copy." {
		t.Errorf("stale list: %q", got)
	}
	if got := texts(t0.Add(9*time.Minute), stale, &journal.Stats{InMemory: true, LastError: "disk I/O error"}); !strings.HasPrefix(got,
		"The journal cannot write its database (disk I/O error)") {
		t.Errorf("journal: %q", got)
	}
	if got := texts(t0.Add(10*time.Minute), stale, &journal.Stats{InMemory: true, LastError: "disk I/O error"}); got != "" {
		t.Errorf("told twice: %q", got)
	}
}
