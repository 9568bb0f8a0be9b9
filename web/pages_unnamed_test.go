package web

import (
	"net/http"
	"testing"
)

// TestNowUnnamedDevices: the Now page's unknown-devices card says how many
// devices are not named yet and whose rules they get.
func TestNowUnnamedDevices(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.login()
	resp, body := f.get("/now")
	wantPage(t, "now, nobody new", resp, body, http.StatusOK, "No devices are waiting for a name; new ones get the default group&#39;s rules.")
	for _, a := range []string{"127.0.0.91", "127.0.0.92", "127.0.0.93"} {
		f.see(a)
	}
	resp, body = f.get("/now")
	wantPage(t, "now", resp, body, http.StatusOK, "3 devices not named yet: they get the default group&#39;s rules.")
}
