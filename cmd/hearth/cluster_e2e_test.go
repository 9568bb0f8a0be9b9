//go:build redis

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/redis/go-redis/v9"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/web"
)

// Issue 19's checks with two real `hearth serve` processes on loopback
// sharing one real redis-server (docs/two-nodes.md). Each node has its own
// state directory, DNS and dashboard port; the configuration text is the
// same but for those, and the node's name comes from HEARTH_STATE_NODE.

// clusterNode is one `hearth serve` of a pair.
type clusterNode struct {
	name, path, dns string
	proc            *hearthProcess
	api             *apiClient
}

// clusterConfig: kid-tablet (127.0.0.2) and tv (127.0.0.3) are the kids'
// devices, with a daily gaming budget of two minutes; 127.0.0.4 is
// unknown (default group). journal is more of the journal's settings
// (", key: value").
func clusterConfig(listen, dir, upstream, redisURL, journal string) string {
	return fmt.Sprintf(`listen: [%q]
state_dir: %q
upstreams: {servers: [%q]}
timezone: Europe/London
identify: {neighbours: false}
devices:
  - {name: kid-tablet, ip: 127.0.0.2, group: kids}
  - {name: tv, ip: 127.0.0.3, group: kids}
groups:
  kids:
    rules: [{block: [adult]}]
    budgets: [{what: [gaming], daily: 2m}]
journal: {flush_interval: 1s%s}
log: {format: json}
state: {redis: %q}
`, listen, dir, upstream, journal, redisURL)
}

// startClusterNode starts one node with a dashboard password set, logged in;
// with setup true, without a password: its dashboard waits for the
// first-start setup (n.api is not logged in).
func startClusterNode(t *testing.T, name, upstream, redisURL, journal string, setup bool) *clusterNode {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	n := &clusterNode{name: name, path: filepath.Join(dir, "hearth.yaml"), dns: freePort(t)}
	writeConfigFile(t, n.path, clusterConfig(n.dns, dir, upstream, redisURL, journal))
	if !setup {
		passwd, _, stderr := testApp()
		passwd.stdin = strings.NewReader("family-secret-1\n")
		if code := execute(t.Context(), passwd, []string{"passwd", "--config", n.path}); code != 0 {
			t.Fatalf("%s: hearth passwd: exit %d: %s", name, code, stderr)
		}
	}
	web := freePort(t)
	n.proc = startProcessEnv(t, []string{"HEARTH_STATE_NODE=" + name, "HEARTH_WEB_LISTEN=" + web}, "serve", "--config", n.path)
	n.proc.await(t, "hearth started")
	n.api = newAPIClient(t, "http://"+web, "127.0.0.1")
	if setup {
		return n
	}
	login := n.api.want(http.StatusOK, "POST", "/api/login", map[string]string{"password": "family-secret-1"})
	n.api.csrf, _ = login["csrf"].(string)
	return n
}

// shared is the node's /api/status "shared" object.
func (n *clusterNode) shared(t *testing.T) map[string]any {
	t.Helper()
	st := n.api.want(http.StatusOK, "GET", "/api/status", nil)
	sh, _ := st["shared"].(map[string]any)
	if sh == nil {
		t.Fatalf("%s: /api/status has no shared object: %v", n.name, st)
	}
	return sh
}

// rcode asks the node for name from a loopback address.
func (n *clusterNode) rcode(t *testing.T, from, name string) int {
	t.Helper()
	return askFrom(t, from, n.dns, name).Rcode
}

// twoNodes starts redis-server and nodes A and B, and waits until each is
// connected and sees the other.
func twoNodes(t *testing.T) (*redistest.Server, *clusterNode, *clusterNode) {
	t.Helper()
	return twoNodesWith(t, "")
}

// twoNodesWith is twoNodes with more journal settings.
func twoNodesWith(t *testing.T, journal string) (*redistest.Server, *clusterNode, *clusterNode) {
	t.Helper()
	srv := redistest.Start(t)
	up := dnstest.NewServer(t)
	a := startClusterNode(t, "pi-kitchen", "udp://"+up.Addr, srv.URL(0), journal, false)
	b := startClusterNode(t, "pi-attic", "udp://"+up.Addr, srv.URL(0), journal, false)
	for _, n := range []*clusterNode{a, b} {
		waitUntil(t, n.name+" connected and seeing the other", 10*time.Second, func() bool {
			sh := n.shared(t)
			peers, _ := sh["peers"].([]any)
			return sh["connected"] == true && len(peers) > 0
		})
	}
	return srv, a, b
}

