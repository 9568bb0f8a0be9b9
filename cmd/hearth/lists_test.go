package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// listsFixture writes a configuration with a URL list (served on loopback), a
// file list and an inline list, blocking "ads" for everyone. status, when
// set, makes the server fail.
type listsFixture struct {
	path   string
	mu     sync.Mutex
	status int
}

func newListsFixture(t *testing.T) *listsFixture {
	t.Helper()
	s := &listsFixture{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("ETag", `"1"`)
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "# web list\n||ads.example^\n0.0.0.0 tracker.example\n")
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.txt")
	if err := os.WriteFile(file, []byte("mine.example\nthis is not a rule\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.path = writeFile(t, fmt.Sprintf(`state_dir: %s
lists:
  sources:
    - name: web
      category: ads
      url: %s/list.txt
    - name: mine
      category: ads
      file: %s
    - name: inline
      category: social-extra
      domains: ["||inline.example^"]
blocking:
  block: [ads]
`, filepath.Join(dir, "state"), srv.URL, file))
	return s
}

func (s *listsFixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, stdout, stderr := testApp()
	code := execute(context.Background(), a, append(args, "--config", s.path))
	return code, stdout.String(), stderr.String()
}

func containsAll(t *testing.T, what, out string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(out, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, out)
		}
	}
}

func TestListsCommands(t *testing.T) {
	t.Parallel()
	s := newListsFixture(t)

	// Before any download the table says so; the other lists are there.
	code, out, errOut := s.run(t, "lists")
	if code != 0 {
		t.Fatalf("lists: status %d: %s", code, errOut)
	}
	containsAll(t, "lists", out, "catalogue: ", "NAME", "web", "no copy downloaded yet",
		"mine", "file", "1  ", "1 (lines 2)", "inline", "social-extra")

	code, out, errOut = s.run(t, "lists", "update")
	if code != 0 {
		t.Fatalf("lists update: status %d: %s%s", code, out, errOut)
	}
	containsAll(t, "lists update", out, "web", "updated: 2 entries")
	code, out, _ = s.run(t, "lists", "update")
	if code != 0 {
		t.Fatalf("second update: status %d", code)
	}
	containsAll(t, "second update", out, "not modified: 2 entries")

	code, out, _ = s.run(t, "lists")
	if code != 0 || strings.Contains(out, "no copy") {
		t.Errorf("lists after update: status %d\n%s", code, out)
	}

	code, out, _ = s.run(t, "lists", "test", "X.Ads.Example.")
	if code != 0 {
		t.Errorf("lists test: status %d", code)
	}
	containsAll(t, "lists test", out, "web", "||ads.example^", "blocking.block: ads",
		"x.ads.example: blocked for everyone: ads/web ||ads.example^ (blocking.block)")

	code, out, _ = s.run(t, "lists", "test", "inline.example")
	if code != 0 {
		t.Errorf("lists test inline: status %d", code)
	}
	containsAll(t, "lists test inline", out, "inline", "social-extra", "listed, but not in blocking.block")

	code, out, _ = s.run(t, "lists", "test", "example.org")
	if code != 0 || out != "example.org: not blocked by any list\n" {
		t.Errorf("lists test example.org: status %d, %q", code, out)
	}

	if code, _, errOut := s.run(t, "lists", "test", "a..b"); code != 2 || !strings.Contains(errOut, "not a domain name") {
		t.Errorf("lists test a..b: status %d, %q", code, errOut)
	}

	// A failing server: exit 1, the copy is kept and still matches.
	s.mu.Lock()
	s.status = http.StatusInternalServerError
	s.mu.Unlock()
	code, out, _ = s.run(t, "lists", "update")
	if code != 1 {
		t.Errorf("failed update: status %d, want 1", code)
	}
	containsAll(t, "failed update", out, "web", "failed: HTTP error: 500", "keeping the copy from")
	_, out, _ = s.run(t, "lists", "test", "tracker.example")
	containsAll(t, "lists test after failure", out, "tracker.example: blocked for everyone")
}

func TestListsServiceMatch(t *testing.T) {
	t.Parallel()
	s := newListsFixture(t)
	code, out, errOut := s.run(t, "lists", "test", "www.roblox.com")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errOut)
	}
	containsAll(t, "lists test roblox", out, "roblox", "service", "gaming", "||roblox.com^", "listed, but not in blocking.block",
		"note: web has not been downloaded yet")
}

func TestListsBadConfig(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "lists:\n  sources:\n    - name: x\n      category: ads\n      file: /nonexistent/list.txt\n")
	a, _, stderr := testApp()
	if code := execute(context.Background(), a, []string{"lists", "--config", path}); code != 1 {
		t.Errorf("status %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "/nonexistent/list.txt") {
		t.Errorf("stderr does not name the file: %s", stderr)
	}
}
