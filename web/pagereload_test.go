package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/blocklists"
)

// reloadBackend refuses reloads while refuse is set, keeping the outcome as
// the running process does.
type reloadBackend struct {
	refuse []string
	last   ReloadOutcome
	asked  int
}

func (b *reloadBackend) ListStatus() []blocklists.SourceStatus { return nil }
func (b *reloadBackend) RefreshLists(context.Context) error    { return nil }
func (b *reloadBackend) LastReload() ReloadOutcome             { return b.last }
func (b *reloadBackend) RequestReload() error {
	b.asked++
	b.last = ReloadOutcome{At: pagesNoon, Refused: b.refuse != nil, Problems: b.refuse}
	if b.refuse != nil {
		return errors.New(strings.Join(b.refuse, "; "))
	}
	return nil
}

// TestPagesReloadButton: the Rules page's Reload is a CSRF-checked, audited
// form; a refused reload is the page's error and a banner on every page
// until a reload succeeds.
func TestPagesReloadButton(t *testing.T) {
	b := &reloadBackend{}
	f := newPagesFixture(t, pagesSetup{backend: b})
	csrf := f.login()
	const banner = "Hearth is still using the previous rules"

	resp, body := f.get("/rules")
	wantPage(t, "rules", resp, body, http.StatusOK, `action="/rules/reload"`, "Reload hearth.yaml")

	// Without the CSRF token: nothing is asked.
	resp, _ = f.post("/rules/reload", url.Values{})
	if resp.StatusCode != http.StatusForbidden || b.asked != 0 {
		t.Fatalf("reload without csrf: %s, asked %d", resp.Status, b.asked)
	}

	b.refuse = []string{`hearth.yaml:12: groups.kids.rules[0].block: unknown category "gamingg" (did you mean "gaming"?)`}
	resp, body = f.post("/rules/reload", url.Values{"csrf": {csrf}})
	wantPage(t, "refused reload", resp, body, http.StatusUnprocessableEntity, "Nothing was changed", banner, "gamingg")
	for _, pg := range []string{"/now", "/devices", "/log", "/report"} {
		resp, body := f.get(pg)
		wantPage(t, pg+" after a refused reload", resp, body, http.StatusOK, banner, `unknown category &#34;gamingg&#34;`)
	}

	b.refuse = nil
	resp, _ = f.post("/rules/reload", url.Values{"csrf": {csrf}})
	wantRedirect(t, "reload", resp, "/rules")
	resp, body = f.get("/rules")
	wantPage(t, "rules after the reload", resp, body, http.StatusOK, "hearth.yaml reloaded")
	if strings.Contains(body, banner) {
		t.Error("the banner stays after a successful reload")
	}

	changes, err := f.srv.audit.recent(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0].Action != "reload" || !changes[0].OK || changes[1].Action != "reload" || changes[1].OK {
		t.Errorf("audit trail: %+v", changes)
	}
}
