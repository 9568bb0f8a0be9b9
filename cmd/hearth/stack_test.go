package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/resolvertest"
	"github.com/hearth-dns/hearth/web"
)

// startStack puts together, as internal/app does but on the fake clock clk,
// the policy engine (with opts: its state stores) and the lists of the
// configuration file at path, and a real resolver on loopback asking them.
// It returns the loaded configuration, the engine and the resolver.
func startStack(t *testing.T, path string, clk *clocktest.Fake, opts policy.Options) (*config.Config, *policy.Engine, *resolver.Server) {
	t.Helper()
	cfg, _, err := config.Load(config.LoadOptions{File: path, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	opts.Clock, opts.ListCategories = clk, cfg.ListCategories()
	engine, err := policy.NewEngine(cfg.Policy, opts)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := blocklists.New(cfg.Lists, blocklists.Options{Dir: cfg.ListsDir(), Catalogue: blocklists.Builtin(),
		Categories: cfg.Policy.Categories(blocklists.Builtin())})
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := lists.Compile()
	if err != nil {
		t.Fatal(err)
	}
	engine.SetLists(compiled)
	srv := resolvertest.Start(t, cfg.Config, resolver.Options{Logger: zerolog.Nop(), Clock: clk, Policy: engine})
	return cfg, engine, srv
}

// startDashboard serves the dashboard for engine on loopback (state in dir,
// on clk), with password set, and returns a client logged in with it.
func startDashboard(t *testing.T, engine *policy.Engine, dir string, clk *clocktest.Fake, password string) *dashClient {
	t.Helper()
	if err := web.SetPassword(dir, password); err != nil {
		t.Fatal(err)
	}
	dash := web.New(web.Options{
		Config: web.Config{Enabled: true, Listen: "127.0.0.1:0", SessionTTL: 24 * 365 * time.Hour}, Engine: engine, StateDir: dir,
		AllowClients: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Clock: clk, Logger: zerolog.Nop(), Version: "test",
		Catalogue: blocklists.Builtin(),
	})
	return loginDashboard(t, dash.Handler(), password)
}

// dashClient is a logged-in client of a dashboard served by handler.
type dashClient struct {
	t      *testing.T
	url    string
	client *http.Client
}

// loginDashboard serves handler on loopback and logs in with password.
func loginDashboard(t *testing.T, handler http.Handler, password string) *dashClient {
	t.Helper()
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &dashClient{t: t, url: hs.URL, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	body, _ := json.Marshal(map[string]string{"password": password})
	req, _ := http.NewRequest("POST", hs.URL+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	return c
}

// get fetches path and fails the test unless it answers 200.
func (c *dashClient) get(path string) []byte {
	c.t.Helper()
	resp, err := c.client.Get(c.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %s\n%s", path, resp.Status, b)
	}
	return b
}
