package web

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestLoginBcryptSlots: at most maxComparing passwords are checked at once.
// A login beyond that waits for a slot and, after compareWait, is answered
// 429 with Retry-After 1, which counts as no failure; a login waiting when a
// slot frees gets it; an address that logged in lately has a slot of its own.
func TestLoginBcryptSlots(t *testing.T) {
	t.Parallel()
	h := newHardServer(t, Config{})
	gate := make(chan struct{})
	var in, most atomic.Int32
	h.srv.auth.compare = func(hash, password []byte) error { // set before any request
		n := in.Add(1)
		defer in.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if string(password) == "hold" {
			<-gate
		}
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	// The parent's phone logged in before: trusted from then on.
	if r, _ := h.apiLogin("127.0.9.1", testPassword, nil); r.status != http.StatusOK {
		t.Fatalf("first login: %d %s", r.status, r.body)
	}

	// Two logins hold both shared slots (straight to Auth: the fake clock
	// moves only when the test says).
	held := make(chan error, maxComparing)
	for i := range maxComparing {
		go func() { held <- loginFrom(h.srv.auth, fmt.Sprintf("127.0.10.%d:4000", i+1), "hold") }()
	}
	waitUntil(t, "both slots taken", func() bool { return in.Load() == maxComparing })

	// A stranger with the right password waits compareWait, then 429.
	r, waited := h.apiLogin("127.0.10.9", testPassword, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" ||
		!strings.Contains(r.body, "too many logins at once") || r.cookie != nil {
		t.Errorf("a login beyond the slots: %d %q, Retry-After %q", r.status, r.body, r.header.Get("Retry-After"))
	}
	if waited < compareWait || waited > compareWait+200*time.Millisecond {
		t.Errorf("it waited %s for a slot, want %s", waited, compareWait)
	}
	if most.Load() != maxComparing {
		t.Errorf("%d passwords checked at once, want at most %d", most.Load(), maxComparing)
	}

	// The trusted address gets in meanwhile, without waiting.
	if r, waited := h.apiLogin("127.0.9.1", testPassword, nil); r.status != http.StatusOK || waited != 0 {
		t.Errorf("a trusted address while the slots are taken: %d after %s: %s", r.status, waited, r.body)
	}

	// A login waiting when the slots free up gets one (the clock stands).
	done := make(chan error, 1)
	go func() { done <- loginFrom(h.srv.auth, "127.0.10.8:4000", testPassword) }()
	if !h.clk.WaitTimers(1, 5*time.Second) {
		t.Fatal("the login is not waiting for a slot")
	}
	close(gate)
	if err := <-done; err != nil {
		t.Errorf("a login waiting when a slot freed: %v", err)
	}
	for range maxComparing {
		if err := <-held; !errors.Is(err, ErrBadPassword) {
			t.Errorf("a held login: %v", err)
		}
	}

	// The stranger refused for the crowd was not counted as failing.
	if r, waited := h.apiLogin("127.0.10.9", testPassword, nil); r.status != http.StatusOK || waited != 0 {
		t.Errorf("the stranger a moment later: %d after %s: %s", r.status, waited, r.body)
	}
}

// waitUntil waits (on the wall clock, at most 5 s) for cond, which other
// goroutines make true.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}
