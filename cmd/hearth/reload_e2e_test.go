package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// TestReloadRefusedIsVisible runs `hearth serve`, breaks hearth.yaml and
// runs `hearth reload` (what systemd's ExecReload runs): it exits non-zero
// naming the problem, the dashboard shows a banner on every page and
// /api/status says so, the old rules keep filtering; then the file is
// fixed, `hearth reload` succeeds and the banner goes.
func TestReloadRefusedIsVisible(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	webAddr := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	write := func(rules string) {
		familyConfig(t, path, listen, "udp://"+up.Addr, rules, fmt.Sprintf("web: {listen: %q}", webAddr))
	}
	write("{block: [gaming]}")
	t.Setenv("HEARTH_WEB_LISTEN", webAddr)
	passwd, _, stderr := testApp()
	passwd.stdin = strings.NewReader("family-secret-1\n")
	if code := execute(t.Context(), passwd, []string{"passwd", "--config", path}); code != 0 {
		t.Fatalf("hearth passwd: exit %d: %s", code, stderr)
	}

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")
	c := newAPIClient(t, "http://"+webAddr, "127.0.0.1")
	login := c.want(http.StatusOK, "POST", "/api/login", map[string]string{"password": "family-secret-1"})
	c.csrf, _ = login["csrf"].(string)
	page := func(path string) string {
		t.Helper()
		resp, err := c.http.Get(c.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	reload := func() (int, string, string) {
		t.Helper()
		a, stdout, stderr := testApp()
		code := execute(t.Context(), a, []string{"reload", "--config", path})
		return code, stdout.String(), stderr.String()
	}
	const banner = "Hearth is still using the previous rules"

	if code, out, errs := reload(); code != 0 || !strings.Contains(out, "reloaded") {
		t.Fatalf("reload of a good file: exit %d, %q %q", code, out, errs)
	}
	if strings.Contains(page("/now"), banner) {
		t.Fatal("banner shown after a successful reload")
	}

	// Broken: refused, said by the command, the banner and /api/status.
	write("{block: [gamingg]}")
	code, _, errs := reload()
	if code == 0 || !strings.Contains(errs, "refused") || !strings.Contains(errs, "gamingg") {
		t.Fatalf("reload of a broken file: exit %d, stderr %q", code, errs)
	}
	for _, pg := range []string{"/now", "/rules", "/devices"} {
		if body := page(pg); !strings.Contains(body, banner) || !strings.Contains(body, "gamingg") {
			t.Errorf("%s: no banner naming the problem", pg)
		}
	}
	st := c.want(http.StatusOK, "GET", "/api/status", nil)
	rl, _ := st["reload"].(map[string]any)
	if rl["refused"] != true || !strings.Contains(fmt.Sprint(rl["problems"]), "gamingg") {
		t.Errorf("/api/status reload = %v", st["reload"])
	}
	if r := askFrom(t, "127.0.0.2", listen, "www.roblox.com."); r.Rcode != 3 {
		t.Errorf("after a refused reload, the old rules must keep filtering: roblox rcode %d", r.Rcode)
	}

	// Fixed: the banner goes.
	write("{block: [gaming]}")
	if code, out, errs := reload(); code != 0 {
		t.Fatalf("reload of the fixed file: exit %d, %q %q", code, out, errs)
	}
	if body := page("/now"); strings.Contains(body, banner) {
		t.Error("banner still shown after the file was fixed and reloaded")
	}
	st = c.want(http.StatusOK, "GET", "/api/status", nil)
	if rl, _ := st["reload"].(map[string]any); rl["refused"] != false {
		t.Errorf("/api/status reload after the fix = %v", st["reload"])
	}

	// Without a running server: a clear error, not success.
	if err := os.Remove(filepath.Join(dir, "control.sock")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := reload(); code == 0 || !strings.Contains(errs, "hearth serve") {
		t.Errorf("reload without a server: exit %d, %q", code, errs)
	}
}