// waitRcode asks until the node answers name with want, and returns how
// long that took; fatal after within.
func waitRcode(t *testing.T, n *clusterNode, from, name string, want int, within time.Duration) time.Duration {
	t.Helper()
	begun := time.Now()
	for i := 0; ; i++ {
		got := n.rcode(t, from, fmt.Sprintf("w%d.%s", i, name))
		if got == want {
			return time.Since(begun)
		}
		if time.Since(begun) > within {
			t.Fatalf("%s: %s from %s = %s after %v, want %s", n.name, name, from, dns.RcodeToString[got], within, dns.RcodeToString[want])
		}
		time.Sleep(5 * time.Millisecond) // asking again: the change travels through Redis
	}
}

// TestTwoNodesPauseWithinASecond: a pause given through node A's API blocks
// the device on node B within one second of A's answer, and only that device;
// cancelled on B, it ends on A within a second.
func TestTwoNodesPauseWithinASecond(t *testing.T) {
	_, a, b := twoNodes(t)
	if got := b.rcode(t, "127.0.0.2", "before.example.org."); got != dns.RcodeSuccess {
		t.Fatalf("B before the pause: %s", dns.RcodeToString[got])
	}
	out := a.api.want(http.StatusCreated, "POST", "/api/pause", map[string]any{"device": "kid-tablet", "minutes": 30})
	took := waitRcode(t, b, "127.0.0.2", "example.org.", dns.RcodeNameError, time.Second)
	t.Logf("the pause given on A blocked kid-tablet on B %v after A's 201", took)
	if r := askFrom(t, "127.0.0.2", b.dns, "paused.example.org."); !strings.Contains(edeText(r), "paused") {
		t.Errorf("B's answer for the paused device: %s, EDE %q", dns.RcodeToString[r.Rcode], edeText(r))
	}
	if got := b.rcode(t, "127.0.0.3", "other.example.org."); got != dns.RcodeSuccess {
		t.Errorf("tv on B during kid-tablet's pause: %s", dns.RcodeToString[got])
	}
	ov, _ := out["override"].(map[string]any)
	b.api.want(http.StatusNoContent, "DELETE", fmt.Sprintf("/api/overrides/%v", ov["id"]), nil)
	t.Logf("cancelled on B, it ended on A %v later", waitRcode(t, a, "127.0.0.2", "example.org.", dns.RcodeSuccess, time.Second))
}

// TestTwoNodesRedisOutage: with Redis stopped both nodes keep answering with
// the last state (a pause holds, the rest resolves); a pause cancelled and
// another given on A meanwhile apply on A at once, not on B, and reach B
// after Redis is back (on the same port, empty).
func TestTwoNodesRedisOutage(t *testing.T) {
	srv, a, b := twoNodes(t)
	out := a.api.want(http.StatusCreated, "POST", "/api/pause", map[string]any{"device": "kid-tablet", "minutes": 30})
	waitRcode(t, b, "127.0.0.2", "example.org.", dns.RcodeNameError, time.Second)

	srv.Stop()
	for _, n := range []*clusterNode{a, b} {
		waitUntil(t, n.name+" says Redis is not answering", 5*time.Second, func() bool { return n.shared(t)["connected"] == false })
		if got := n.rcode(t, "127.0.0.2", "still-paused.example.org."); got != dns.RcodeNameError {
			t.Errorf("%s without Redis: paused kid-tablet got %s", n.name, dns.RcodeToString[got])
		}
		if got := n.rcode(t, "127.0.0.3", "still-open.example.org."); got != dns.RcodeSuccess {
			t.Errorf("%s without Redis: tv got %s", n.name, dns.RcodeToString[got])
		}
	}
	ov, _ := out["override"].(map[string]any)
	a.api.want(http.StatusNoContent, "DELETE", fmt.Sprintf("/api/overrides/%v", ov["id"]), nil)
	a.api.want(http.StatusCreated, "POST", "/api/pause", map[string]any{"device": "tv", "minutes": 30})
	if q := a.shared(t)["queued"]; fmt.Sprint(q) != "2" {
		t.Errorf("A's changes queued while Redis is down: %v, want 2", q)
	}
	if a.rcode(t, "127.0.0.2", "a1.example.org.") != dns.RcodeSuccess || a.rcode(t, "127.0.0.3", "a2.example.org.") != dns.RcodeNameError {
		t.Error("A's own changes did not apply on A at once")
	}
	if b.rcode(t, "127.0.0.2", "b1.example.org.") != dns.RcodeNameError || b.rcode(t, "127.0.0.3", "b2.example.org.") != dns.RcodeSuccess {
		t.Error("B changed without Redis")
	}

	srv.Restart()
	took := waitRcode(t, b, "127.0.0.3", "example.org.", dns.RcodeNameError, 5*time.Second)
	waitRcode(t, b, "127.0.0.2", "example.org.", dns.RcodeSuccess, time.Second)
	t.Logf("A's changes reached B %v after Redis came back", took)
	waitUntil(t, "A's queue sent", 5*time.Second, func() bool {
		sh := a.shared(t)
		return sh["connected"] == true && fmt.Sprint(sh["queued"]) == "0"
	})
}

func writeConfigFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// get fetches a dashboard page with the node's session.
func (n *clusterNode) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := n.api.http.Get(n.api.base + path)
	if err != nil {
		t.Fatalf("%s: GET %s: %v", n.name, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestTwoNodesSetupLockout: two Hearths waiting for their first-start
// setup; a client that tries five wrong setup codes on A is refused by B's
// setup page too (429, even with B's right code), while another client
// sets B up.
func TestTwoNodesSetupLockout(t *testing.T) {
	srv := redistest.Start(t)
	up := dnstest.NewServer(t)
	a := startClusterNode(t, "pi-kitchen", "udp://"+up.Addr, srv.URL(0), "", true)
	b := startClusterNode(t, "pi-attic", "udp://"+up.Addr, srv.URL(0), "", true)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	waitUntil(t, "both nodes beating in Redis", 10*time.Second, func() bool {
		nodes, _ := rdb.ZRange(t.Context(), "hearth:nodes", 0, -1).Result()
		return len(nodes) == 2
	})
	post := func(n *clusterNode, from, code string) int {
		t.Helper()
		c := newAPIClient(t, n.api.base, from)
		status, _ := c.do("POST", "/api/setup", map[string]any{"code": code, "password": "a-long-enough-one",
			"timezone": "Europe/London", "country": "gb", "presets": []string{"9-12"}})
		return status
	}
	for i := range 5 {
		if got := post(a, "127.0.0.5", "1111-1111-1111"); got != http.StatusForbidden {
			t.Fatalf("wrong code %d on A: %d", i+1, got)
		}
	}
	if got := post(a, "127.0.0.5", "1111-1111-1111"); got != http.StatusTooManyRequests {
		t.Fatalf("A after five wrong codes: %d, want 429", got)
	}
	waitUntil(t, "A's lockout in Redis", 5*time.Second, func() bool {
		ok, _ := rdb.HExists(t.Context(), "hearth:lockouts", "127.0.0.5").Result()
		return ok
	})
	// B applies it at once (published) or at its next sync. Wrong codes
	// probe it: B would lock the client out itself only after five.
	refused := false
	for range 3 {
		if got := post(b, "127.0.0.5", "2222-2222-2222"); got == http.StatusTooManyRequests {
			refused = true
			break
		}
		time.Sleep(400 * time.Millisecond) // B's next sync, a second at most
	}
	if !refused {
		t.Fatal("B took wrong setup codes from the client locked out on A")
	}
	code, err := web.ReadSetupCode(filepath.Dir(b.path))
	if err != nil {
		t.Fatal(err)
	}
	if got := post(b, "127.0.0.5", code); got != http.StatusTooManyRequests {
		t.Errorf("B's right code from the client locked out on A: %d, want 429", got)
	}
	if got := post(b, "127.0.0.1", code); got != http.StatusOK {
		t.Errorf("B's right code from another client: %d, want 200", got)
	}
}
