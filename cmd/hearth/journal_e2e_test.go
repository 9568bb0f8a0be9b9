package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
)

// journalConfig is a household where 127.0.0.2 is a child's device with
// gaming blocked, journaling with a one-second flush.
func journalConfig(t *testing.T, dir, listen, upstream string, journalPath ...string) string {
	t.Helper()
	path := filepath.Join(dir, "hearth.yaml")
	familyConfig(t, path, listen, upstream, "{block: [gaming]}",
		fmt.Sprintf("journal: {flush_interval: 1s, log_blocked: false, path: %q}\n", strings.Join(journalPath, "")))
	return path
}

// journaledAttempts is kid-tablet's blocked tries in the journal of the
// state directory dir.
func journaledAttempts(t *testing.T, dir string) int64 {
	return tabletTries(t, journal.Config{}, dir, nil)
}

// tabletTries is kid-tablet's blocked tries in the journal cfg and dir
// name (SQLite or PostgreSQL), of the names keep accepts (nil: all).
func tabletTries(t *testing.T, cfg journal.Config, dir string, keep func(name string) bool) int64 {
	t.Helper()
	r, err := journal.OpenReaderFor(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.Rows(context.Background(), journal.Filter{Device: "kid-tablet", Action: journal.OnlyBlocked})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, row := range rows {
		if keep == nil || keep(row.Name) {
			n += row.Attempts
		}
	}
	return n
}

// TestJournalSurvivesKill sends blocked lookups to `hearth serve`, kills it
// with SIGKILL, and checks what survived: every lookup made more than one
// flush interval (1 s) before the kill, at most all of them, and a database
// that opens cleanly when Hearth starts again. Then a graceful stop keeps
// everything.
func TestJournalSurvivesKill(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	dir := t.TempDir()
	path := journalConfig(t, dir, listen, "udp://"+up.Addr)

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	const early, late = 60, 40
	for i := range early {
		if r := askFrom(t, "127.0.0.2", listen, fmt.Sprintf("e%d.roblox.com.", i)); r.Rcode != dns.RcodeNameError {
			t.Fatalf("not blocked: %v", r)
		}
	}
	// Committed within the flush interval (1 s), with room for a busy machine.
	waitUntil(t, "the early lookups journaled", 2500*time.Millisecond, func() bool {
		r, err := journal.OpenReader(filepath.Join(dir, journal.FileName))
		if err != nil {
			return false // nothing committed yet
		}
		defer r.Close()
		rows, err := r.Rows(context.Background(), journal.Filter{Device: "kid-tablet", Action: journal.OnlyBlocked})
		var n int64
		for _, row := range rows {
			n += row.Attempts
		}
		return err == nil && n >= early
	})
	for i := range late {
		askFrom(t, "127.0.0.2", listen, fmt.Sprintf("l%d.roblox.com.", i))
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done

	got := journaledAttempts(t, dir)
	if got < early || got > early+late {
		t.Fatalf("after kill -9: %d attempts journaled, want between %d (all made a flush interval before) and %d", got, early, early+late)
	}
	t.Logf("after kill -9: %d of %d attempts kept (%d were made within the last flush interval)", got, early+late, late)

	// Hearth starts on the same database, without setting it aside.
	p = startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	for i := range 25 {
		askFrom(t, "127.0.0.2", listen, fmt.Sprintf("g%d.roblox.com.", i))
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
	<-p.done
	if after := journaledAttempts(t, dir); after != got+25 {
		t.Errorf("after a graceful stop: %d attempts, want %d (everything flushed)", after, got+25)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "journal.db.corrupt-*")); len(m) > 0 {
		t.Errorf("the database was set aside as corrupt after the kill: %v", m)
	}
}

// TestServeWithUnwritableJournal: a journal that cannot be opened (its
// directory is a regular file) does not stop DNS; Hearth says so loudly.
func TestServeWithUnwritableJournal(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := journalConfig(t, dir, listen, "udp://"+up.Addr, filepath.Join(blocker, "journal.db"))
	p := startProcess(t, "serve", "--config", path)
	if ev := p.await(t, fmt.Sprintf("journal: cannot open the database; keeping lookups in memory (at most %d rows, lost on restart) and trying again every minute", 100_000)); ev["level"] != "error" || ev["fix"] == nil {
		t.Errorf("the journal's failure was not logged loudly: %v", ev)
	}
	p.await(t, "hearth started")
	if r := askFrom(t, "127.0.0.2", listen, "www.roblox.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("blocking stopped with the journal: %s", dns.RcodeToString[r.Rcode])
	}
	if r := askFrom(t, "127.0.0.3", listen, "www.example.org."); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("DNS stopped with the journal: %v", r)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
}
