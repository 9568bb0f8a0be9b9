package web

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestNewGroupNamesAreSlugs: a new group name from the API or the Rules
// page must be a slug, refused with 422 (the field, and the slug to write)
// in the same words as device names, with nothing written; a group the
// file has already keeps its non-slug name and can still be changed.
func TestNewGroupNamesAreSlugs(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	withOld := rulesYAML + "  old_kids:\n    safe_search: moderate\n"
	if err := os.WriteFile(path, []byte(withOld), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.opts.Backend.RequestReload(); err != nil {
		t.Fatal(err)
	}

	status, _, out := f.putJSON("/api/groups/Big%20Kids", csrf, "", kidsWithSafeSearch)
	fields, _ := out["fields"].(map[string]any)
	msg := fieldText(fields, "name")
	if status != http.StatusUnprocessableEntity || !strings.Contains(msg, `group names are lowercase letters, digits and '-'`) || !strings.Contains(msg, `(write "big-kids")`) {
		t.Errorf(`PUT /api/groups/Big Kids: %d %v, want 422 with fields.name suggesting "big-kids"`, status, out)
	}
	if data, _ := os.ReadFile(path); string(data) != withOld {
		t.Fatalf("a refused group name changed hearth.yaml:\n%s", data)
	}

	// Existing names keep working.
	status, _, out = f.putJSON("/api/groups/old_kids", csrf, "", kidsWithSafeSearch)
	if status != http.StatusOK {
		t.Errorf("PUT /api/groups/old_kids (in the file already): %d %v, want 200", status, out)
	}
	status, _, out = f.putJSON("/api/groups/big-kids", csrf, "", kidsWithSafeSearch)
	if status != http.StatusOK {
		t.Errorf("PUT /api/groups/big-kids: %d %v, want 200", status, out)
	}

	// The Rules page: create and rename say the same next to the field.
	_, page := f.get("/rules")
	before, _ := os.ReadFile(path)
	for _, tc := range []struct{ action, field, value string }{
		{"/rules/create", "name", "Little Kids"},
		{"/rules/rename", "to", "Teens_2"},
	} {
		form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "name": {"teens"}, tc.field: {tc.value}}
		if tc.action == "/rules/create" {
			form.Set("name", tc.value)
		}
		resp, body := f.post(tc.action, form)
		want := "group names are lowercase letters, digits and &#39;-&#39;, at most 40 (write &#34;" + strings.ToLower(strings.NewReplacer(" ", "-", "_", "-").Replace(tc.value)) + "&#34;)"
		if resp.StatusCode == http.StatusSeeOther {
			resp, body = f.get(resp.Header.Get("Location"))
		}
		if !strings.Contains(body, want) {
			t.Errorf("%s %s=%q: %s, no %q in the page:\n%s", tc.action, tc.field, tc.value, resp.Status, want, body)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused name on the Rules page changed hearth.yaml:\n%s", after)
	}
}

func fieldText(fields map[string]any, name string) string {
	s, _ := fields[name].(string)
	return s
}
