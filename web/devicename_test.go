package web

import (
	"net/http"
	"testing"
)

// TestUnknownDeviceFilter: ?device= with a typo is a 404 with the nearest
// name, in the API and on the pages, never an empty "nothing blocked".
func TestUnknownDeviceFilter(t *testing.T) {
	f := newPagesFixture(t, pagesSetup{seedDays: 1})
	f.login()
	for _, path := range []string{"/api/log?device=alex_tablet", "/api/report?device=alex_tablet"} {
		resp, body := f.get(path)
		wantPage(t, path, resp, body, http.StatusNotFound, `no device \"alex_tablet\": did you mean \"alex-tablet\"?`)
	}
	resp, body := f.get("/log?device=alex_tablet")
	wantPage(t, "log page", resp, body, http.StatusNotFound, "did you mean &#34;alex-tablet&#34;?")
	for _, path := range []string{"/api/log?device=alex-tablet", "/api/log?device=" + pagesKidIP} {
		resp, body := f.get(path)
		wantPage(t, path, resp, body, http.StatusOK, "www.roblox.com")
	}
}
