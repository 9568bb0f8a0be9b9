package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
)

// seededJournal writes a configuration and a journal in which alex-tablet
// tried Roblox 3 times (A and AAAA each time) 10 minutes ago and Discord once
// at bedtime 2 days ago.
func seededJournal(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	yaml := fmt.Sprintf("state_dir: %q\ntimezone: Europe/London\ndevices:\n  - {name: alex-tablet, ip: 192.168.1.20, group: kids}\ngroups:\n  kids:\n    rules: [{block: [gaming, chat]}]\n", dir)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	j := journal.Open(journal.Config{RetentionDays: 60, MaxSizeMB: 10, Queue: 1000, FlushInterval: 100 * time.Millisecond},
		journal.Options{Dir: dir})
	client := netip.MustParseAddr("192.168.1.20")
	base := journal.Event{Device: "alex-tablet", Group: "kids", Client: client, Action: journal.ActionBlock,
		Reason: policy.ReasonRule, Rule: "groups.kids.rules[0]", Response: "nxdomain"}
	for range 3 {
		for _, qt := range []uint16{1, 28} {
			e := base
			e.Time, e.Name, e.Qtype, e.Category, e.Service = time.Now().Add(-10*time.Minute), "www.roblox.com", qt, "gaming", "roblox"
			j.Record(e)
		}
	}
	e := base
	e.Time, e.Name, e.Qtype, e.Category, e.Service, e.Reason = time.Now().Add(-48*time.Hour), "discord.com", 1, "chat", "discord", policy.ReasonBedtime
	j.Record(e)
	// A safe-search rewrite, journaled as allowed (the group logs allowed lookups).
	j.Record(journal.Event{Time: time.Now().Add(-5 * time.Minute), Device: "alex-tablet", Group: "kids", Client: client,
		Name: "www.google.com", Qtype: 1, Action: journal.ActionAllow, Reason: policy.ReasonSafeSearch, Rule: "groups.kids.safe_search"})
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLogCommand(t *testing.T) {
	t.Parallel()
	path := seededJournal(t)
	a, out, errOut := testApp()
	if code := execute(context.Background(), a, []string{"log", "-c", path}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	containsAll(t, "log", out.String(), "alex-tablet", "www.roblox.com", "3 tries", "gaming/roblox")
	if strings.Contains(out.String(), "discord") {
		t.Errorf("log --since 1h shows a lookup from 2 days ago:\n%s", out)
	}

	a, out, _ = testApp()
	if code := execute(context.Background(), a, []string{"log", "-c", path, "--since", "3d", "--device", "alex-tablet"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "roblox") || !strings.Contains(lines[1], "discord.com") || !strings.Contains(lines[1], "bedtime") {
		t.Errorf("log --since 3d, newest first:\n%s", out)
	}

	if strings.Contains(out.String(), "www.google.com") {
		t.Errorf("log without --allowed shows an allowed rewrite:\n%s", out)
	}
	a, out, _ = testApp()
	if code := execute(context.Background(), a, []string{"log", "-c", path, "--allowed"}); code != 0 {
		t.Fatalf("--allowed: exit %d", code)
	}
	if !regexp.MustCompile(`alex-tablet +www\.google\.com +1 try +rewritten to safe search`).MatchString(out.String()) {
		t.Errorf("log --allowed, the safe-search rewrite:\n%s", out)
	}

	a, _, errOut = testApp()
	if code := execute(context.Background(), a, []string{"log", "-c", path, "--since", "soon"}); code != exitUsage || !strings.Contains(errOut.String(), "30m, 12h, 7d") {
		t.Errorf("bad --since: exit %d, %s", code, errOut)
	}
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	path := seededJournal(t)
	a, out, errOut := testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	containsAll(t, "report", out.String(), "\nalex-tablet\n", "4 blocked tries", "Roblox: 3", "Discord: 1", "Childline")

	a, out, _ = testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path, "--format", "json"}); code != 0 {
		t.Fatalf("json: exit %d", code)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("report --format json is not JSON: %v\n%s", err, out)
	}

	a, out, _ = testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path, "--format", "html"}); code != 0 {
		t.Fatalf("html: exit %d", code)
	}
	containsAll(t, "html report", out.String(), "<!DOCTYPE html>", "<svg", "alex-tablet")

	a, _, errOut = testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path, "--format", "pdf"}); code != exitUsage {
		t.Errorf("--format pdf: exit %d, %s", code, errOut)
	}
}

