package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/web"
)

// A new install: no devices, no rules, the dashboard never set up.
const setupConfig = `# Hearth at first start
listen: ["127.0.0.1:0"]
allow_clients: ["127.0.0.0/8"]
state_dir: %q
upstreams: {servers: [%q]}
timezone: Europe/London
identify: {neighbours: false}
web: {listen: "127.0.0.1:0", allow_clients: ["127.0.0.1/32"]}
`

// setupBackend reloads hearth.yaml into the engine as SIGHUP does (without
// the lists: the presets' public lists would be downloaded, and tests talk
// to loopback only; the catalogue's services are compiled at the start).
type setupBackend struct {
	path   string
	engine *policy.Engine
}

func (b *setupBackend) ListStatus() []blocklists.SourceStatus { return nil }
func (b *setupBackend) RefreshLists(context.Context) error    { return errors.New("not in this test") }
func (b *setupBackend) LastReload() web.ReloadOutcome         { return web.ReloadOutcome{} }
func (b *setupBackend) RequestReload() error {
	cfg, _, err := config.Load(config.LoadOptions{File: b.path, Environ: func() []string { return nil }})
	if err != nil {
		return err
	}
	pp, err := b.engine.Prepare(cfg.Policy, cfg.ListCategories())
	if err != nil {
		return err
	}
	b.engine.Apply(pp)
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFirstStartInTheBrowser: a new install's dashboard makes a setup code
// (state file, log event); POST /api/setup with it, a password, a zone, a
// country, the 9-12 preset and new devices in kids ends logged in, with
// the kids group in hearth.yaml (comments kept, passing the checker); and
// DNS from a device nobody named, open before, answers by the kids rules.
func TestFirstStartInTheBrowser(t *testing.T) {
	up := dnstest.NewServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, setupConfig, dir, "udp://"+up.Addr), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := config.LoadOptions{File: path, Environ: func() []string { return nil }}
	cfg, src, err := config.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 11, 26, 12, 0, 0, 0, loc)) // a Thursday, school hours
	_, engine, srv := startStack(t, path, clk, policy.Options{})
	dnsAddr := srv.Addrs()[0].String()

	var logs syncBuffer
	nets, err := web.Prefixes(cfg.Web.AllowClients)
	if err != nil {
		t.Fatal(err)
	}
	dash := web.New(web.Options{
		Config: cfg.Web, Engine: engine, Backend: &setupBackend{path: path, engine: engine}, StateDir: dir,
		AllowClients: nets, Clock: clk, Logger: zerolog.New(&logs), Version: "test",
		Catalogue: blocklists.Builtin(), ConfigFile: configEditor(opts, src, cfg),
	})
	if err := dash.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dash.Shutdown(context.Background()) })
	base := "http://" + dash.Addr().String()

	// Before: an unnamed device is open.
	const unnamed = "127.0.0.5"
	if r := askFrom(t, unnamed, dnsAddr, "www.tiktok.com."); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("tiktok before setup: %s", dns.RcodeToString[r.Rcode])
	}

	// The code: in the state directory (0600) and the log.
	raw, err := os.ReadFile(filepath.Join(dir, web.SetupCodeFile))
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(string(raw))
	if !strings.Contains(logs.String(), `"event":"setup_code"`) || !strings.Contains(logs.String(), code) {
		t.Errorf("the log lacks the setup_code event with %s:\n%s", code, logs.String())
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	body, _ := json.Marshal(map[string]any{"code": code, "password": "our-family-password", "timezone": "Europe/London",
		"country": "gb", "presets": []string{"9-12"}, "new_devices": "kids"})
	resp, err := client.Post(base+"/api/setup", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"logged_in": true`)) || !bytes.Contains(out, []byte(`"saved": true`)) {
		t.Fatalf("setup: %s\n%s", resp.Status, out)
	}
	resp, err = client.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	status, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status after setup (logged in?): %s %s", resp.Status, status)
	}

	y, _ := os.ReadFile(path)
	for _, want := range []string{"# Hearth at first start", "kids:", "bedtime:", "bypass_protection: true", "new_devices:", "group: kids"} {
		if !bytes.Contains(y, []byte(want)) {
			t.Errorf("hearth.yaml lacks %q:\n%s", want, y)
		}
	}
	if _, _, err := config.Load(opts); err != nil {
		t.Errorf("hearth.yaml after setup fails check-config: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, web.SetupCodeFile)); !os.IsNotExist(err) {
		t.Errorf("setup-code still there after setup: %v", err)
	}

	// After: the unnamed device has the kids rules (social always, gaming
	// outside after-school hours); help sites stay open.
	for _, tc := range []struct {
		name  string
		rcode int
		why   string
	}{
		{"www.tiktok.com.", dns.RcodeNameError, "kids"},
		{"www.roblox.com.", dns.RcodeNameError, "kids"},
		{"www.childline.org.uk.", dns.RcodeSuccess, ""},
		{"example.org.", dns.RcodeSuccess, ""},
	} {
		r := askFrom(t, unnamed, dnsAddr, tc.name)
		if r.Rcode != tc.rcode || !strings.Contains(edeText(r), tc.why) {
			t.Errorf("%s from an unnamed device after setup: %s (%q), want %s", tc.name, dns.RcodeToString[r.Rcode], edeText(r), dns.RcodeToString[tc.rcode])
		}
	}
	if got := engine.NewDevicesGroup(); got != "kids" {
		t.Errorf("new devices group %q, want kids", got)
	}
	// The status asked before the reload's answer was read says so too now.
	resp, err = client.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	status, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(status, []byte(`"group": "kids"`)) {
		t.Errorf("/api/status has no device in kids (the unnamed ones):\n%s", status)
	}
}
