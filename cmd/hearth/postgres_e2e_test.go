//go:build postgres

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/journal/pgtest"
)

// pgJournaled is the blocked tries of kid-tablet in the PostgreSQL journal.
func pgJournaled(t *testing.T, dsn string) (int64, error) {
	t.Helper()
	r, err := journal.OpenReaderFor(journal.Config{Postgres: dsn}, "")
	if err != nil {
		return 0, err
	}
	defer r.Close()
	rows, err := r.Rows(context.Background(), journal.Filter{Device: "kid-tablet", Action: journal.OnlyBlocked})
	var n int64
	for _, row := range rows {
		n += row.Attempts
	}
	return n, err
}

// TestTwoNodesOneJournal: two `hearth serve` processes write one PostgreSQL
// journal. Node A is killed (SIGKILL) after its lookups were flushed and
// loses at most those of its last flush interval; node B's `hearth report`
// counts the lookups answered by both.
func TestTwoNodesOneJournal(t *testing.T) {
	srv, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	dsn := pgtest.DatabaseOn(t, srv)
	up := dnstest.NewServer(t)
	node := func(name string) (path, listen string) {
		listen = freePort(t)
		path = filepath.Join(t.TempDir(), name+".yaml")
		familyConfig(t, path, listen, "udp://"+up.Addr, "{block: [gaming]}",
			fmt.Sprintf("journal: {flush_interval: 1s, log_blocked: false, postgres: %q}\n", dsn))
		return path, listen
	}
	pathA, listenA := node("a")
	pathB, listenB := node("b")
	a := startProcess(t, "serve", "--config", pathA)
	a.await(t, "hearth started")
	b := startProcess(t, "serve", "--config", pathB)
	b.await(t, "hearth started")

	// The child's tablet asks both: the same names too.
	const early, fromB, late = 40, 30, 25
	for i := range early {
		if r := askFrom(t, "127.0.0.2", listenA, fmt.Sprintf("e%d.roblox.com.", i)); r.Rcode != dns.RcodeNameError {
			t.Fatalf("node A did not block: %v", r)
		}
	}
	for i := range fromB {
		if r := askFrom(t, "127.0.0.2", listenB, fmt.Sprintf("e%d.roblox.com.", i)); r.Rcode != dns.RcodeNameError {
			t.Fatalf("node B did not block: %v", r)
		}
	}
	// Both flushed within the flush interval (1 s), with room for a busy machine.
	waitUntil(t, "both nodes' lookups journaled", 5*time.Second, func() bool {
		n, err := pgJournaled(t, dsn)
		return err == nil && n >= early+fromB
	})
	for i := range late {
		askFrom(t, "127.0.0.2", listenA, fmt.Sprintf("l%d.roblox.com.", i))
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	b.await(t, "hearth stopped")
	<-b.done

	got, err := pgJournaled(t, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if got < early+fromB || got > early+fromB+late {
		t.Fatalf("%d tries journaled; want from %d (all flushed before the kill) to %d", got, early+fromB, early+fromB+late)
	}
	t.Logf("%d of %d tries kept (%d made on node A within its last flush interval)", got, early+fromB+late, late)

	// Node B's report reads PostgreSQL: both nodes' tries, once each.
	app, out, errOut := testApp()
	if code := execute(context.Background(), app, []string{"report", "-c", pathB}); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	if want := fmt.Sprintf("%d blocked tries", got); !strings.Contains(out.String(), want) {
		t.Errorf("node B's report does not say %q:\n%s", want, out)
	}
	// And its `hearth log` shows a name only node A answered.
	app, out, errOut = testApp()
	if code := execute(context.Background(), app, []string{"log", "-c", pathB}); code != 0 {
		t.Fatalf("log: exit %d: %s", code, errOut)
	}
	if want := fmt.Sprintf("e%d.roblox.com", early-1); !strings.Contains(out.String(), want) {
		t.Errorf("node B's log does not show %s:\n%s", want, out)
	}
}
