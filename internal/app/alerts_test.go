package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// askFrom sends one A query to addr from the local address from (a
// device's own loopback address).
func askFrom(t *testing.T, from, addr, name string) int {
	t.Helper()
	c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
	r, _, err := c.Exchange(new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA), addr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r.Rcode
}

// TestAlertsFromRealQueries: blocked lookups from alex-tablet's address,
// at injected times, reach a webhook receiver as one alert per service and
// hour; a help site never does; a device not configured, seen for the first
// time, is told of at once; a batch still counting at shutdown goes
// out after the next start.
func TestAlertsFromRealQueries(t *testing.T) {
	hookURL, got := webhookReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	yaml := testHead(dir, up.Addr) +
		"devices:\n  - {name: alex-tablet, ip: [127.0.0.2], group: kids}\n  - {name: sam-phone, ip: [127.0.0.4], group: teens}\n" +
		"groups:\n  kids:\n    rules:\n      - {block: [random-video-chat]}\n    bypass_protection: true\n" +
		"  teens:\n    bedtime: [\"daily 21:00-07:00\"]\n" +
		"journal: {enabled: false}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + hookURL + "\"}\n  dashboard: http://hearth.lan:8080\n"
	cfg := loadYAML(t, dir, yaml)
	ranBefore(t, filepath.Join(dir, "state"))
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 21, 3, 0, 0, london))
	start := func() *Hearth {
		h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := start()
	addr := h.Addrs()[0].String()
	// A device nobody configured: told at once.
	askFrom(t, "127.0.0.3", addr, "example.org")
	select {
	case a := <-got:
		if a.Kind != alerts.KindNewDevice || a.Link != "http://hearth.lan:8080/devices" ||
			a.Text != "A new device joined the network and is not named yet: 127.0.0.3. Name it on the dashboard to give it its rules." {
			t.Errorf("new device: %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no alert for a new device")
	}
	for _, name := range []string{"omegle.com", "www.omegle.com", "chatroulette.com", "dns.google", "api.nordvpn.com", "childline.org.uk", "example.org"} {
		askFrom(t, "127.0.0.2", addr, name)
	}
	if rc := askFrom(t, "127.0.0.2", addr, "omegle.com"); rc != dns.RcodeNameError {
		t.Fatalf("omegle.com: rcode %d", rc)
	}
	// Bedtime: chat is told of, anything else is not.
	for _, name := range []string{"gateway.discord.gg", "discord.com", "example.org"} {
		askFrom(t, "127.0.0.4", addr, name)
	}
	clk.WaitTimers(1, 5*time.Second)
	clk.Set(time.Date(2026, 12, 4, 22, 0, 0, 0, london))
	var texts []string
	for range 4 {
		select {
		case a := <-got:
			texts = append(texts, a.Text)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %q arrived", texts)
		}
	}
	slices.Sort(texts)
	want := []string{
		"alex-tablet tried Random video chat (Omegle and its successors) 4 times between 21:00 and 22:00",
		"alex-tablet tried a way round the filter (NordVPN) once between 21:00 and 22:00; it was blocked",
		"alex-tablet tried a way round the filter (Public DNS-over-HTTPS resolvers) once between 21:00 and 22:00; it was blocked",
		"sam-phone tried Discord (Chat and messaging) during bedtime 2 times between 21:00 and 22:00",
	}
	if !slices.Equal(texts, want) {
		t.Errorf("got\n%q\nwant\n%q", texts, want)
	}

	// A try at 22:10, then a restart before the hour ends.
	askFrom(t, "127.0.0.2", addr, "ome.tv")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		t.Fatalf("sent while shutting down: %q", a.Text)
	default:
	}
	h = start()
	defer h.Shutdown(context.Background())
	select {
	case a := <-got:
		if a.Text != "alex-tablet tried Random video chat (Omegle and its successors) once between 22:00 and 23:00" {
			t.Errorf("after restart: %q", a.Text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the batch queued at shutdown did not arrive after the restart")
	}
}

// ranBefore makes stateDir that of an installation that has run before
// (not a fresh one, whose new devices are summed up after 10 minutes).
func ranBefore(t *testing.T, stateDir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(stateDir, alerts.SpoolDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stateDir, alerts.SpoolDir, newDevicesFile), []byte(`{"known":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRecorderDoesNotAllocate: the hand-off the resolver calls on every
// blocked lookup, with alerts on and the lookup alerting.
func TestRecorderDoesNotAllocate(t *testing.T) {
	a, err := alerts.New(alerts.Config{Webhook: alerts.WebhookConfig{URL: "http://127.0.0.1:1/"}, RatePerHour: 1, Spool: 1,
		Events: alerts.EventsConfig{Blocked: []string{"random-video-chat"}, BedtimeChat: true}}, alerts.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{chat: chatDomains()}
	r.alerts.Store(a) // not started: its queue fills, then counts
	e := journal.Event{Time: time.Now(), Device: "alex-tablet", Name: "omegle.com", Action: journal.ActionBlock,
		Reason: verdict.ReasonRule, Category: "chat", Service: "random-video-chat"}
	var rec interface{ Record(journal.Event) } = r
	bed := e
	bed.Reason, bed.Category, bed.Service, bed.Name = verdict.ReasonBedtime, "", "", "gateway.discord.gg"
	if n := testing.AllocsPerRun(3000, func() { rec.Record(e); rec.Record(bed) }); n != 0 {
		t.Errorf("Record allocates %v times", n)
	}
	if r.chatService("gateway.discord.gg") != "discord" || r.chatService("example.org") != "" {
		t.Error("chatService")
	}
}

// BenchmarkRecorderAlerts is the hand-off per blocked lookup with alerts
// on: one that alerts (queued by value, or counted once the queue is full)
// and one that does not (dropped at the filter).
func BenchmarkRecorderAlerts(b *testing.B) {
	a, err := alerts.New(alerts.Config{Webhook: alerts.WebhookConfig{URL: "http://127.0.0.1:1/"}, RatePerHour: 1, Spool: 1,
		Events: alerts.EventsConfig{Blocked: []string{"random-video-chat"}}}, alerts.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	r := &recorder{}
	r.alerts.Store(a)
	var rec interface{ Record(journal.Event) } = r
	alerting := journal.Event{Time: time.Now(), Device: "alex-tablet", Name: "omegle.com", Action: journal.ActionBlock,
		Reason: verdict.ReasonRule, Category: "chat", Service: "random-video-chat"}
	quiet := alerting
	quiet.Category, quiet.Service, quiet.Name = "ads", "", "ads.example"
	b.Run("alerting", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec.Record(alerting)
		}
	})
	b.Run("not-alerting", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec.Record(quiet)
		}
	})
}

// TestAlertsReload: a reload that sets a channel starts the alerts; one
// that removes every channel stops them.
func TestAlertsReload(t *testing.T) {
	got := make(chan string, 2)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	cfg := loadConfig(t, dir, []string{"127.0.0.1:0"}, up.Addr, "adult")
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	if h.Alerts() != nil || h.AlertChannels() != nil {
		t.Fatal("alerts running without a channel")
	}
	with := *cfg
	with.Alerts.Webhook.URL = hook.URL + "/hook"
	if err := h.Reload(&with); err != nil {
		t.Fatal(err)
	}
	res, ok := h.TestAlerts(context.Background())
	if !ok || len(res) != 1 || !res[0].OK {
		t.Fatalf("after the reload: %v %+v", ok, res)
	}
	if b := <-got; !strings.Contains(b, `"kind":"test"`) {
		t.Errorf("got %s", b)
	}
	if err := h.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if h.Alerts() != nil {
		t.Error("alerts still running after their channel was removed")
	}
}
