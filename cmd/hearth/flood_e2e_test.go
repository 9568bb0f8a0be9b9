package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
)

// TestJournalFoldsFlood: over real DNS, a child's device asks for 600
// made-up names under a blocked service; with a budget of 50 names a
// minute the journal keeps at most 50 of them as rows (a minute boundary
// may split the flood) and folds the rest, counting every try, and
// `hearth report` says the flood was folded.
func TestJournalFoldsFlood(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	familyConfig(t, path, listen, "udp://"+up.Addr, "{block: [gaming]}",
		"journal: {flush_interval: 1s, log_blocked: false, max_size_mb: 1, flood: {names_per_minute: 50}}\n")

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	const n = 600
	for i := range n {
		if r := askFrom(t, "127.0.0.2", listen, fmt.Sprintf("f%05x.roblox.com.", i*7919)); r.Rcode != dns.RcodeNameError {
			t.Fatalf("not blocked: %v", r)
		}
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
	<-p.done

	r, err := journal.OpenReader(filepath.Join(dir, journal.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.Rows(context.Background(), journal.Filter{Device: "kid-tablet", Action: journal.OnlyBlocked})
	if err != nil {
		t.Fatal(err)
	}
	var own, foldRows int
	var tries, folded int64
	for _, row := range rows {
		tries += row.Attempts
		if row.Folded > 0 {
			foldRows++
			folded += row.Folded
		} else {
			own++
		}
	}
	if own > 100 || foldRows == 0 || foldRows > 2 || tries != n || int64(own)+folded != n {
		t.Errorf("%d rows of their own, %d fold rows of %d names, %d tries; want at most 100, 1 or 2, %d names in all, %d tries",
			own, foldRows, folded, tries, n, n)
	}

	a, out, errOut := testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path, "--since", "1d"}); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	if !strings.Contains(text, "made-up names under roblox.com") || !strings.Contains(text, "(folded)") {
		t.Errorf("the report does not say the flood was folded:\n%s", out)
	}
	if !strings.Contains(text, fmt.Sprintf("%d blocked tries", n)) {
		t.Errorf("the report does not count every try:\n%s", out)
	}
}
