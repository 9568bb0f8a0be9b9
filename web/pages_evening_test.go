package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/state"
)

// An evening on the Now page and the API: one-tap pauses, bonus time
// before the cut-off, a later bedtime, extending and ending, and every
// refusal of what could change nothing (422, the reason in fields).

func pagesAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, pagesLondon)
	if err != nil {
		panic(err)
	}
	return t
}

// api sends a JSON request with the session's CSRF token and decodes the
// answer.
func (f *pagesFixture) api(method, path, csrf string, body any) (int, map[string]any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	r, err := http.NewRequest(method, f.url+path, bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRF-Token", csrf)
	resp, err := f.client.Do(r)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func TestPagesEvening(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(pagesAt("2026-11-26 18:55"))
	f := newPagesFixture(t, pagesSetup{clk: clk})
	csrf := f.login()

	// Five minutes before the 19:00 cut-off, gaming is allowed, yet bonus
	// time is offered: 30 minutes after the cut-off.
	_, body := f.get("/now")
	wantPage(t, "18:55", &http.Response{StatusCode: 200}, body, 200, `data-device="alex-tablet" data-what="gaming">+30 min: Gaming`,
		`data-device="alex-tablet" data-minutes="15">Pause 15 min`, `data-minutes="60">Pause 60 min`,
		"Pause until tomorrow morning", "Bedtime 30 min later", "Bedtime now", "Pause everyone 15 min")
	resp, _ := f.post("/now/bonus", url.Values{"csrf": {csrf}, "device": {"alex-tablet"}, "what": {"gaming"}, "minutes": {"30"}})
	wantRedirect(t, "bonus", resp, "/now")
	resp, body = f.get("/now")
	wantPage(t, "after the bonus", resp, body, 200, "Gaming allowed on alex-tablet until 19:30.", "Bonus: Gaming allowed until 19:30", "End bonus")
	if d, _ := f.engine.DecideFor("www.roblox.com", "alex-tablet", pagesAt("2026-11-26 19:15")); d.Reason != policy.ReasonBonus {
		t.Errorf("roblox at 19:15: %s", d.Reason)
	}

	// Later bedtime for the group, then extended.
	resp, _ = f.post("/now/later-bedtime", url.Values{"csrf": {csrf}, "group": {"kids"}, "minutes": {"30"}})
	wantRedirect(t, "later bedtime", resp, "/now")
	_, body = f.get("/now")
	wantPage(t, "later bedtime", &http.Response{StatusCode: 200}, body, 200, "Bedtime for the kids group starts at 22:00 tonight.",
		"Bedtime later tonight: from 22:00 (the kids group)", "Usual bedtime", "Bedtime from 22:00")
	later := overrideOf(t, f, state.OverrideLaterBedtime)
	resp, _ = f.post("/now/extend", url.Values{"csrf": {csrf}, "id": {later.ID}, "minutes": {"30"}})
	wantRedirect(t, "extend", resp, "/now")
	_, body = f.get("/now")
	wantPage(t, "later bedtime +30", &http.Response{StatusCode: 200}, body, 200, "Bedtime for the kids group now starts at 22:30.")
	if d, _ := f.engine.DecideFor("example.org", "alex-tablet", pagesAt("2026-11-26 22:15")); d.Reason != policy.ReasonNone || !d.Next.Equal(pagesAt("2026-11-26 22:30")) {
		t.Errorf("example.org at 22:15: %s until %v", d.Reason, d.Next)
	}

	// Pause until tomorrow morning: the end of tonight's bedtime; +15.
	resp, _ = f.post("/now/pause", url.Values{"csrf": {csrf}, "device": {"alex-tablet"}, "until": {"morning"}})
	wantRedirect(t, "pause until morning", resp, "/now")
	_, body = f.get("/now")
	wantPage(t, "paused until morning", &http.Response{StatusCode: 200}, body, 200, "Paused alex-tablet until 07:00 tomorrow.",
		`<span class="badge">Paused until 07:00 tomorrow</span>`, "+15 min<span class=\"sr\"> for alex-tablet")
	pause := overrideOf(t, f, state.OverridePause)
	resp, _ = f.post("/now/extend", url.Values{"csrf": {csrf}, "id": {pause.ID}, "minutes": {"15"}})
	wantRedirect(t, "extend the pause", resp, "/now")
	_, body = f.get("/now")
	wantPage(t, "pause +15", &http.Response{StatusCode: 200}, body, 200, "Now until 07:15 tomorrow.", `<span class="badge">Paused until 07:15 tomorrow</span>`)

	// Everyone, for 15 minutes; then ended.
	resp, _ = f.post("/now/pause", url.Values{"csrf": {csrf}, "all": {"1"}, "minutes": {"15"}})
	wantRedirect(t, "pause everyone", resp, "/now")
	_, body = f.get("/now")
	wantPage(t, "everyone paused", &http.Response{StatusCode: 200}, body, 200, "Paused everyone until 19:10.", "Everyone paused until 19:10",
		`<span class="badge">Paused until 19:10</span>`)
	if d, _ := f.engine.DecideFor("example.org", "", f.clk.Now()); d.Reason != policy.ReasonPause {
		t.Errorf("an unknown device with everyone paused: %s", d.Reason)
	}

	// Early bedtime for the teen, who has none: until 07:00.
	resp, _ = f.post("/now/early-bedtime", url.Values{"csrf": {csrf}, "device": {"jo-laptop"}})
	wantRedirect(t, "early bedtime", resp, "/now")
	_, body = f.get("/now")
	wantPage(t, "early bedtime", &http.Response{StatusCode: 200}, body, 200, "Bedtime for jo-laptop starts now, until 07:00 tomorrow.",
		"Early bedtime tonight, until 07:00 tomorrow (this device)", "End early bedtime")

	// Refused on the page: the reason, nothing changed.
	n := len(f.engine.Overrides().List(f.clk.Now()))
	resp, body = f.post("/now/bonus", url.Values{"csrf": {csrf}, "device": {"jo-laptop"}, "what": {"social"}, "minutes": {"30"}})
	wantPage(t, "bonus at bedtime", resp, body, http.StatusUnprocessableEntity, "use &#39;later bedtime tonight&#39;", "Nothing was changed.")
	if got := len(f.engine.Overrides().List(f.clk.Now())); got != n {
		t.Errorf("a refused bonus added an override: %d, want %d", got, n)
	}
}

// TestPagesNowAtBedtime: what bedtime overrides is not shown as allowed.
func TestPagesNowAtBedtime(t *testing.T) {
	t.Parallel()
	// Saturday 07:30: bedtime until 08:00; chat is allowed from 07:00 by its rule.
	f := newPagesFixture(t, pagesSetup{clk: clocktest.New(pagesAt("2026-11-28 07:30"))})
	f.login()
	_, body := f.get("/now")
	card := body[strings.Index(body, `<h2 id="dev-1-h">alex-tablet</h2>`):]
	card = card[:strings.Index(card, "</section>")]
	if !strings.Contains(card, `<span class="badge">Bedtime until 08:00</span>`) || strings.Contains(card, "allowed") {
		t.Errorf("alex-tablet at bedtime:\n%s", card)
	}
	if strings.Contains(card, `class="secondary bonus"`) || strings.Contains(card, "Bedtime now") {
		t.Errorf("bonus time or bedtime now offered at bedtime:\n%s", card)
	}
	if !strings.Contains(card, "Bedtime 30 min later") {
		t.Errorf("no later bedtime offered at bedtime:\n%s", card)
	}
	st, _ := f.engine.DeviceStatus("alex-tablet", f.clk.Now())
	if len(st.Allowed) != 0 {
		t.Errorf("status at bedtime allows %v", st.Allowed)
	}
}

func TestAPIEveningRefusals(t *testing.T) {
	t.Parallel()
	cfg := pagesHousehold()
	cfg.Devices[0].Block = []string{"tiktok"}
	clk := clocktest.New(pagesAt("2026-11-26 21:45"))
	f := newPagesFixture(t, pagesSetup{clk: clk, engine: policytest.Engine(t, cfg, clk)})
	csrf := f.login()
	refused := func(path string, body map[string]any, field, want string) {
		t.Helper()
		code, out := f.api("POST", path, csrf, body)
		fields, _ := out["fields"].(map[string]any)
		if got, _ := fields[field].(string); code != http.StatusUnprocessableEntity || !strings.Contains(got, want) {
			t.Errorf("%s %v: %d %v, want 422 with %s: ...%s...", path, body, code, out, field, want)
		}
	}
	// At bedtime (Thursday 21:45).
	refused("/api/bonus", map[string]any{"device": "alex-tablet", "what": "gaming", "minutes": 30}, "what", "bedtime until 07:00 tomorrow blocks everything: use 'later bedtime tonight'")
	refused("/api/pause", map[string]any{"group": "kids", "minutes": 15}, "minutes", "it is bedtime for the kids group until 07:00 tomorrow")
	refused("/api/bedtime/early", map[string]any{"device": "alex-tablet"}, "kind", "already bedtime")
	refused("/api/bedtime/later", map[string]any{"device": "alex-tablet", "minutes": 10}, "minutes", "already past")
	refused("/api/bedtime/later", map[string]any{"device": "jo-laptop", "minutes": 30}, "kind", "jo-laptop has no bedtime")
	refused("/api/pause", map[string]any{"device": "alex-tablet", "until": "half past nine"}, "until", "say a time")
	clk.Set(pagesAt("2026-11-26 17:00"))
	refused("/api/bonus", map[string]any{"device": "alex-tablet", "what": "tiktok", "minutes": 30}, "what", "blocked by alex-tablet's own block list")
	refused("/api/bonus", map[string]any{"device": "jo-laptop", "what": "social", "minutes": 30}, "what", "nothing blocks social for jo-laptop now or later today")
	refused("/api/bonus", map[string]any{"all": true, "what": "gaming", "minutes": 30}, "all", "only a pause")
	if n := len(f.engine.Overrides().List(clk.Now())); n != 0 {
		t.Fatalf("%d overrides made by refused requests", n)
	}

	// Accepted: a later bedtime at 21:00, a pause until 18:00, extended.
	clk.Set(pagesAt("2026-11-26 21:00"))
	code, out := f.api("POST", "/api/bedtime/later", csrf, map[string]any{"group": "kids", "minutes": 30})
	ov, _ := out["override"].(map[string]any)
	if code != http.StatusCreated || ov["kind"] != "later-bedtime" || ov["until"] != "2026-11-26T22:00:00Z" {
		t.Errorf("later bedtime: %d %v", code, out)
	}
	code, out = f.api("POST", "/api/pause", csrf, map[string]any{"all": true, "until": "21:20"})
	ov, _ = out["override"].(map[string]any)
	if code != http.StatusCreated || ov["all"] != true || ov["until"] != "2026-11-26T21:20:00Z" {
		t.Fatalf("pause everyone until 21:20: %d %v", code, out)
	}
	id, _ := ov["id"].(string)
	code, out = f.api("POST", "/api/overrides/"+id+"/extend", csrf, map[string]any{"minutes": 30})
	ov, _ = out["override"].(map[string]any)
	if code != http.StatusOK || ov["until"] != "2026-11-26T21:50:00Z" {
		t.Errorf("extend by 30: %d %v", code, out)
	}
	if code, out := f.api("POST", "/api/overrides/"+id+"/extend", csrf, map[string]any{"minutes": 0}); code != http.StatusUnprocessableEntity {
		t.Errorf("extend by 0: %d %v", code, out)
	}
	if code, out := f.api("POST", "/api/overrides/"+id+"/extend", csrf, map[string]any{"minutes": -60}); code != http.StatusUnprocessableEntity {
		t.Errorf("extend into the past: %d %v", code, out)
	}
	if code, _ := f.api("POST", "/api/overrides/deadbeef/extend", csrf, map[string]any{"minutes": 15}); code != http.StatusNotFound {
		t.Errorf("extend an unknown override: %d", code)
	}
	var status struct {
		Devices []policy.DeviceStatus `json:"devices"`
	}
	_, raw := f.get("/api/status")
	if err := json.Unmarshal([]byte(raw), &status); err != nil {
		t.Fatal(err)
	}
	for _, d := range status.Devices {
		if d.State != "paused" || !d.Until.Equal(pagesAt("2026-11-26 21:50")) {
			t.Errorf("%q with everyone paused: %s until %v", d.Name, d.State, d.Until)
		}
	}
}

// overrideOf returns the one override of kind in force.
func overrideOf(t *testing.T, f *pagesFixture, kind state.OverrideKind) state.Override {
	t.Helper()
	for _, o := range f.engine.Overrides().List(f.clk.Now()) {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s in force", kind)
	return state.Override{}
}

// TestPagesPauseUntilATime: the form's time is the next one in the
// household's zone.
func TestPagesPauseUntilATime(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{clk: clocktest.New(pagesAt("2026-11-26 17:00"))})
	csrf := f.login()
	_, body := f.get("/now")
	wantPage(t, "now", &http.Response{StatusCode: 200}, body, 200, `<label for="dev-1-until">Until</label>`, `<input type="time" id="dev-1-until" name="until" value="" required>`)
	resp, _ := f.post("/now/pause", url.Values{"csrf": {csrf}, "device": {"jo-laptop"}, "until": {"18:15"}})
	wantRedirect(t, "pause until 18:15", resp, "/now")
	if o := overrideOf(t, f, state.OverridePause); !o.Until.Equal(pagesAt("2026-11-26 18:15")) {
		t.Errorf("until 18:15: %v", o.Until)
	}
	// A time already past today is tomorrow's.
	resp, _ = f.post("/now/pause", url.Values{"csrf": {csrf}, "device": {"parents-phone"}, "until": {"08:00"}})
	wantRedirect(t, "pause until 08:00", resp, "/now")
	st, _ := f.engine.DeviceStatus("parents-phone", f.clk.Now())
	if st.Pause == nil || !st.Pause.Until.Equal(pagesAt("2026-11-27 08:00")) {
		t.Errorf("until 08:00: %+v", st.Pause)
	}
}
