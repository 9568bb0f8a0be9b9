//go:build redis

package cluster

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
	"github.com/hearth-dns/hearth/web"
)

// TestLoginLockoutReachesOtherNode: a client locked out of A's dashboard
// (five wrong passwords) is refused by B's too, within a second, while
// another client still logs in on B.
func TestLoginLockoutReachesOtherNode(t *testing.T) {
	srv := redistest.Start(t)
	auths := map[string]*web.Auth{}
	for _, name := range []string{"a", "b"} {
		dir := t.TempDir()
		if err := web.SetPassword(dir, "correct horse"); err != nil {
			t.Fatal(err)
		}
		auths[name] = web.NewAuth(dir, nil, 0)
		n, err := Start(Options{URL: srv.URL(5), Node: name, Dir: dir, Lockouts: auths[name]})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
	}
	login := func(a *web.Auth, addr, password string) error {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = addr
		_, err := a.Login(httptest.NewRecorder(), r, password)
		return err
	}
	for range 5 {
		if err := login(auths["a"], "192.168.1.66:4000", "guess"); !errors.Is(err, web.ErrBadPassword) {
			t.Fatalf("guess on A: %v", err)
		}
	}
	begun := time.Now()
	for {
		if _, ok := auths["b"].Lockouts()["192.168.1.66"]; ok {
			break
		}
		if time.Since(begun) > time.Second {
			t.Fatalf("the lockout did not reach B within 1 s: %v", auths["b"].Lockouts())
		}
		time.Sleep(10 * time.Millisecond) // polling B's sync goroutine
	}
	var rl web.RateLimitedError
	if err := login(auths["b"], "192.168.1.66:4001", "correct horse"); !errors.As(err, &rl) {
		t.Errorf("the locked-out client on B: %v, want refused", err)
	}
	if err := login(auths["b"], "192.168.1.5:4000", "correct horse"); err != nil {
		t.Errorf("another client on B: %v", err)
	}
}
