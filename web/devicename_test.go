package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
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

// TestDeviceNameErrorNextToField: a refused name on the Devices page is
// said next to that device's name field, with what the parent typed kept
// and the field marked invalid; the other devices' forms stay clean.
func TestDeviceNameErrorNextToField(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.see(pagesGuestIP)
	f.see("127.0.0.66")
	csrf := f.login()
	for _, tc := range []struct{ name, group, field, want string }{
		{"Games Console", "", "name", "(write &#34;games-console&#34;)"},
		{"guest", "nogroup", "group", "nogroup"},
	} {
		resp, body := f.post("/devices/name", url.Values{"csrf": {csrf}, "key": {"ip:" + pagesGuestIP}, "name": {tc.name}, "group": {tc.group}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %s, want 422", tc.name, resp.Status)
		}
		// The guest's section: from its key's hidden input to the end of its card.
		i := strings.Index(body, `value="ip:`+pagesGuestIP+`"`)
		if i < 0 {
			t.Fatalf("no form for the guest's device in:\n%s", body)
		}
		card, _, _ := strings.Cut(body[i:], "</section>")
		_, errText, ok := strings.Cut(card, `-`+tc.field+`-err">`)
		errText, _, _ = strings.Cut(errText, "</p>")
		if !ok || !strings.Contains(errText, tc.want) || !strings.Contains(card, `value="`+tc.name+`"`) || !strings.Contains(card, `-`+tc.field+`-err" aria-invalid="true"`) {
			t.Errorf("%s: the problem with %s is not next to the guest's field:\n%s", tc.name, tc.field, card)
		}
		if n := strings.Count(body, `class="field-error"`); n != 1 {
			t.Errorf("%s: %d field errors on the page, want 1 (the guest's)", tc.name, n)
		}
	}
}

// TestDevicesPageWritesHearthYAML: with a file Hearth can save, a device
// named on the Devices page goes into hearth.yaml (one source of truth),
// shows as named there at once, can be moved to another group from the
// page although the file names it, and "Forget this name" takes it out of
// the file again; the file passes the checker after each step.
func TestDevicesPageWritesHearthYAML(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	const guest = "127.0.0.98"
	f.see(guest)
	_, page := f.get("/devices")
	resp, body := f.post("/devices/name", url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "key": {"ip:" + guest}, "name": {"sam-switch"}, "group": {"kids"}})
	if resp.StatusCode == http.StatusSeeOther {
		resp, body = f.get(resp.Header.Get("Location"))
	}
	wantPage(t, "named", resp, body, http.StatusOK, "sam-switch is in the kids group from its next lookup (saved in hearth.yaml).")
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "name: sam-switch") || !strings.Contains(string(data), guest) {
		t.Fatalf("hearth.yaml has no sam-switch at %s:\n%s", guest, data)
	}
	card := deviceCard(t, body, guest)
	if !strings.Contains(card, "Named in hearth.yaml") || !strings.Contains(card, "Group kids") || !strings.Contains(card, `action="/devices/name"`) {
		t.Errorf("the device is not shown as named in hearth.yaml, in kids, and editable:\n%s", card)
	}
	if d, err := f.engine.DecideFor("www.example.com", "sam-switch", f.clk.Now()); err != nil || d.Group != "kids" {
		t.Errorf("the policy after naming: %+v, %v; want sam-switch in kids", d, err)
	}

	// Moved to teens from the page, although the file names it.
	resp, body = f.post("/devices/name", url.Values{"csrf": {csrf}, "version": {versionOf(t, body)}, "key": {"ip:" + guest}, "name": {"sam-switch"}, "group": {"teens"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move to teens: %s\n%s", resp.Status, body)
	}
	if d, err := f.engine.DecideFor("www.example.com", "sam-switch", f.clk.Now()); err != nil || d.Group != "teens" {
		t.Errorf("the policy after moving: %+v, %v; want sam-switch in teens", d, err)
	}

	_, body = f.get("/devices")
	resp, body = f.post("/devices/forget", url.Values{"csrf": {csrf}, "version": {versionOf(t, body)}, "key": {"ip:" + guest}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("forget: %s\n%s", resp.Status, body)
	}
	data, _ = os.ReadFile(path)
	if strings.Contains(string(data), "sam-switch") {
		t.Errorf("hearth.yaml still names sam-switch:\n%s", data)
	}
	if _, err := f.engine.DecideFor("www.example.com", "sam-switch", f.clk.Now()); err == nil {
		t.Errorf("the policy still knows sam-switch after forgetting it")
	}
}

// deviceCard is the Devices page's card of the device last seen at addr.
func deviceCard(t *testing.T, page, addr string) string {
	t.Helper()
	return deviceCardByKey(t, page, "ip:"+addr)
}

// TestDevicesPageOwnEntries: a device's own entries are shown on its card
// and edited there (kept boxes, a catalogue pick, a website, an allowed
// site), saved into its hearth.yaml item and in force for DNS decisions at
// once; an unknown service is refused next to the block fieldset with
// nothing written; an unticked box removes the entry.
func TestDevicesPageOwnEntries(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	f.see("127.0.0.2") // alex-tablet, block: [tiktok] in the file
	_, page := f.get("/devices")
	card := deviceCard(t, page, "127.0.0.2")
	if !strings.Contains(card, `<input type="checkbox" name="block" value="tiktok" checked> TikTok`) {
		t.Fatalf("alex-tablet's card does not show its own block of TikTok:\n%s", card)
	}
	post := func(form url.Values) (*http.Response, string) {
		_, page := f.get("/devices")
		base := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "key": {"ip:127.0.0.2"}, "name": {"alex-tablet"}, "group": {"kids"}}
		for k, v := range form {
			base[k] = v
		}
		return f.post("/devices/entries", base)
	}
	blocked := func(name string) bool {
		d, err := f.engine.DecideFor(name, "alex-tablet", f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return d.Action == policy.Block
	}

	resp, body := post(url.Values{"block": {"tiktok"}, "block_add": {"roblox"}, "block_domain": {"Example.NET"}, "allow_add": {"bbc.co.uk"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save own entries: %s\n%s", resp.Status, body)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"tiktok", "roblox", "example.net", "bbc.co.uk"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("hearth.yaml has no %s:\n%s", want, data)
		}
	}
	if !blocked("www.roblox.com") || !blocked("www.example.net") || !blocked("www.tiktok.com") || blocked("www.bbc.co.uk") {
		t.Errorf("decisions after saving: roblox %v, example.net %v, tiktok %v, bbc %v", blocked("www.roblox.com"), blocked("www.example.net"), blocked("www.tiktok.com"), blocked("www.bbc.co.uk"))
	}

	before, _ := os.ReadFile(path)
	resp, body = post(url.Values{"block": {"tiktok", "roblox", "example.net"}, "allow": {"bbc.co.uk"}, "block_add": {"knitting"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown service: %s, want 422", resp.Status)
	}
	card = deviceCard(t, body, "127.0.0.2")
	_, next, ok := strings.Cut(card, `-block-err">`)
	next, _, _ = strings.Cut(next, "</p>")
	if !ok || !strings.Contains(next, "knitting") || !strings.Contains(card, "<details class=\"more\" open>") {
		t.Errorf("the unknown service is not said next to the block entries:\n%s", card)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused save changed hearth.yaml:\n%s", after)
	}

	// Untick TikTok: gone from the file and from the decision.
	if resp, body = post(url.Values{"block": {"roblox", "example.net"}, "allow": {"bbc.co.uk"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("untick tiktok: %s\n%s", resp.Status, body)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "tiktok") || blocked("www.tiktok.com") {
		t.Errorf("TikTok still blocked for alex-tablet after unticking it:\n%s", data)
	}
}

// TestNameDeviceKnownByID: a device seen only by the ID it gave over
// encrypted DNS is named on the Devices page by that ID (saved in
// hearth.yaml with no address, shown as named at once, its next lookup
// gets the group's rules); another name is refused next to the field.
func TestNameDeviceKnownByID(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	a := netip.MustParseAddr("127.0.0.1")
	c := identity.ClientInfo{Addr: a, Remote: a, DeviceID: "alex-phne"}
	f.engine.Identify(&c, f.clk.Now())
	_, page := f.get("/devices")
	if !strings.Contains(page, `value="id:alex-phne"`) {
		t.Fatalf("the device known by its ID is not on the page:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "version": {versionOf(t, page)}, "key": {"id:alex-phne"}, "name": {"alex-phone"}, "group": {"kids"}}
	resp, body := f.post("/devices/name", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `name it &#34;alex-phne&#34;`) || !strings.Contains(body, `-name-err"`) {
		t.Fatalf("another name for an ID: %s\n%s", resp.Status, body)
	}
	form.Set("name", "alex-phne")
	if resp, body = f.post("/devices/name", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("name by its ID: %s\n%s", resp.Status, body)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "name: alex-phne") {
		t.Fatalf("hearth.yaml:\n%s", data)
	}
	_, page = f.get("/devices")
	if card := deviceCardByKey(t, page, "id:alex-phne"); !strings.Contains(card, "Named in hearth.yaml") || !strings.Contains(card, "Group kids") {
		t.Errorf("the named device's card:\n%s", card)
	}
	c = identity.ClientInfo{Addr: a, Remote: a, DeviceID: "alex-phne"}
	who := f.engine.Identify(&c, f.clk.Now())
	var d policy.Decision
	f.engine.DecideInto(&d, "www.example.com", who, f.clk.Now())
	if d.Device != "alex-phne" || d.Group != "kids" {
		t.Errorf("the next lookup by the ID: device %q group %q, want alex-phne in kids", d.Device, d.Group)
	}
}

// deviceCardByKey is the Devices page's card whose form names key.
func deviceCardByKey(t *testing.T, page, key string) string {
	t.Helper()
	for _, card := range strings.Split(page, "<section class=\"card") {
		if strings.Contains(card, `value="`+key+`"`) {
			return card
		}
	}
	t.Fatalf("no card for %s in:\n%s", key, page)
	return ""
}
