package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// The end-to-end test runs this test binary as the hearth command: with
// runMainEnv set, TestMain calls main instead of the tests.
const runMainEnv = "HEARTHTEST_RUN_MAIN"

// testWebListen puts the dashboard of every `hearth serve` the tests start
// on a free loopback port (a test of the dashboard sets its own).
const testWebListen = "HEARTH_WEB_LISTEN=127.0.0.1:0"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	k, v, _ := strings.Cut(testWebListen, "=")
	_ = os.Setenv(k, v)
	os.Exit(m.Run())
}

// hearthProcess is `hearth serve` running as a real child process.
type hearthProcess struct {
	cmd    *exec.Cmd
	events chan map[string]any
	done   chan error
}

func startProcess(t *testing.T, args ...string) *hearthProcess {
	t.Helper()
	return startProcessEnv(t, nil, args...)
}

// startProcessEnv is startProcess with more environment variables (KEY=value;
// they win over the test's own).
func startProcessEnv(t *testing.T, env []string, args ...string) *hearthProcess {
	t.Helper()
	return startProcessIn(t, "", env, args...)
}

// startProcessIn is startProcessEnv in the working directory dir ("": the
// test's).
func startProcessIn(t *testing.T, dir string, env []string, args ...string) *hearthProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env...), runMainEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &hearthProcess{cmd: cmd, events: make(chan map[string]any, 1000), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				p.events <- ev
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// await waits for a log event with the given message.
func (p *hearthProcess) await(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev["message"] == msg {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event within 10 s", msg)
		}
	}
}

// stop ends the process with SIGTERM and returns the log events with the
// given message that it writes until it exits (the journal's "blocked"
// lines of the open minute come at Close).
func (p *hearthProcess) stop(t *testing.T, msg string) []map[string]any {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	var got []map[string]any
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev["message"] == msg {
				got = append(got, ev)
			}
		case <-p.done:
			for {
				select {
				case ev := <-p.events:
					if ev["message"] == msg {
						got = append(got, ev)
					}
				default:
					return got
				}
			}
		case <-deadline:
			t.Fatal("the process did not exit within 10 s of SIGTERM")
		}
	}
}

// freePort returns a loopback address free for both UDP and TCP just now.
// The tests that use it stay serial (no t.Parallel): a parallel test's
// server could bind the port before the child process does.
func freePort(t *testing.T) string { return dnstest.FreeAddr(t) }

func configFile(t *testing.T, path, listen, upstream string) {
	t.Helper()
	yaml := fmt.Sprintf("listen: [%q]\nstate_dir: %q\nupstreams:\n  servers: [%q]\n  strategy: ordered\n  timeout: 1s\nlog:\n  format: json\n",
		listen, filepath.Dir(path), upstream)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

func askAddr(t *testing.T, addr, name string, network string) *dns.Msg {
	t.Helper()
	r, _, err := (&dns.Client{Net: network, Timeout: 3 * time.Second}).Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), addr)
	if err != nil {
		t.Fatalf("query %s over %s: %v", name, network, err)
	}
	return r
}

// TestServeProcessSignals runs hearth as a process and drives it as an
// operator would: queries over UDP and TCP, SIGHUP with a changed file,
// SIGHUP with a broken file, then SIGTERM.
func TestServeProcessSignals(t *testing.T) {
	up1, up2 := dnstest.NewServer(t), dnstest.NewServer(t)
	listen := freePort(t)
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	configFile(t, path, listen, "udp://"+up1.Addr)

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	for _, network := range []string{"udp", "tcp"} {
		if r := askAddr(t, listen, "one-"+network+".example.", network); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("over %s: %v", network, r)
		}
	}
	if up1.Queries() != 2 {
		t.Errorf("first upstream saw %d queries, want 2", up1.Queries())
	}

	configFile(t, path, listen, "udp://"+up2.Addr)
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.await(t, "config reloaded")
	askAddr(t, listen, "two.example.", "udp")
	if up2.Queries() != 1 {
		t.Errorf("after SIGHUP the new upstream saw %d queries, want 1", up2.Queries())
	}

	if err := os.WriteFile(path, []byte("cache:\n  size: lots\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.await(t, "config reload failed; still running the previous configuration")
	if r := askAddr(t, listen, "three.example.", "udp"); r.Rcode != dns.RcodeSuccess || up2.Queries() != 2 {
		t.Errorf("after a bad reload: rcode %s, upstream saw %d, want the previous configuration serving", dns.RcodeToString[r.Rcode], up2.Queries())
	}

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("hearth exited with %v, want status 0", err)
		}
	case <-ctx.Done():
		t.Fatal("hearth did not exit after SIGTERM")
	}
}

// TestServeProcessBlocks runs hearth with a configuration that blocks a
// catalogue service and a list category, as a parent would write it.
func TestServeProcessBlocks(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	yaml := fmt.Sprintf(`listen: [%q]
state_dir: %q
upstreams:
  servers: ["udp://%s"]
lists:
  sources:
    - name: family-extra
      category: ads
      domains: ["||ads.example^"]
blocking:
  block: [roblox, ads]
  response: nxdomain
log:
  format: json
`, listen, dir, up.Addr)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	for _, name := range []string{"www.roblox.com.", "cdn.ads.example."} {
		if r := askAddr(t, listen, name, "udp"); r.Rcode != dns.RcodeNameError {
			t.Errorf("%s: %s, want NXDOMAIN (blocked)", name, dns.RcodeToString[r.Rcode])
		}
	}
	if r := askAddr(t, listen, "www.example.org.", "udp"); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("allowed name: %v", r)
	}
	if up.Queries() != 1 {
		t.Errorf("upstream saw %d queries, want 1 (blocked names never leave the house)", up.Queries())
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
}
