package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/hearth-dns/hearth/web"
)

// passwdConfig writes a configuration whose state_dir is a new temporary
// directory, and returns the file and the directory.
func passwdConfig(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("state_dir: %q\n", state)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, state
}

// runPasswd runs hearth with args, stdin as its standard input.
func runPasswd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	a, out, errOut := testApp()
	a.stdin = strings.NewReader(stdin)
	code := execute(context.Background(), a, args)
	return code, out.String(), errOut.String()
}

type adminJSON struct {
	Version  int    `json:"version"`
	Password string `json:"password"`
	Tokens   []struct {
		Name, Hash, Created string
	} `json:"tokens"`
}

func readAdminJSON(t *testing.T, state string) adminJSON {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, web.AdminFile))
	if err != nil {
		t.Fatal(err)
	}
	var f adminJSON
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("admin.json: %v\n%s", err, b)
	}
	return f
}

func TestPasswdFromPipe(t *testing.T) {
	t.Parallel()
	cfg, state := passwdConfig(t)
	code, out, errOut := runPasswd(t, "a long family password\r\n", "passwd", "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(state, web.AdminFile)
	containsAll(t, "passwd", out, "Set the dashboard's admin password in "+path, "without a restart")
	f := readAdminJSON(t, state)
	if f.Version != 1 || bcrypt.CompareHashAndPassword([]byte(f.Password), []byte("a long family password")) != nil {
		t.Errorf("admin.json: %+v", f)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.json mode: %v, %v", fi.Mode(), err)
	}
	if !web.NewAuth(state, nil, 0).PasswordSet() {
		t.Error("the dashboard sees no password")
	}

	// Short, or none: refused, the old password kept.
	for _, in := range []string{"short\n", "", "\n"} {
		code, _, errOut := runPasswd(t, in, "passwd", "-c", cfg)
		if code != exitError || !strings.Contains(errOut, "hearth: ") {
			t.Errorf("password %q: exit %d, %q", in, code, errOut)
		}
	}
	if _, _, errOut := runPasswd(t, "short\n", "passwd", "-c", cfg); !strings.Contains(errOut, "at least 8") {
		t.Errorf("short password: %q", errOut)
	}
	if g := readAdminJSON(t, state); g.Password != f.Password {
		t.Error("a refused password replaced the old one")
	}
}

func TestPasswdTokens(t *testing.T) {
	t.Parallel()
	cfg, state := passwdConfig(t)
	if code, out, errOut := runPasswd(t, "", "passwd", "-c", cfg, "--list-tokens"); code != 0 || !strings.Contains(out, "No API tokens") {
		t.Errorf("list with none: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut := runPasswd(t, "", "passwd", "-c", cfg, "--token", "backup-script")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	tok := regexp.MustCompile(`hth_[A-Za-z0-9_-]{43}`).FindString(out)
	if tok == "" || !strings.Contains(out, "Created") ||
		!regexp.MustCompile(`curl -H "Authorization: Bearer `+tok+`" http://[^ ]+:\d+/api/status\n`).MatchString(out) {
		t.Fatalf("token output:\n%s", out)
	}
	f := readAdminJSON(t, state)
	if len(f.Tokens) != 1 || f.Tokens[0].Name != "backup-script" || len(f.Tokens[0].Hash) != 64 || f.Password != "" {
		t.Errorf("admin.json: %+v", f)
	}

	// The token lets a script in.
	a := web.NewAuth(state, nil, 0)
	r := httptest.NewRequest("GET", "/api/status", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if p, ok := a.Principal(r); !ok || p.Kind != "token" || p.Name != "backup-script" {
		t.Errorf("principal for the new token: %+v %v", p, ok)
	}

	if code, out, _ := runPasswd(t, "", "passwd", "-c", cfg, "--token", "backup-script"); code != 0 || !strings.Contains(out, "Replaced") {
		t.Errorf("same name again: exit %d, %q", code, out)
	}
	if _, _, errOut := runPasswd(t, "", "passwd", "-c", cfg, "--token", "Bad Name"); !strings.Contains(errOut, "a-z, 0-9") {
		t.Errorf("bad name: %q", errOut)
	}
	code, out, _ = runPasswd(t, "", "passwd", "-c", cfg, "--list-tokens")
	if code != 0 || !regexp.MustCompile(`NAME +CREATED\nbackup-script +\d{4}-\d\d-\d\d \d\d:\d\d\n$`).MatchString(out) || strings.Contains(out, "hth_") {
		t.Errorf("list:\n%s", out)
	}

	code, _, errOut = runPasswd(t, "", "passwd", "-c", cfg, "--revoke", "backup")
	if code != exitError || !strings.Contains(errOut, `no token is called "backup"; the tokens are: backup-script`) {
		t.Errorf("revoke unknown: exit %d, %q", code, errOut)
	}
	if code, out, _ := runPasswd(t, "", "passwd", "-c", cfg, "--revoke", "backup-script"); code != 0 || !strings.Contains(out, "Revoked") {
		t.Errorf("revoke: exit %d, %q", code, out)
	}
	if f := readAdminJSON(t, state); len(f.Tokens) != 0 {
		t.Errorf("after revoking: %+v", f)
	}

	// Setting the password keeps the tokens.
	runPasswd(t, "", "passwd", "-c", cfg, "--token", "ha")
	if code, _, errOut := runPasswd(t, "a long family password\n", "passwd", "-c", cfg); code != 0 {
		t.Fatalf("passwd: %d %s", code, errOut)
	}
	if f := readAdminJSON(t, state); len(f.Tokens) != 1 || f.Tokens[0].Name != "ha" || f.Password == "" {
		t.Errorf("after setting the password: %+v", f)
	}
}

func TestPasswdUsage(t *testing.T) {
	t.Parallel()
	cfg, _ := passwdConfig(t)
	for _, args := range [][]string{
		{"passwd", "-c", cfg, "--token", "a", "--revoke", "b"},
		{"passwd", "-c", cfg, "--list-tokens", "--token", "a"},
		{"passwd", "-c", cfg, "extra"},
	} {
		if code, _, errOut := runPasswd(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if code, _, errOut := runPasswd(t, "", "passwd", "-c", filepath.Join(t.TempDir(), "missing.yaml")); code != exitError {
		t.Errorf("missing config: exit %d, %q", code, errOut)
	}
}

// TestPasswdGivesFileToService: as root, admin.json goes to the owner of
// the state directory (the service's user), so the service can read it.
// Not as root, the file stays the caller's.
func TestPasswdGivesFileToService(t *testing.T) {
	t.Parallel()
	cfg, state := passwdConfig(t)
	if err := os.MkdirAll(state, 0o750); err != nil {
		t.Fatal(err)
	}
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		uid, gid = 64123, 64124 // as a DynamicUser might get
		if err := os.Chown(state, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"passwd", "-c", cfg}, {"passwd", "-c", cfg, "--token", "x"}} {
		if code, _, errOut := runPasswd(t, "a long family password\n", args...); code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, errOut)
		}
		fi, err := os.Stat(filepath.Join(state, web.AdminFile))
		if err != nil {
			t.Fatal(err)
		}
		if u, g, ok := fileOwner(fi); !ok || u != uid || g != gid || fi.Mode().Perm() != 0o600 {
			t.Errorf("%v: admin.json owned by %d:%d (%v), mode %v; want %d:%d, 0600", args, u, g, ok, fi.Mode(), uid, gid)
		}
	}
}

func TestDashboardURL(t *testing.T) {
	t.Parallel()
	host, _ := os.Hostname()
	for listen, want := range map[string]string{
		":8080":            "http://" + host + ":8080",
		"0.0.0.0:9000":     "http://" + host + ":9000",
		"192.168.1.2:8080": "http://192.168.1.2:8080",
		"[fd00::2]:8080":   "http://[fd00::2]:8080",
		"127.0.0.1:0":      "http://127.0.0.1:8080",
		"not an address":   "http://" + host + ":8080",
	} {
		if got := dashboardURL(listen); got != want {
			t.Errorf("dashboardURL(%q) = %q, want %q", listen, got, want)
		}
	}
}

func TestFileOwner(t *testing.T) {
	t.Parallel()
	fi, err := os.Stat(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if uid, _, ok := fileOwner(fi); !ok || uid != os.Geteuid() {
		t.Errorf("fileOwner of a new directory: %d, %v; want %d", uid, ok, os.Geteuid())
	}
}
