//go:build redis && postgres

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/journal/pgtest"
)

// TestTwoNodesSharedStateOneJournal: two `hearth serve` processes share
// live state on Redis and write one journal in PostgreSQL. The pause given
// through A's API holds on B; the child's lookups answered by both while it
// holds are counted once each in node B's report. With the database refusing
// connections, B's /api/status and Now page say that its journal is failing,
// naming the node, until the database is back.
func TestTwoNodesSharedStateOneJournal(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	dsn := pgtest.DatabaseOn(t, pg)
	_, a, b := twoNodesWith(t, fmt.Sprintf(", log_blocked: false, postgres: %q", dsn))

	a.api.want(http.StatusCreated, "POST", "/api/pause", map[string]any{"device": "kid-tablet", "minutes": 30})
	waitRcode(t, b, "127.0.0.2", "example.org.", dns.RcodeNameError, time.Second)
	const onA, onB = 12, 17
	for i := range onA + onB {
		n := a
		if i >= onA {
			n = b
		}
		if r := askFrom(t, "127.0.0.2", n.dns, fmt.Sprintf("p%d.example.org.", i)); r.Rcode != dns.RcodeNameError || !strings.Contains(edeText(r), "paused") {
			t.Fatalf("%s during A's pause: %s, EDE %q", n.name, dns.RcodeToString[r.Rcode], edeText(r))
		}
	}
	// Each node's lookups are written in order: with all the p names in,
	// the tries made before them (the wait for the pause on B) are too.
	waitUntil(t, "both nodes' lookups journaled", 5*time.Second, func() bool { return pausedTries(t, dsn) >= onA+onB })
	if got := pausedTries(t, dsn); got != onA+onB {
		t.Errorf("%d tries of the p names in PostgreSQL, want %d", got, onA+onB)
	}
	want, err := pgJournaled(t, dsn)
	if err != nil {
		t.Fatal(err)
	}
	app, out, errOut := testApp()
	if code := execute(context.Background(), app, []string{"report", "-c", b.path}); code != 0 {
		t.Fatalf("B's report: exit %d: %s", code, errOut)
	}
	if w := fmt.Sprintf("%d blocked tries", want); !strings.Contains(out.String(), w) {
		t.Errorf("node B's report does not say %q:\n%s", w, out)
	}

	// The database refuses connections (as a server that is down does): B's
	// next flush fails, and B says so.
	name := strings.TrimPrefix(mustURL(t, dsn).Path, "/")
	admin := pgtest.Admin(t, strings.Replace(dsn, "/"+name, "/postgres", 1))
	if _, err := admin.Exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
		t.Fatal(err)
	}
	journalOf := func(n *clusterNode) map[string]any {
		st := n.api.want(http.StatusOK, "GET", "/api/status", nil)
		j, _ := st["journal"].(map[string]any)
		return j
	}
	waitUntil(t, "B says its journal is failing", 15*time.Second, func() bool {
		askFrom(t, "127.0.0.2", b.dns, "down.example.org.")
		return journalOf(b)["failing"] == true
	})
	if j := journalOf(b); j["last_error"] == nil || strings.Contains(fmt.Sprint(j["last_error"]), "hearth-test") {
		t.Errorf("B's journal error: %v (no reason, or the password shown)", j)
	}
	if _, page := b.get(t, "/now"); !strings.Contains(page, "On node pi-attic, the journal cannot write its database") || strings.Contains(page, "hearth-test") {
		t.Errorf("B's Now page does not say its journal is failing (or shows the password):\n%s", page)
	}
	if _, err := admin.Exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "B's journal back", 15*time.Second, func() bool { return journalOf(b)["failing"] == false })
}

// pausedTries is the blocked tries of the names p*.example.org in the journal.
func pausedTries(t *testing.T, dsn string) int64 {
	return tabletTries(t, journal.Config{Postgres: dsn}, "", func(name string) bool {
		return strings.HasPrefix(name, "p") && strings.HasSuffix(name, ".example.org")
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