func TestReportWithoutJournal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("state_dir: %q\n", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _, errOut := testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path}); code != exitError || !strings.Contains(errOut.String(), "journal") {
		t.Errorf("no journal yet: exit %d, %q", code, errOut)
	}
}

// TestLogFollow: `hearth log --follow` prints a lookup the server records
// after it started, once.
func TestLogFollow(t *testing.T) {
	t.Parallel()
	path := seededJournal(t)
	dir := filepath.Dir(path)
	j := journal.Open(journal.Config{RetentionDays: 60, MaxSizeMB: 10, Queue: 1000, FlushInterval: 100 * time.Millisecond},
		journal.Options{Dir: dir})
	defer j.Close(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	a, out, errOut := testApp()
	a.stdout = &lockedBuffer{buf: out}
	a.stderr = &lockedBuffer{buf: errOut}
	done := make(chan int)
	go func() { done <- execute(ctx, a, []string{"log", "-c", path, "--follow"}) }()
	// Once it has printed the seeded lookup, it has read the journal: what is
	// recorded from now on is new.
	waitUntil(t, "hearth log prints the seeded lookup", 3*time.Second, func() bool {
		return strings.Contains(a.stdout.(*lockedBuffer).String(), "www.roblox.com")
	})
	for range 2 {
		j.Record(journal.Event{Time: time.Now(), Device: "alex-tablet", Group: "kids", Client: netip.MustParseAddr("192.168.1.20"),
			Name: "www.omegle.com", Qtype: 1, Action: journal.ActionBlock, Reason: policy.ReasonRule, Category: "chat", Service: "random-video-chat"})
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, a.stderr.(*lockedBuffer).String())
	}
	// The two tries may be committed apart; --follow then prints the
	// second as a new line of one try. Together they must make two.
	text := a.stdout.(*lockedBuffer).String()
	tries := 0
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, "www.omegle.com") {
			continue
		}
		switch {
		case strings.Contains(line, " 2 tries"):
			tries += 2
		case strings.Contains(line, " 1 try"):
			tries++
		default:
			t.Errorf("line without its count: %q", line)
		}
	}
	if tries != 2 {
		t.Errorf("--follow showed %d tries of the new lookup, want 2:\n%s", tries, text)
	}
}

// lockedBuffer lets a test read what a running command writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTerminalEscapesShown: a device name (set on the dashboard, or a DHCP
// lease name) and a looked-up name carrying terminal escapes are printed by
// `hearth log` and `hearth report` as visible escapes, never raw.
func TestTerminalEscapesShown(t *testing.T) {
	path := seededJournal(t)
	dir := filepath.Dir(path)
	j := journal.Open(journal.Config{RetentionDays: 60, MaxSizeMB: 10, Queue: 1000, FlushInterval: 100 * time.Millisecond},
		journal.Options{Dir: dir})
	j.Record(journal.Event{Time: time.Now().Add(-2 * time.Minute), Device: "evil\x1b[2J\x1b]0;pwned\x07", Group: "kids",
		Client: netip.MustParseAddr("192.168.1.66"), Name: "x\u202etxt.exe.example", Qtype: 1, Action: journal.ActionBlock,
		Reason: policy.ReasonRule, Rule: "groups.kids.rules[0]", Category: "chat", Response: "nxdomain"})
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"log", "-c", path}, {"report", "-c", path}} {
		a, out, errOut := testApp()
		if code := execute(context.Background(), a, args); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for i, c := range out.String() {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x202a && c <= 0x202e {
				t.Fatalf("%v: raw control character %U at byte %d:\n%q", args, c, i, out)
			}
		}
		containsAll(t, strings.Join(args, " "), out.String(), `\x1b[2J`)
	}
}
