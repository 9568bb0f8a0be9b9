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

// A child's own daily budget from their card on the Devices page: the empty
// row filled in is saved in people: (replacing the group's for the same
// what, in force for the engine), minutes that are not a number are said
// next to the row with nothing written, and "Remove this budget" takes it
// out again.
func TestChildBudgetOnDevicesPage(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	if status, _, out := f.putJSON("/api/people/alex", csrf, "", `{"devices":["alex-tablet"]}`); status != http.StatusOK {
		t.Fatalf("PUT alex: %d %v", status, out)
	}
	_, page := f.get("/devices")
	if !strings.Contains(page, "A daily budget for alex only") {
		t.Fatalf("alex's card has no empty budget row:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "name": {"alex"}, "devices": {"alex-tablet"},
		"budgets": {"1"}, "b0.add": {"gaming"}, "b0.daily": {"forty"}}
	before, _ := os.ReadFile(path)
	resp, body := f.post("/devices/person", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="child-1-b0-err"`) || !strings.Contains(body, "forty") {
		t.Fatalf("minutes not a number: %s, no error next to the row:\n%s", resp.Status, body)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatalf("a refused budget changed hearth.yaml:\n%s", after)
	}
	form.Set("b0.daily", "45")
	if resp, body = f.post("/devices/person", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save alex's budget: %s\n%s", resp.Status, body)
	}
	if b, err := f.engine.BudgetStatus(f.clk.Now(), "alex"); err != nil || len(b) != 1 || b[0].Minutes != 45 || b[0].What != "gaming" {
		t.Fatalf("alex's budgets after saving: %+v, %v", b, err)
	}
	_, page = f.get("/devices")
	if !strings.Contains(page, `name="b0.daily" value="45"`) || !strings.Contains(page, "alex's budget 1") {
		t.Errorf("alex's saved budget is not on the card:\n%s", page)
	}
	remove := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "name": {"alex"}, "devices": {"alex-tablet"},
		"budgets": {"2"}, "b0.what": {"gaming"}, "b0.daily": {"45"}, "b0.remove": {"yes"}}
	if resp, body = f.post("/devices/person", remove); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove alex's budget: %s\n%s", resp.Status, body)
	}
	if b, _ := f.engine.BudgetStatus(f.clk.Now(), "alex"); len(b) != 0 {
		t.Errorf("alex still has budgets after removing: %+v", b)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "daily: 45m") || strings.Contains(string(data), "budgets") {
		t.Errorf("hearth.yaml still has the budget:\n%s", data)
	}
}
