package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/hearth-dns/hearth/policy/state"
)

// TestNameDeviceKeepsAnOldName: a device named before the naming rule
// keeps its name (moving it to another group does not ask for a new one),
// but a new name that is not a slug is refused with the slug suggested.
func TestNameDeviceKeepsAnOldName(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.see(pagesGuestIP)
	key := "ip:" + pagesGuestIP
	// As the state directory of an older Hearth has it.
	if err := f.engine.Assign(state.Assignment{Key: key, Name: "Sam's Phone", Group: "kids", By: "test"}); err != nil {
		t.Fatal(err)
	}
	csrf := f.login()
	resp, _ := f.post("/devices/name", url.Values{"csrf": {csrf}, "key": {key}, "name": {"Sam's Phone"}, "group": {"teens"}})
	wantRedirect(t, "keep the old name", resp, "/devices")
	if as := f.engine.Assignments().List(); len(as) != 1 || as[0].Name != "Sam's Phone" || as[0].Group != "teens" {
		t.Errorf("after moving: %+v", as)
	}
	resp, body := f.post("/devices/name", url.Values{"csrf": {csrf}, "key": {key}, "name": {"Sam's Tablet"}, "group": {"teens"}})
	wantPage(t, "a new name", resp, body, http.StatusUnprocessableEntity, "Nothing was changed.", `write &#34;sams-tablet&#34;`)
	resp, _ = f.post("/devices/name", url.Values{"csrf": {csrf}, "key": {key}, "name": {"sams-tablet"}, "group": {"teens"}})
	wantRedirect(t, "the slug", resp, "/devices")
	if as := f.engine.Assignments().List(); len(as) != 1 || as[0].Name != "sams-tablet" {
		t.Errorf("after renaming: %+v", as)
	}
}
