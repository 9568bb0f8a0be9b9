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
		// Next to its field, with what was typed kept and the field marked.
		errID, input := "new-name-err", `id="new-name" name="name" value="`+tc.value+`"`
		if tc.field == "to" {
			id := groupSectionID(t, body, "teens")
			errID, input = id+"-to-err", `id="`+id+`-to" name="to" value="`+tc.value+`"`
		}
		_, next, _ := strings.Cut(body, `<p class="field-error" id="`+errID+`">`)
		next, _, _ = strings.Cut(next, "</p>")
		if !strings.Contains(next, want) || !strings.Contains(body, input) || !strings.Contains(body, errID+`" aria-invalid="true"`) {
			t.Errorf("%s %s=%q: the problem is not next to the field (%s, %s):\n%s", tc.action, tc.field, tc.value, errID, input, body)
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

// groupSectionID is the id the Rules page gives group's section ("g2"),
// read from its heading.
func groupSectionID(t *testing.T, page, group string) string {
	t.Helper()
	i := strings.Index(page, `">Group `+group+`</h2>`)
	j := strings.LastIndex(page[:max(i, 0)], `<h2 id="`)
	if i < 0 || j < 0 {
		t.Fatalf("no section for group %s in the page", group)
	}
	return strings.TrimSuffix(page[j+len(`<h2 id="`):i], "-h")
}
