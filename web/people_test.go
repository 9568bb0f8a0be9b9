package web

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// Children from the API and the Devices page: PUT /api/people/{name} with
// budgets writes hearth.yaml and the engine counts for the person at once;
// a device that does not exist is refused with the field; the page adds a
// child, ticks devices and removes the child again.
func TestPeopleAPIAndPage(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	status, _, out := f.putJSON("/api/people/alex", csrf, "", `{"devices":["alex-tablet"],"budgets":[{"what":["gaming"],"daily":"60m"}]}`)
	if status != http.StatusOK {
		t.Fatalf("PUT /api/people/alex: %d %v", status, out)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "people:") || !strings.Contains(string(data), "name: alex") {
		t.Fatalf("hearth.yaml after PUT:\n%s", data)
	}
	if devs, err := f.engine.PersonDevices("alex"); err != nil || len(devs) != 1 || devs[0] != "alex-tablet" {
		t.Errorf("the engine's alex: %v, %v", devs, err)
	}
	if b, err := f.engine.BudgetStatus(f.clk.Now(), "alex"); err != nil || len(b) != 1 || b[0].Minutes != 60 {
		t.Errorf("alex's budgets: %+v, %v", b, err)
	}
	status, _, out = f.putJSON("/api/people/sam", csrf, "", `{"devices":["sam-phone"]}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(fieldText(out["fields"].(map[string]any), "people[1].devices[0]"), "sam-phone") {
		t.Errorf("a person with an unknown device: %d %v", status, out)
	}
	status, _, out = f.putJSON("/api/people/Big%20Sam", csrf, "", `{"devices":[]}`)
	if status != http.StatusUnprocessableEntity {
		t.Errorf("a person's name that is not a slug: %d %v", status, out)
	}

	// The page: add sam, tick jo-laptop, then remove sam.
	_, page := f.get("/devices")
	resp, body := f.post("/devices/person", url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "name": {"sam"}, "devices": {"jo-laptop"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add sam: %s\n%s", resp.Status, body)
	}
	if devs, err := f.engine.PersonDevices("sam"); err != nil || len(devs) != 1 || devs[0] != "jo-laptop" {
		t.Errorf("sam after the page: %v, %v", devs, err)
	}
	_, page = f.get("/devices")
	if !strings.Contains(page, `<h3 id="child-2-h">sam</h3>`) || !strings.Contains(page, `<input type="checkbox" name="devices" value="jo-laptop" checked> jo-laptop`) {
		t.Errorf("sam's card on the Devices page:\n%s", page)
	}
	resp, body = f.post("/devices/person/delete", url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "name": {"sam"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove sam: %s\n%s", resp.Status, body)
	}
	if _, err := f.engine.PersonDevices("sam"); err == nil {
		t.Error("sam is still a person after removing")
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "name: alex") || strings.Contains(string(data), "name: sam") {
		t.Errorf("hearth.yaml after removing sam:\n%s", data)
	}
}
