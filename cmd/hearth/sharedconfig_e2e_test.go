//go:build redis

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
	"github.com/hearth-dns/hearth/internal/dnstest"
)

// sharedNode is one `hearth serve` of two sharing hearth.yaml through
// Redis: its own copy of the file, with what must differ between nodes in
// two ways: where it listens for DNS and its state directory written in its
// own file (keys the node keeps when it takes another node's file:
// configedit.NodeLocal), web.listen and state.node from the environment,
// as docs/two-nodes.md says.
type sharedNode struct {
	name, dir, path, listen, web string
	p                            *hearthProcess
	c                            *apiClient
}

// startSharedNode starts `hearth serve` in dir (its working directory, so a
// relative list path is this node's own) with the node's environment.
func startSharedNode(t *testing.T, name, text string) *sharedNode {
	t.Helper()
	n := &sharedNode{name: name, dir: t.TempDir(), listen: freePort(t), web: freePort(t)}
	n.path = filepath.Join(n.dir, "hearth.yaml")
	own := fmt.Sprintf("listen: [%q]\nstate_dir: %q\n", n.listen, filepath.Join(n.dir, "state"))
	if err := os.WriteFile(n.path, []byte(own+text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcessIn(t, n.dir, []string{"HEARTH_STATE_NODE=" + name, "HEARTH_WEB_LISTEN=" + n.web}, "serve", "--config", n.path)
	n.p = p
	p.await(t, "hearth started")

	// A password (in this node's state directory), then a session.
	passwd, _, stderr := testApp("HEARTH_STATE_DIR=" + filepath.Join(n.dir, "state"))
	passwd.stdin = strings.NewReader("family-secret-1\n")
	if code := execute(t.Context(), passwd, []string{"passwd", "--config", n.path}); code != 0 {
		t.Fatalf("hearth passwd: exit %d: %s", code, stderr)
	}
	n.c = newAPIClient(t, "http://"+n.web, "127.0.0.1")
	waitUntil(t, name+"'s dashboard sees the password", 5*time.Second, func() bool {
		got, _ := n.c.do("POST", "/api/login", map[string]string{"password": "family-secret-1"})
		return got == http.StatusOK
	})
	_, login := n.c.do("POST", "/api/login", map[string]string{"password": "family-secret-1"})
	n.c.csrf, _ = login["csrf"].(string)
	return n
}

// blocks reports whether the node answers the kid's tablet with NXDOMAIN.
func (n *sharedNode) blocks(t *testing.T, name string) bool {
	return askFrom(t, "127.0.0.2", n.listen, name).Rcode == dns.RcodeNameError
}

// sharedConfig is /api/status's shared.config.
func (n *sharedNode) sharedConfig(t *testing.T) map[string]any {
	st := n.c.want(http.StatusOK, "GET", "/api/status", nil)
	shared, _ := st["shared"].(map[string]any)
	cfg, _ := shared["config"].(map[string]any)
	return cfg
}

func (n *sharedNode) file(t *testing.T) string {
	b, err := os.ReadFile(n.path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// handEdit writes the node's file and reloads it as SIGHUP does.
func (n *sharedNode) handEdit(t *testing.T, text string) {
	t.Helper()
	own := fmt.Sprintf("listen: [%q]\nstate_dir: %q\n", n.listen, filepath.Join(n.dir, "state"))
	if err := os.WriteFile(n.path, []byte(own+text), 0o600); err != nil {
		t.Fatal(err)
	}
	for drained := false; !drained; { // older "config reloaded" lines
		select {
		case <-n.p.events:
		default:
			drained = true
		}
	}
	if err := n.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	n.p.await(t, "config reloaded")
}

const sharedConfigText = `upstreams: {servers: [%q]}
timezone: Europe/London
identify: {neighbours: false}
devices:
  - {name: kid-tablet, ip: 127.0.0.2, group: kids}
groups:
  kids:
    rules: [{block: [%s]}]
log: {format: json}
state: {redis: %q}
%s`

// TestSharedConfigTwoNodes: two `hearth serve` processes on one Redis,
// each with its own copy of hearth.yaml. A group's rule changed through
// node A's API is in node B's file and decides B's answers; a file B
// cannot take (a list file only A has) leaves B answering as before and
// saying why in /api/status, and A's next good change is taken; a change on
// A while Redis is stopped reaches B when Redis is back.
func TestSharedConfigTwoNodes(t *testing.T) {
	srv := redistest.Start(t)
	up := dnstest.NewServer(t)
	text := func(block, extra string) string {
		return fmt.Sprintf(sharedConfigText, "udp://"+up.Addr, block, srv.URL(0), extra)
	}
	a := startSharedNode(t, "pi-kitchen", text("gaming", ""))
	b := startSharedNode(t, "pi-attic", text("gaming", ""))
	if !b.blocks(t, "roblox.com.") || b.blocks(t, "facebook.com.") {
		t.Fatal("node B does not start on the shared rules")
	}

	// 1. A change through A's API reaches B's file and B's answers.
	a.c.want(http.StatusOK, "PUT", "/api/groups/kids", map[string]any{"rules": []any{map[string]any{"block": []string{"gaming", "social"}}}})
	waitUntil(t, "A's new rule decides B's answers", 4*time.Second, func() bool {
		return b.blocks(t, "facebook.com.") && b.sharedConfig(t)["state"] == "applied"
	})
	if !strings.Contains(b.file(t), "social") {
		t.Errorf("B's hearth.yaml does not have A's change:\n%s", b.file(t))
	}
	if f := b.file(t); !strings.Contains(f, b.listen) || strings.Contains(f, a.listen) || strings.Contains(f, a.dir) {
		t.Errorf("B's hearth.yaml does not keep its own listen and state_dir (%s):\n%s", b.listen, f)
	}
	if _, err := os.Stat(b.path + ".1"); err != nil {
		t.Errorf("B's previous file is not kept: %v", err)
	}
	if cfg := b.sharedConfig(t); cfg["state"] != "applied" || cfg["from"] != "pi-kitchen" {
		t.Errorf("B's shared.config: %v", cfg)
	}

	// 2. A list file only A has: B refuses, keeps its rules, says why.
	if err := os.WriteFile(filepath.Join(a.dir, "only-a.txt"), []byte("only-a.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bBefore := b.file(t)
	a.handEdit(t, text("gaming", "lists: {sources: [{name: mine, category: mine, file: only-a.txt}]}\n"))
	waitUntil(t, "B refuses A's file", 4*time.Second, func() bool { return b.sharedConfig(t)["refused"] == true })
	cfg := b.sharedConfig(t)
	if !strings.Contains(fmt.Sprint(cfg["problems"]), "lists.sources[0].file") || cfg["from"] != "pi-kitchen" {
		t.Errorf("B's refusal does not say why: %v", cfg)
	}
	if b.file(t) != bBefore || !b.blocks(t, "facebook.com.") {
		t.Errorf("B did not keep its last good configuration; its file:\n%s", b.file(t))
	}
	// A's next good change (the list gone, social allowed again) is taken.
	a.handEdit(t, text("gaming", ""))
	waitUntil(t, "A's next good file on B", 4*time.Second, func() bool {
		return !b.blocks(t, "facebook.com.") && b.sharedConfig(t)["state"] == "applied"
	})

	// 3. Redis stopped: A's change waits, and reaches B when Redis is back.
	srv.Stop()
	a.c.want(http.StatusOK, "PUT", "/api/groups/kids", map[string]any{"rules": []any{map[string]any{"block": []string{"gaming", "video"}}}})
	if b.blocks(t, "youtube.com.") {
		t.Fatal("B blocks video before Redis is back")
	}
	srv.Restart()
	waitUntil(t, "A's change made while Redis was down on B", 20*time.Second, func() bool { return b.blocks(t, "youtube.com.") })
	if !strings.Contains(a.file(t), "video") {
		t.Errorf("A lost its own change:\n%s", a.file(t))
	}
}
