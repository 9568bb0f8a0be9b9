package web

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// Daily budgets in the group editor: a budget row added, filled in (gaming,
// 60 minutes on school days, 120 at weekends) and saved into hearth.yaml
// in the file's shape, in force for the engine at once; minutes that are
// not a number are said next to the budget with nothing written; an
// existing budget comes back into the form as minutes.
func TestGroupEditorBudgets(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	_, body := f.get("/rules/group?name=kids")
	version := versionOf(t, body)
	// kids as rulesYAML has it, so a save keeps its rules and bedtime.
	rules := url.Values{"rules": {"2"}, "r0.block": {"gambling"}, "r0.mode": {"always"},
		"r1.block": {"gaming"}, "r1.mode": {"outside"}, "r1.wn": {"1"}, "r1.w0.day": {"mon", "tue", "wed", "thu", "fri"},
		"r1.w0.from": {"16:00"}, "r1.w0.to": {"19:00"},
		"bed.wn": {"1"}, "bed.w0.day": {"sun", "mon", "tue", "wed", "thu"}, "bed.w0.from": {"21:30"}, "bed.w0.to": {"07:00"}}

	resp, body := f.post("/rules/group", groupForm(csrf, version, "kids", "addbudget", rules))
	wantPage(t, "add a budget", resp, body, http.StatusOK, `name="b0.add"`, `name="b0.school_days"`, `<legend>Budget 1</legend>`)

	bad := cloneValues(rules)
	bad.Set("budgets", "1")
	bad.Set("b0.add", "gaming")
	bad.Set("b0.school_days", "an hour")
	before, _ := os.ReadFile(path)
	resp, body = f.post("/rules/group", groupForm(csrf, version, "kids", "save", bad))
	wantPage(t, "minutes not a number", resp, body, http.StatusUnprocessableEntity, `id="b0-err"`, `aria-describedby="b0-err"`)
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatalf("a refused budget changed hearth.yaml:\n%s", after)
	}

	good := cloneValues(rules)
	good.Set("budgets", "1")
	good.Set("b0.add", "gaming")
	good.Set("b0.school_days", "60")
	good.Set("b0.weekends", "120")
	resp, body = f.post("/rules/group", groupForm(csrf, version, "kids", "save", good))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %s\n%s", resp.Status, body[strings.Index(body, "role=\"alert\""):][:600])
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "budgets:") || !strings.Contains(string(data), "school_days: 60m") || !strings.Contains(string(data), "weekends: 120m") {
		t.Fatalf("hearth.yaml after saving a budget:\n%s", data)
	}
	if b, err := f.engine.BudgetStatus(f.clk.Now(), ""); err != nil || len(b) == 0 || b[0].What != "gaming" {
		t.Errorf("the engine's budgets after saving: %+v, %v", b, err)
	}
	_, body = f.get("/rules/group?name=kids")
	if !strings.Contains(body, `name="b0.school_days" value="60"`) || !strings.Contains(body, `name="b0.weekends" value="120"`) ||
		!strings.Contains(body, `<input type="checkbox" name="b0.what" value="gaming" checked>`) {
		t.Errorf("the saved budget is not back in the form:\n%s", body)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
