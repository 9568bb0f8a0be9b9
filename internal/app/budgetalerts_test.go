package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
)

// webhookReceiver is a webhook on loopback handing over each alert.
func webhookReceiver(t *testing.T) (string, chan alerts.Alert) {
	got := make(chan alerts.Alert, 20)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var a alerts.Alert
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		got <- a
	}))
	t.Cleanup(hook.Close)
	return hook.URL + "/api/webhook/hearth", got
}

// testHead is the start of the alert and budget tests' hearth.yaml: DNS on
// a free loopback port for loopback devices, the state in dir/state, the
// household in London, the upstream up.
func testHead(dir, up string) string {
	return "listen: [\"127.0.0.1:0\"]\nallow_clients: [127.0.0.0/8]\nstate_dir: " + filepath.Join(dir, "state") + "\n" +
		"timezone: Europe/London\nupstreams:\n  servers: [\"udp://" + up + "\"]\n  strategy: ordered\n  timeout: 1s\n"
}

// startAt loads yaml (written to dir) and starts Hearth on clk.
func startAt(t *testing.T, dir, yaml string, clk *clocktest.Fake) *Hearth {
	t.Helper()
	return startWith(t, dir, yaml, clk, Options{})
}

// startWith is startAt with opts (its Logger and Clock are set here).
func startWith(t *testing.T, dir, yaml string, clk *clocktest.Fake, opts Options) *Hearth {
	t.Helper()
	cfg := loadYAML(t, dir, yaml)
	opts.Logger, opts.Clock = zerolog.Nop(), clk
	h, err := Start(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// steadyTimers: the resolver's log window and the once-a-minute watch.
const steadyTimers = 2

// TestBudgetAlertsFromRealQueries: alex plays a game on alex-tablet a
// minute at a time (real queries at injected minutes); the webhook hears
// "10 minutes left" once and "used up" once, and a restart the same day
// tells neither again.
func TestBudgetAlertsFromRealQueries(t *testing.T) {
	url, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	yaml := testHead(dir, up.Addr) +
		"people:\n  - {name: alex, devices: [alex-tablet], group: kids}\n" +
		"devices:\n  - {name: alex-tablet, ip: [127.0.0.2]}\n" +
		"groups:\n  kids:\n    budgets:\n      - {what: [gaming], daily: 12m}\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + url + "\"}\n  dashboard: http://hearth.lan:8080\n  events: {new_device: false}\n"
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 16, 0, 30, 0, london))
	h := startAt(t, dir, yaml, clk)
	addr := h.Addrs()[0].String()
	if !clk.WaitTimers(steadyTimers, 5*time.Second) {
		t.Fatalf("%d timers", clk.Timers())
	}
	for minute := 0; minute < 14; minute++ {
		rc := askFrom(t, "127.0.0.2", addr, "roblox.com")
		if want := minute >= 12; (rc == dns.RcodeNameError) != want {
			t.Fatalf("minute %d: rcode %d", minute, rc)
		}
		tick(t, clk, 1)
	}
	texts := drain(got)
	if len(texts) != 2 {
		t.Fatalf("got %d alerts: %+v", len(texts), texts)
	}
	low, spent := texts[0], texts[1]
	if low.Kind != alerts.KindBudgetLow || low.Text != "alex: 10 minutes of gaming left today" || low.Owner != "alex" ||
		low.Budget != "gaming" || low.Left != 10 || low.Allowed != 12 || low.Link != "http://hearth.lan:8080/now" {
		t.Errorf("10 minutes left: %+v", low)
	}
	if spent.Kind != alerts.KindBudgetSpent || spent.Text != "alex has used today's 12 minutes of gaming" || spent.Allowed != 12 {
		t.Errorf("used up: %+v", spent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	h = startAt(t, dir, yaml, clk)
	defer h.Shutdown(context.Background())
	if !clk.WaitTimers(steadyTimers, 5*time.Second) {
		t.Fatalf("%d timers", clk.Timers())
	}
	tick(t, clk, 1)
	if a := drain(got); len(a) != 0 {
		t.Errorf("told again after a restart: %+v", a)
	}
}

// TestBudgetWatch: the thresholds, once per owner, budget and day.
func TestBudgetWatch(t *testing.T) {
	w, err := openBudgetWatch(filepath.Join(t.TempDir(), "told.json"))
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	now := end.Add(-3 * time.Hour)
	st := func(used, allowed int) []policy.BudgetStatus {
		return []policy.BudgetStatus{{Owner: "sam", OwnerKind: "person", What: "youtube, tiktok", ID: "tiktok,youtube",
			Budgeted: true, Allowed: allowed, Used: used, Left: max(allowed-used, 0), Spent: used >= allowed, Until: end}}
	}
	texts := func(bs []policy.BudgetStatus) []string {
		out, err := w.look(now, bs)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, a := range out {
			s = append(s, a.Text)
		}
		return s
	}
	for _, c := range []struct {
		used, allowed int
		want          []string
	}{
		{0, 5, nil}, {1, 5, nil}, // a budget of 10 minutes or less: no "left" alert
		{5, 60, nil}, {51, 60, []string{"sam: 9 minutes of youtube, tiktok left today"}}, {52, 60, nil},
		{60, 60, []string{"sam has used today's 60 minutes of youtube, tiktok"}}, {61, 60, nil},
		{60, 75, nil}, // extra minutes: told once a day all the same
	} {
		if got := texts(st(c.used, c.allowed)); len(got) != len(c.want) || (len(got) == 1 && got[0] != c.want[0]) {
			t.Errorf("%d of %d: %q, want %q", c.used, c.allowed, got, c.want)
		}
	}
	// The next day counts again.
	end, now = end.Add(24*time.Hour), now.Add(24*time.Hour)
	if got := texts(st(60, 60)); len(got) != 1 {
		t.Errorf("next day: %q", got)
	}
	// A budget used up without a "left" alert first: only "used up".
	bs := st(30, 30)
	bs[0].Owner = "alex"
	if got := texts(bs); len(got) != 1 || got[0] != "alex has used today's 30 minutes of youtube, tiktok" {
		t.Errorf("alex: %q", got)
	}
}
