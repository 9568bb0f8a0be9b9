package web

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestHouseholdFormErrorsNextToFields: the Rules page's household form
// refuses a zone that does not exist and a holiday line that is not a date,
// says each next to its field with what was typed kept, and writes
// nothing; a good form is saved into hearth.yaml.
func TestHouseholdFormErrorsNextToFields(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	before, _ := os.ReadFile(path)
	_, page := f.get("/rules")
	form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "timezone": {"Mars/Olympus"}, "holidays": {"2027-13-01 easter"}}
	resp, body := f.post("/rules/household", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad household: %s, want 422\n%s", resp.Status, body)
	}
	for _, want := range []struct{ id, text, typed string }{
		{"tz-err", "Mars/Olympus", `id="tz" name="timezone" value="Mars/Olympus"`},
		{"hol-err", "2027-13-01", `>2027-13-01 easter</textarea>`},
	} {
		_, next, ok := strings.Cut(body, `<p class="field-error" id="`+want.id+`">`)
		next, _, _ = strings.Cut(next, "</p>")
		if !ok || !strings.Contains(next, want.text) || !strings.Contains(body, want.typed) || !strings.Contains(body, want.id+`" aria-invalid="true"`) {
			t.Errorf("%s: not next to its field (%q, %q):\n%s", want.id, next, want.typed, body)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused household changed hearth.yaml:\n%s", after)
	}

	form.Set("timezone", "Europe/Dublin")
	form.Set("holidays", "2027-05-31")
	resp, body = f.post("/rules/household", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good household: %s\n%s", resp.Status, body)
	}
	if after, _ := os.ReadFile(path); !strings.Contains(string(after), "Europe/Dublin") || !strings.Contains(string(after), "2027-05-31") {
		t.Errorf("hearth.yaml after saving the household:\n%s", after)
	}
}

// TestPauseUntilErrorNextToField: a "pause until" time the service cannot
// read is said next to that device's Until field, typed value kept.
func TestPauseUntilErrorNextToField(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	csrf := f.login()
	resp, body := f.post("/now/pause", url.Values{"csrf": {csrf}, "device": {"alex-tablet"}, "until": {"half past"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("pause until half past: %s, want 422", resp.Status)
	}
	i := strings.Index(body, `<h2 id="dev-`)
	if i < 0 {
		t.Fatalf("no device card:\n%s", body)
	}
	var card string
	for _, c := range strings.Split(body[i:], "<section") {
		if strings.Contains(c, ">alex-tablet</h2>") {
			card = c
		}
	}
	_, next, ok := strings.Cut(card, `-until-err">`)
	next, _, _ = strings.Cut(next, "</p>")
	if !ok || !strings.Contains(next, "half past") || !strings.Contains(card, `name="until" value="half past"`) || !strings.Contains(card, "<details class=\"more\" open>") {
		t.Errorf("the problem is not next to alex-tablet's Until field:\n%s", card)
	}
	if n := strings.Count(body, `class="field-error"`); n != 1 {
		t.Errorf("%d field errors on the page, want 1", n)
	}
}
