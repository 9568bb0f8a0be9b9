package web

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// TestLoginLockoutShared: a lockout made on node A is told to OnLockout;
// applied on node B it refuses the same client there until the same time,
// never shortening a longer one; another client is not touched.
func TestLoginLockoutShared(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	clk := clocktest.New(t0)
	dirA, dirB := t.TempDir(), t.TempDir()
	writeTestPassword(t, dirA, testPassword)
	writeTestPassword(t, dirB, testPassword)
	a, b := NewAuth(dirA, clk, 0), NewAuth(dirB, clk, 0)
	told := map[string]time.Time{}
	a.OnLockout(func(client string, until time.Time) { told[client] = until })
	for range clientFailures {
		if err := loginFrom(a, "192.168.1.66:4000", "guess"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("guess on A: %v", err)
		}
	}
	want := t0.Add(clientWindow)
	if len(told) != 1 || !told["192.168.1.66"].Equal(want) {
		t.Fatalf("told %v, want 192.168.1.66 until %v", told, want)
	}
	if got := a.Lockouts(); len(got) != 1 || !got["192.168.1.66"].Equal(want) {
		t.Errorf("A's lockouts = %v", got)
	}

	b.ApplyLockouts(told)
	var rl RateLimitedError
	if err := loginFrom(b, "192.168.1.66:4001", testPassword); !errors.As(err, &rl) || rl.RetryAfter != clientWindow {
		t.Errorf("the locked-out client on B: %v, want refused for %v", err, clientWindow)
	}
	if err := loginFrom(b, "192.168.1.5:4000", testPassword); err != nil {
		t.Errorf("another client on B: %v", err)
	}
	b.ApplyLockouts(map[string]time.Time{"192.168.1.66": t0.Add(time.Minute), "nonsense": want})
	if got := b.Lockouts(); len(got) != 1 || !got["192.168.1.66"].Equal(want) {
		t.Errorf("B's lockouts after a shorter one = %v, want the longer kept", got)
	}
	clk.Advance(clientWindow)
	if err := loginFrom(b, "192.168.1.66:4001", testPassword); err != nil {
		t.Errorf("after the lockout on B: %v", err)
	}
	if len(told) != 1 {
		t.Errorf("B's applied lockout was told to A's hook: %v", told)
	}
}

// TestSetupLockoutShared: wrong setup codes lock a client out as wrong
// passwords do, and that lockout is told to OnLockout, so that another
// Hearth waiting for its own setup refuses the same client too.
func TestSetupLockoutShared(t *testing.T) {
	a, b := newSetupServer(t), newSetupServer(t)
	told := map[string]time.Time{}
	a.srv.Auth().OnLockout(func(client string, until time.Time) { told[client] = until })
	for range clientFailures {
		if status, out, _ := a.post(t, "127.0.0.3", map[string]any{"code": "1111-1111-1111", "password": "a-long-enough-one"}); status != http.StatusForbidden {
			t.Fatalf("wrong code on A: %d %v", status, out)
		}
	}
	if len(told) != 1 || told["127.0.0.3"].IsZero() {
		t.Fatalf("A's setup lockout told %v, want 127.0.0.3", told)
	}
	b.srv.Auth().ApplyLockouts(told)
	good := map[string]any{"code": b.code(t), "password": "a-long-enough-one", "timezone": "Europe/Dublin", "country": "ie", "presets": []string{"9-12"}}
	if status, out, _ := b.post(t, "127.0.0.3", good); status != http.StatusTooManyRequests {
		t.Errorf("B's right code from the client locked out on A: %d %v, want 429", status, out)
	}
	b.untouched(t, "locked out through A")
	if status, out, _ := b.post(t, "127.0.0.1", good); status != http.StatusOK {
		t.Errorf("B's right code from another client: %d %v", status, out)
	}
}
