package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
)

// ?person= on the report and the log, in the API and on the Report page:
// the child's devices only; an unknown person is 404 with the closest
// name; a person and a device together are refused.
func TestReportAndLogByPerson(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(pagesNoon)
	cfg := pagesHousehold()
	cfg.People = []policy.PersonConfig{{Name: "alex", Devices: []string{"alex-tablet"}}}
	f := newPagesFixture(t, pagesSetup{clk: clk, engine: policytest.Engine(t, cfg, clk), seedDays: 1})
	csrf := f.login()

	code, body := f.api("GET", "/api/report?person=alex", csrf, nil)
	devices, _ := body["devices"].([]any)
	if code != http.StatusOK || len(devices) != 1 || devices[0].(map[string]any)["name"] != "alex-tablet" || body["person"] != "alex" {
		t.Fatalf("report for alex: %d %v", code, body)
	}
	code, body = f.api("GET", "/api/log?person=alex", csrf, nil)
	rows, _ := body["rows"].([]any)
	if code != http.StatusOK || len(rows) == 0 {
		t.Fatalf("log for alex: %d %v", code, body)
	}
	for _, r := range rows {
		if d := r.(map[string]any)["device"]; d != "alex-tablet" {
			t.Errorf("a row of %v in alex's log", d)
		}
	}
	resp, page := f.get("/api/report?person=alec")
	wantPage(t, "unknown person", resp, page, http.StatusNotFound, `did you mean \"alex\"?`)
	resp, page = f.get("/api/log?person=alex&device=jo-laptop")
	wantPage(t, "person and device", resp, page, http.StatusUnprocessableEntity, "set a device or a person, not both")

	resp, page = f.get("/report?person=alex")
	wantPage(t, "report page", resp, page, http.StatusOK, "About alex (all their devices).", `<option value="alex" selected>alex (all their devices)</option>`, "/report/full?person=alex")
	if strings.Contains(page, "jo-laptop</h2>") {
		t.Errorf("jo-laptop's section in alex's report page")
	}
}
