package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestUnfilteredFromRulesPage: `unfiltered: true` is set from the Rules
// page's household part only with the confirmation box ticked (else the
// page says so next to the box and nothing is written), through
// configedit like the other keys; the API shows and removes it.
func TestUnfilteredFromRulesPage(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	_, page := f.get("/rules")
	wantPage(t, "rules", &http.Response{StatusCode: 200}, page, 200, `action="/rules/unfiltered"`, "I understand: nothing may be blocked for anyone")

	form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "unfiltered": {"true"}}
	resp, body := f.post("/rules/unfiltered", form)
	wantPage(t, "filter nothing without the box ticked", resp, body, http.StatusUnprocessableEntity,
		`aria-describedby="unf-warn unf-err" aria-invalid="true"> I understand: nothing may be blocked for anyone</label>
<p class="field-error" id="unf-err">Tick the box to confirm that nothing may be blocked for anyone.</p>`)
	if data, _ := os.ReadFile(path); string(data) != rulesYAML {
		t.Fatalf("filter nothing without confirmation changed hearth.yaml:\n%s", data)
	}

	form.Set("confirm", "yes")
	resp, _ = f.post("/rules/unfiltered", form)
	wantRedirect(t, "filter nothing, confirmed", resp, "/rules")
	data, _ := os.ReadFile(path)
	if want := rulesYAML + "unfiltered: true\n"; string(data) != want {
		t.Errorf("hearth.yaml after filter nothing:\n%s\nwant:\n%s", data, want)
	}
	resp, page = f.get("/rules")
	wantPage(t, "rules, unfiltered", resp, page, http.StatusOK, "Filtering nothing is allowed", "Keep protecting when nothing is chosen")

	resp, raw := f.get("/api/household")
	var h map[string]any
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h["unfiltered"] != true {
		t.Errorf("GET /api/household: %s %s, want unfiltered: true", resp.Status, raw)
	}
	status, _, out := f.putJSON("/api/household", csrf, "", `{"unfiltered": null}`)
	if status != http.StatusOK {
		t.Fatalf("PUT /api/household unfiltered null: %d %v", status, out)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "unfiltered") {
		t.Errorf("unfiltered: null left it in hearth.yaml:\n%s", data)
	}
}
