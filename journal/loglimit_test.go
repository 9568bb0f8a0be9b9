package journal

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLogBlockedLimitedPerDevice: 10,000 blocked lookups from one device
// write logLinesPerWindow "blocked" lines and, once the minute is over, one
// summary line; another device's lines still appear; a new minute lets
// lines through again. The journal itself keeps every lookup.
func TestLogBlockedLimitedPerDevice(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.LogBlocked = true
	f := newFixture(t, cfg)
	const n = 10_000
	for i := range n {
		f.j.Record(blocked(t0, "kid-laptop", kid, fmt.Sprintf("r%d.roblox.com", i), 1))
	}
	f.j.Record(blocked(t0, "tablet", tablet, "casino.example", 1))
	f.j.Record(blocked(t0, "", guest, "casino.example", 1))
	f.j.sync()

	count := func(substr string) int { return strings.Count(f.log.String(), substr) }
	if got := count(`"device":"kid-laptop"`); got != logLinesPerWindow {
		t.Errorf("%d lines for %d blocked lookups from one device, want %d", got, n, logLinesPerWindow)
	}
	if got := count(`"device":"tablet"`); got != 1 {
		t.Errorf("another device's blocked lookup: %d lines, want 1", got)
	}
	if got := count(`"client":"192.168.1.99"`); got != 1 {
		t.Errorf("an unknown device's blocked lookup: %d lines, want 1", got)
	}
	if got := count("suppressed"); got != 0 {
		t.Errorf("a summary before the minute is over:\n%s", f.log)
	}
	if got := f.j.Stats().LogSuppressed; got != n-logLinesPerWindow {
		t.Errorf("Stats().LogSuppressed = %d, want %d", got, n-logLinesPerWindow)
	}
	if got := totalQueries(readAll(t, f.j, Filter{Device: "kid-laptop"})); got != n {
		t.Errorf("the journal kept %d lookups of the device, want %d", got, n)
	}

	// The minute is over: one summary line, for the one device over.
	f.clock.Advance(logWindow)
	f.j.sync()
	want := fmt.Sprintf("suppressed %d lookup lines for device kid-laptop in the last minute", n-logLinesPerWindow)
	if got := count(want); got != 1 {
		t.Errorf("summary %q written %d times:\n%s", want, got, tail(f.log.String()))
	}
	if got := count("suppressed "); got != 1 {
		t.Errorf("%d summary lines, want 1", got)
	}
	if lines := strings.Count(f.log.String(), "\n"); lines > 2*logLinesPerWindow+5 {
		t.Errorf("%d log lines in all for %d lookups", lines, n+2)
	}

	// A new minute: the device's lines get through again.
	f.j.Record(blocked(t0.Add(logWindow), "kid-laptop", kid, "again.roblox.com", 1))
	f.j.sync()
	if got := count(`"name":"again.roblox.com"`); got != 1 {
		t.Errorf("a lookup in the next minute: %d lines, want 1", got)
	}
}

// TestLogBlockedSummaryAtClose: what was suppressed in the last, unfinished
// minute is summed up when the journal closes.
func TestLogBlockedSummaryAtClose(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.LogBlocked = true
	f := newFixture(t, cfg)
	for i := range logLinesPerWindow + 7 {
		f.j.Record(blocked(t0, "", guest, fmt.Sprintf("r%d.roblox.com", i), 1))
	}
	f.clock.Advance(time.Second)
	if err := f.j.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.log.String(), "suppressed 7 lookup lines for client 192.168.1.99") {
		t.Errorf("no summary at close:\n%s", tail(f.log.String()))
	}
}

// tail is the end of a long log, for a failure message.
func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
