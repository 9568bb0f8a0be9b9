package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/state"
)

// nowStateHousehold has one device in each state at pagesNoon, and no
// household block (which would leave no device open).
func nowStateHousehold() policy.Config {
	return policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices: []policy.DeviceConfig{
			{Name: "sleepy-tablet", IP: []string{"127.0.0.11"}, Group: "night"},
			{Name: "paused-console", IP: []string{"127.0.0.12"}, Group: "free"},
			{Name: "always-laptop", IP: []string{"127.0.0.13"}, Group: "strict"},
			{Name: "timed-phone", IP: []string{"127.0.0.14"}, Group: "school"},
			{Name: "open-tv", IP: []string{"127.0.0.15"}, Group: "free"},
		},
		Groups: map[string]policy.GroupConfig{
			"default": {},
			"free":    {},
			"night":   {Bedtime: []string{"daily 11:00-13:00"}},
			"strict":  {Rules: []policy.RuleConfig{{Block: []string{"gambling"}}}},
			"school":  {Rules: []policy.RuleConfig{{Block: []string{"social"}, During: []string{"mon-fri 09:00-15:30"}}}},
		},
	}
}

var nowCard = regexp.MustCompile(`<section class="card state-([a-z]+)" id="dev-\d+" aria-labelledby="[^"]+">\s*<h2 id="[^"]+">([^<]+)</h2>(?s:.*?)<span class="badge">([^<]*)</span>`)

// TestNowPageAgreesWithStatus: the Now page shows each device in the state
// GET /api/status gives it (the policy's own), for a device paused, at
// bedtime, blocked only by an always-on rule, limited by a rule with
// times, and open.
func TestNowPageAgreesWithStatus(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(pagesNoon)
	f := newPagesFixture(t, pagesSetup{clk: clk, engine: policytest.Engine(t, nowStateHousehold(), clk)})
	if _, err := f.engine.Overrides().Add(state.Override{Kind: state.OverridePause, Device: "paused-console", Until: pagesNoon.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.login()

	resp, body := f.get("/api/status")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/status: %s\n%s", resp.Status, body)
	}
	var st statusView
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	api := map[string]string{}
	for _, d := range st.Devices {
		api[d.Name] = d.State
	}

	resp, body = f.get("/now")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /now: %s\n%s", resp.Status, body)
	}
	page, badge := map[string]string{}, map[string]string{}
	for _, m := range nowCard.FindAllStringSubmatch(body, -1) {
		name := m[2]
		if name == "Unknown devices" {
			name = ""
		}
		page[name], badge[name] = m[1], m[3]
	}

	for _, want := range []struct{ device, state, badge string }{
		{"paused-console", "paused", "Paused until 13:00"},
		{"sleepy-tablet", "bedtime", "Bedtime until 13:00"},
		{"always-laptop", "limited", "Gambling always blocked"},
		{"timed-phone", "limited", "Social media blocked until 15:30"},
		{"open-tv", "open", "Open now"},
		{"", "open", "Open now"},
	} {
		if api[want.device] != want.state {
			t.Errorf("%q: /api/status says %q, want %q", want.device, api[want.device], want.state)
		}
		if page[want.device] != api[want.device] {
			t.Errorf("%q: the Now page says %q, /api/status %q", want.device, page[want.device], api[want.device])
		}
		if badge[want.device] != want.badge {
			t.Errorf("%q: the Now page's badge says %q, want %q", want.device, badge[want.device], want.badge)
		}
	}
	if len(page) != len(st.Devices) {
		t.Errorf("the Now page has %d devices, /api/status %d", len(page), len(st.Devices))
	}
}
