package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/policy"
)

// Daily budgets in the JSON API: /api/status gives every owner's budget
// with the decision's figures, ?person= keeps one person's (an unknown one
// is 404 with a suggestion), and POST /api/budgets/{owner}/bonus adds
// minutes for today, audited.
func TestBudgetsAPI(t *testing.T) {
	t.Parallel()
	f, play := newBudgetFixture(t)
	csrf := f.login()

	// Twenty minutes of Roblox on the switch.
	for range 20 {
		if d := play(1); d.Action != policy.Allow {
			t.Fatalf("roblox: %+v", d)
		}
	}
	code, body := f.api("GET", "/api/status?person=Alex", csrf, nil)
	budgets, _ := body["budgets"].([]any)
	if code != http.StatusOK || len(budgets) != 1 || body["person"] != "alex" {
		t.Fatalf("status for alex: %d %v", code, body)
	}
	b := budgets[0].(map[string]any)
	if b["owner"] != "alex" || b["what"] != "gaming" || b["used"] != 20.0 || b["left"] != 40.0 || b["minutes"] != 60.0 ||
		b["spent"] != false || b["text"] != "gaming: 40 of 60 minutes left today" {
		t.Errorf("alex's budget %v", b)
	}
	if devs, _ := body["devices"].([]any); len(devs) != 2 {
		t.Errorf("alex's devices %v", body["devices"])
	}
	code, body = f.api("GET", "/api/status?person=alx", csrf, nil)
	if code != http.StatusNotFound || !strings.Contains(fmt.Sprint(body), `did you mean \"alex\"?`) && !strings.Contains(fmt.Sprint(body), `did you mean "alex"?`) {
		t.Errorf("unknown person: %d %v", code, body)
	}

	code, body = f.api("POST", "/api/budgets/alex/bonus", csrf, map[string]any{"what": "gaming", "minutes": 15})
	if code != http.StatusCreated {
		t.Fatalf("bonus: %d %v", code, body)
	}
	ov := body["override"].(map[string]any)
	if ov["kind"] != "extra-minutes" || ov["person"] != "alex" || ov["minutes"] != 15.0 {
		t.Errorf("override %v", ov)
	}
	_, body = f.api("GET", "/api/status", csrf, nil)
	for _, x := range body["budgets"].([]any) {
		if b := x.(map[string]any); b["owner"] == "alex" && (b["bonus"] != 15.0 || b["allowed"] != 75.0 || b["left"] != 55.0) {
			t.Errorf("after the bonus: %v", b)
		}
	}
	for _, tc := range []struct {
		owner string
		body  map[string]any
		code  int
		want  string
	}{
		{"alex", map[string]any{"what": "video", "minutes": 15}, http.StatusUnprocessableEntity, "alex has no budget"},
		{"alex", map[string]any{"what": "gaming", "minutes": 0}, http.StatusUnprocessableEntity, "outside 1..1440"},
		{"nobody", map[string]any{"what": "gaming", "minutes": 5}, http.StatusNotFound, `no person "nobody"`},
		{"alex-tablet", map[string]any{"what": "gaming", "minutes": 5}, http.StatusUnprocessableEntity, "belongs to alex"},
	} {
		code, body := f.api("POST", "/api/budgets/"+tc.owner+"/bonus", csrf, tc.body)
		if code != tc.code || !strings.Contains(fmt.Sprint(body), tc.want) {
			t.Errorf("%s %v: %d %v, want %d %q", tc.owner, tc.body, code, body, tc.code, tc.want)
		}
	}
	_, body = f.api("GET", "/api/audit", csrf, nil)
	if !strings.Contains(fmt.Sprint(body), "+15 minutes of gaming today") {
		t.Errorf("audit trail: %v", body)
	}
}
