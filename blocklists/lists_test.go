package blocklists

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// TestRun drives Run with a fake clock: a compile at once from disk, a
// download at once (no copy yet), then one per interval, each change handed
// to onUpdate.
func TestRun(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "one.example\n")
	l, clk, logs := testLists(t, "", SourceConfig{Name: "l", Category: "ads", URL: srv.URL},
		SourceConfig{Name: "inline", Category: "ads", Domains: []string{"inline.example"}})

	updates := make(chan *Compiled, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		l.Run(ctx, func(c *Compiled) { updates <- c })
		close(done)
	}()
	next := func(what string) *Compiled {
		t.Helper()
		select {
		case c := <-updates:
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("no update: %s\nlog:\n%s", what, logs)
			return nil
		}
	}

	if c := next("first compile"); !blocks(c, "inline.example") || blocks(c, "one.example") {
		t.Errorf("first compile: inline %v, one %v", blocks(c, "inline.example"), blocks(c, "one.example"))
	}
	if c := next("first download"); !blocks(c, "one.example") {
		t.Errorf("the download was not compiled")
	}

	// Nothing happens before the interval, even if the list changes.
	srv.set(func(s *listServer) { s.body = "two.example\n" })
	clk.Advance(50 * time.Minute)
	asleep(t, clk, logs)
	select {
	case <-updates:
		t.Fatal("an update before the interval")
	default:
	}
	// After it (plus at most 10%), the new list arrives.
	clk.Advance(16 * time.Minute)
	if c := next("second download"); !blocks(c, "two.example") || blocks(c, "one.example") {
		t.Errorf("second download not compiled")
	}
	// A refresh that changes nothing calls no one.
	clk.Advance(2 * time.Hour)
	asleep(t, clk, logs)
	if !strings.Contains(logs.String(), "list not modified") {
		t.Fatalf("no refresh after the interval:\n%s", logs)
	}
	select {
	case <-updates:
		t.Error("an update without a change")
	default:
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// asleep waits until Run sleeps on the fake clock's timer: whatever it did
// since it last woke (a download, a compile, onUpdate) is done.
func asleep(t *testing.T, clk *clocktest.Fake, logs *logBuffer) {
	t.Helper()
	if !clk.WaitTimers(1, 5*time.Second) {
		t.Fatalf("Run does not sleep on the clock\nlog:\n%v", logs)
	}
}

// TestRunFresh: a restart with a recent copy compiles it and waits for the
// interval before asking the server.
func TestRunFresh(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "one.example\n")
	dir := t.TempDir()
	src := SourceConfig{Name: "l", Category: "ads", URL: srv.URL}
	first, _, _ := testLists(t, dir, src)
	mustRefresh(t, first, true)

	l, clk, _ := testLists(t, dir, src)
	clk.Advance(10 * time.Minute)
	updates := make(chan *Compiled, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx, func(c *Compiled) { updates <- c })
	if c := <-updates; !blocks(c, "one.example") {
		t.Error("the cached copy was not compiled")
	}
	asleep(t, clk, nil)
	srv.mu.Lock()
	n := len(srv.requests)
	srv.mu.Unlock()
	if n != 1 {
		t.Errorf("%d requests, want only the first process's", n)
	}
}

// TestRunRetriesWithoutCopy: with no copy at all, a failed download is
// retried after a minute, not a whole interval.
func TestRunRetriesWithoutCopy(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "one.example\n")
	srv.set(func(s *listServer) { s.status = 503 })
	l, clk, _ := testLists(t, "", SourceConfig{Name: "l", Category: "ads", URL: srv.URL})
	updates := make(chan *Compiled, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx, func(c *Compiled) { updates <- c })
	<-updates
	asleep(t, clk, nil) // after the failed download
	srv.set(func(s *listServer) { s.status = 0 })
	clk.Advance(70 * time.Second)
	select {
	case c := <-updates:
		if !blocks(c, "one.example") {
			t.Error("the retried download was not compiled")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no retry a minute after a failure")
	}
}

func TestShortAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {45 * time.Second, "45s"}, {12*time.Minute + 59*time.Second, "12m"},
		{47 * time.Hour, "47h"}, {48 * time.Hour, "2d"}, {100 * time.Hour, "4d"},
	} {
		if got := ShortAge(tc.d); got != tc.want {
			t.Errorf("ShortAge(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
