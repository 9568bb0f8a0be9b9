package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/configedit"
)

// putJSON sends PUT path with body and an If-Match of version (none if ""),
// and returns the status, the ETag and the decoded answer.
func (f *pagesFixture) putJSON(path, csrf, version, body string) (int, string, map[string]any) {
	f.t.Helper()
	r, err := http.NewRequest("PUT", f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRF-Token", csrf)
	if version != "" {
		r.Header.Set("If-Match", `"`+version+`"`)
	}
	resp, err := f.client.Do(r)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		f.t.Fatalf("PUT %s: %d %q: %v", path, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, resp.Header.Get("ETag"), out
}

const kidsWithSafeSearch = `{"rules":[{"block":["gambling"]}],"safe_search":"strict"}`

// TestPutGroupStale: a change made from a version the file no longer has is
// refused with 409 and the version it has now, and the file is untouched;
// made again from that version, it is saved.
func TestPutGroupStale(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	before := configedit.Version([]byte(rulesYAML))

	// Someone edits the file by hand after the page was loaded.
	edited := strings.Replace(rulesYAML, "# The family's rules.", "# The family's rules, edited by hand.", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	now := configedit.Version([]byte(edited))

	status, etag, out := f.putJSON("/api/groups/kids", csrf, before, kidsWithSafeSearch)
	if status != http.StatusConflict {
		t.Fatalf("stale PUT: %d %v, want 409", status, out)
	}
	if out["version"] != now || etag != `"`+now+`"` {
		t.Errorf("stale PUT: version %v, ETag %s; want the file's %s", out["version"], etag, now)
	}
	if msg, _ := out["error"].(string); !strings.Contains(msg, "changed since it was read") {
		t.Errorf("stale PUT: error %q", msg)
	}
	if data, _ := os.ReadFile(path); string(data) != edited {
		t.Fatal("a stale PUT changed hearth.yaml")
	}

	status, etag, out = f.putJSON("/api/groups/kids", csrf, now, kidsWithSafeSearch)
	if status != http.StatusOK {
		t.Fatalf("PUT from the current version: %d %v", status, out)
	}
	data, _ := os.ReadFile(path)
	if etag != `"`+configedit.Version(data)+`"` || !strings.Contains(string(data), "safe_search: strict") ||
		!strings.Contains(string(data), "edited by hand") {
		t.Errorf("after the PUT: ETag %s, file:\n%s", etag, data)
	}
}

// TestPutGroupReadOnly: a valid change to a file Hearth cannot save is
// refused with why and the whole file as it would be, to paste; nothing is
// written or applied. Turned off by web.edit_config it is 403, not 409.
func TestPutGroupReadOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		prep   func(t *testing.T, f *pagesFixture, path string)
		status int
		why    string
	}{
		{"not writable", func(t *testing.T, f *pagesFixture, path string) {
			if os.Geteuid() == 0 {
				t.Skip("root can write anything: the no-file case covers the answer")
			}
			dir := filepath.Dir(path)
			if err := os.Chmod(path, 0o444); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		}, http.StatusConflict, "cannot be written by Hearth"},
		{"no file", func(t *testing.T, f *pagesFixture, path string) {
			// Running on the built-in defaults, which the fixture's
			// check (the policy alone, no defaults) cannot judge.
			f.srv.opts.ConfigFile.Path = ""
			f.srv.opts.ConfigFile.Check = func([]byte) error { return nil }
		}, http.StatusConflict, "no hearth.yaml"},
		{"turned off", func(t *testing.T, f *pagesFixture, path string) {
			f.srv.opts.ConfigFile.Off = "web.edit_config is false"
		}, http.StatusForbidden, "web.edit_config is false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, csrf, path := newRulesFixture(t)
			tc.prep(t, f, path)
			status, _, out := f.putJSON("/api/groups/kids", csrf, "", kidsWithSafeSearch)
			if status != tc.status {
				t.Fatalf("PUT: %d %v, want %d", status, out, tc.status)
			}
			why, _ := out["why"].(string)
			yaml, _ := out["yaml"].(string)
			if !strings.Contains(why, tc.why) {
				t.Errorf("why = %q, want it to say %q", why, tc.why)
			}
			kept := tc.name == "no file" || strings.Contains(yaml, "# The family's rules.")
			if !strings.Contains(yaml, "safe_search: strict") || !kept {
				t.Errorf("yaml to paste lacks the change or the comments:\n%s", yaml)
			}
			if msg, _ := out["error"].(string); !strings.Contains(msg, "cannot be saved") {
				t.Errorf("error = %q", msg)
			}
			if data, _ := os.ReadFile(path); !bytes.Equal(data, []byte(rulesYAML)) {
				t.Error("hearth.yaml changed")
			}
		})
	}
}
