package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/policytest"
)

// TestNowPageByChildWithBudgets: the Now page shows each child first with
// their devices under them, their budget in the decision's words ("Gaming:
// 40 of 60 minutes left today"), and a "+15 min" that adds to today's
// budget as the API does: the page and /api/status then say the same, and
// DNS's decision follows (blocked when spent, allowed again after +15).
func TestNowPageByChildWithBudgets(t *testing.T) {
	t.Parallel()
	f, play := newBudgetFixture(t)
	csrf := f.login()
	play(20)

	_, page := f.get("/now")
	person := strings.Index(page, `<h2 id="person-1-h">alex</h2>`)
	tablet := strings.Index(page, `>alex-tablet</h2>`)
	switchCard := strings.Index(page, `>alex-switch</h2>`)
	jo := strings.Index(page, `>jo-laptop</h2>`)
	if person < 0 || tablet < person || switchCard < person || (jo >= 0 && jo < max(tablet, switchCard)) {
		t.Fatalf("alex's card, then alex's devices, then the others: alex %d, tablet %d, switch %d, jo %d\n%s", person, tablet, switchCard, jo, page)
	}
	if !strings.Contains(page, "Gaming: 40 of 60 minutes left today") || !strings.Contains(page, `action="/now/minutes"`) {
		t.Fatalf("no budget line with +15 on alex's card:\n%s", page)
	}

	// Spent: DNS blocks, the card says so.
	if d := play(41); d.Action != policy.Block || d.Reason != policy.ReasonBudget {
		t.Fatalf("after 61 minutes of gaming: %+v, want blocked by the budget", d)
	}
	csrf = f.login() // an hour on the fake clock: the session is idle too long
	_, page = f.get("/now")
	if !strings.Contains(page, `<div class="budget spent">`) {
		t.Errorf("the spent budget is not shown as spent:\n%s", page)
	}

	// +15 from the page: the page, the API and the decision agree.
	resp, body := f.post("/now/minutes", url.Values{"csrf": {csrf}, "owner": {"alex"}, "what": {"gaming"}, "minutes": {"15"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("+15 min: %s\n%s", resp.Status, body)
	}
	_, page = f.get("/now")
	code, st := f.api("GET", "/api/status?person=alex", csrf, nil)
	budgets, _ := st["budgets"].([]any)
	if code != http.StatusOK || len(budgets) != 1 {
		t.Fatalf("status: %d %v", code, st)
	}
	text, _ := budgets[0].(map[string]any)["text"].(string)
	if !strings.Contains(text, "of 75 minutes") || !strings.Contains(page, upperFirst(text)) || !strings.Contains(page, "15 more minutes of gaming for alex today") {
		t.Errorf("after +15: API says %q; the page:\n%s", text, page)
	}
	if d := play(1); d.Action != policy.Allow {
		t.Errorf("after +15 minutes: %+v, want allowed", d)
	}
}

// newBudgetFixture is the pages' household at 16:00 on a school day with
// alex (alex-tablet and alex-switch at 127.0.0.6) in kids, whose budget is
// an hour of gaming on school days, and play(n): n minutes of Roblox on
// the switch, one lookup a minute, counted as DNS counts it; it returns
// the last decision.
func newBudgetFixture(t *testing.T) (*pagesFixture, func(minutes int) policy.Decision) {
	t.Helper()
	clk := clocktest.New(pagesAt("2026-11-26 16:00"))
	cfg := pagesHousehold()
	cfg.Devices = append(cfg.Devices, policy.DeviceConfig{Name: "alex-switch", IP: []string{"127.0.0.6"}})
	cfg.People = []policy.PersonConfig{{Name: "alex", Devices: []string{"alex-tablet", "alex-switch"}, Group: "kids"}}
	kids := cfg.Groups["kids"]
	hour := time.Hour
	kids.Budgets = []policy.BudgetConfig{{What: []string{"gaming"}, SchoolDays: &hour}}
	cfg.Groups["kids"] = kids
	engine := policytest.Engine(t, cfg, clk)
	f := newPagesFixture(t, pagesSetup{clk: clk, engine: engine})
	play := func(minutes int) policy.Decision {
		addr := netip.MustParseAddr("127.0.0.6")
		var d policy.Decision
		for range minutes {
			c := identity.ClientInfo{Addr: addr, Remote: addr}
			who := engine.Identify(&c, clk.Now())
			engine.DecideInto(&d, "www.roblox.com", who, clk.Now())
			engine.LookedUp(who, &d, clk.Now())
			clk.Advance(time.Minute)
		}
		return d
	}
	return f, play
}
