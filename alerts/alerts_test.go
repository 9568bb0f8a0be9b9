package alerts_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/verdict"
)

var london, _ = time.LoadLocation("Europe/London")

// defaults are the configuration's defaults (internal/config's default.yaml).
func defaults() alerts.Config {
	return alerts.Config{
		Events: alerts.EventsConfig{Blocked: []string{"random-video-chat", "adult"}, BedtimeChat: true, Bypass: true,
			NewDevice: true, Unwell: true, SilentDevice: 40 * time.Minute},
		Email: alerts.EmailConfig{TLS: alerts.TLSAuto}, RatePerHour: 10, Spool: 1000, Dashboard: "http://hearth.lan:8080",
	}
}

func start(t *testing.T, cfg alerts.Config, clk *clocktest.Fake, dir string, opts ...func(*alerts.Options)) *alerts.Service {
	t.Helper()
	if errs := cfg.Validate("alerts"); len(errs) > 0 {
		t.Fatal(errs)
	}
	o := alerts.Options{Dir: dir, Clock: clk, Location: london,
		Names: func(id string) string {
			return map[string]string{"omegle": "Omegle", "random-video-chat": "random video chat"}[id]
		}}
	for _, f := range opts {
		f(&o)
	}
	s, err := alerts.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func omegle(at time.Time) *alerts.Lookup {
	l := &alerts.Lookup{Time: at, Device: "alex-tablet", Group: "kids", Client: netip.MustParseAddr("192.168.1.23"),
		Blocked: true, Reason: verdict.ReasonRule, Rule: "groups.kids.rules[0]", Category: "random-video-chat", Service: "omegle"}
	l.SetName("www.omegle.com")
	return l
}

// TestBlockedBatchedPerHourOnEveryChannel: 14 tries at Omegle in one hour
// make one alert at the hour's end, on ntfy (its documented request), the
// webhook (JSON) and e-mail (STARTTLS, AUTH PLAIN), naming the service and
// category but not the domain.
func TestBlockedBatchedPerHourOnEveryChannel(t *testing.T) {
	t.Parallel()
	hook, nt := newHTTPReceiver(t), newHTTPReceiver(t)
	hook.start(t)
	nt.start(t)
	mailer := newSMTPReceiver(t, "parent", "s3cret")
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/api/webhook/hearth")
	cfg.Ntfy = alerts.NtfyConfig{URL: nt.url("/family"), Token: "tk_test"}
	cfg.Email = alerts.EmailConfig{SMTP: mailer.addr, Username: "parent", Password: "s3cret", From: "hearth@example.net",
		To: []string{"parent@example.net"}, TLS: alerts.TLSStartTLS}
	at := time.Date(2026, 12, 4, 21, 3, 0, 0, london)
	clk := clocktest.New(at)
	s := start(t, cfg, clk, t.TempDir(), func(o *alerts.Options) { o.RootCAs = mailer.roots })
	for i := range 14 {
		s.Look(omegle(at.Add(time.Duration(i) * time.Minute)))
	}
	other := omegle(at) // a category nobody asked to hear of
	other.Category, other.Service = "ads", ""
	s.Look(other)
	clk.WaitTimers(1, 5*time.Second)
	hook.none(t)
	clk.Set(time.Date(2026, 12, 4, 22, 0, 0, 0, london))

	want := "alex-tablet tried Omegle (random video chat) 14 times between 21:00 and 22:00"
	q := hook.next(t)
	var a alerts.Alert
	if err := json.Unmarshal([]byte(q.Body), &a); err != nil {
		t.Fatal(err)
	}
	if a.Text != want || a.Kind != alerts.KindBlocked || a.Count != 14 || a.Owner != "alex-tablet" || a.Service != "omegle" ||
		a.Category != "random-video-chat" || a.Link != "http://hearth.lan:8080/now" || q.Header.Get("Content-Type") != "application/json" {
		t.Errorf("webhook got %+v", a)
	}
	if strings.Contains(q.Body, "omegle.com") {
		t.Errorf("the domain left the house without alerts.detail: %s", q.Body)
	}
	if !strings.Contains(q.Body, `"time":"2026-12-04T21:00:00Z"`) {
		t.Errorf("time not in the household zone: %s", q.Body)
	}
	n := nt.next(t)
	if n.Path != "/family" || n.Body != want || n.Header.Get("Authorization") != "Bearer tk_test" ||
		n.Header.Get("Title") != "alex-tablet tried Omegle" || n.Header.Get("Click") != "http://hearth.lan:8080/now" ||
		!strings.Contains(n.Header.Get("Tags"), "hearth") || n.Header.Get("Priority") == "" {
		t.Errorf("ntfy got %s %q %v", n.Path, n.Body, n.Header)
	}
	m := mailer.next(t)
	if !m.TLS || m.User != "parent" || m.From != "hearth@example.net" || len(m.To) != 1 ||
		!strings.Contains(m.Data, "Subject: alex-tablet tried Omegle\n") || !strings.Contains(m.Data, "\n\n"+want+"\n") ||
		strings.Contains(m.Data, "omegle.com") {
		t.Errorf("mail: %+v", m)
	}
	hook.none(t)
	for _, c := range s.Channels() {
		if c.Sent != 1 || c.LastError != "" || c.Pending != 0 {
			t.Errorf("channel %+v", c)
		}
	}
}

// TestDetailAndHelp: with detail the domain goes too; a help site's lookup
// (even blocked, which policy never does) never alerts.
func TestDetailAndHelp(t *testing.T) {
	t.Parallel()
	hook := newHTTPReceiver(t)
	hook.start(t)
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	cfg.Detail = true
	at := time.Date(2026, 12, 4, 21, 3, 0, 0, london)
	clk := clocktest.New(at)
	s := start(t, cfg, clk, t.TempDir())
	help := omegle(at)
	help.Reason = verdict.ReasonHelp
	s.Look(help)
	s.Look(omegle(at))
	clk.WaitTimers(1, 5*time.Second)
	clk.Advance(time.Hour)
	q := hook.next(t)
	if !strings.Contains(q.Body, `"domain":"www.omegle.com"`) || !strings.Contains(q.Body, "tried Omegle (random video chat) once") {
		t.Errorf("got %s", q.Body)
	}
	hook.none(t)
}

// TestQuietHoursHeldThenOneSummary: alerts during quiet hours wait, then
// go as one summary when they end.
func TestQuietHoursHeldThenOneSummary(t *testing.T) {
	t.Parallel()
	hook := newHTTPReceiver(t)
	hook.start(t)
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	cfg.QuietHours = []string{"daily 22:30-07:00"}
	clk := clocktest.New(time.Date(2026, 12, 4, 23, 0, 0, 0, london))
	s := start(t, cfg, clk, t.TempDir())
	for _, dev := range []string{"phone-a", "phone-b", "phone-c"} {
		s.Notify(alerts.Alert{Kind: alerts.KindNewDevice, Title: "New device", Text: "a new device joined: " + dev, Owner: dev})
	}
	clk.WaitTimers(1, 5*time.Second)
	hook.none(t)
	if st := s.Channels()[0]; st.Held != "quiet hours" || st.Pending != 3 {
		t.Errorf("state while quiet: %+v", st)
	}
	clk.Set(time.Date(2026, 12, 5, 7, 0, 0, 0, london))
	var a alerts.Alert
	json.Unmarshal([]byte(hook.next(t).Body), &a)
	if a.Kind != alerts.KindSummary || len(a.Alerts) != 3 ||
		!strings.HasPrefix(a.Text, "3 alerts during quiet hours: a new device joined: phone-a; ") {
		t.Errorf("summary: %+v", a)
	}
	hook.none(t)
}

// TestRateLimitThenSummary: past rate_per_hour, the rest go as one
// summary when the hour allows.
func TestRateLimitThenSummary(t *testing.T) {
	t.Parallel()
	hook := newHTTPReceiver(t)
	hook.start(t)
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	cfg.RatePerHour = 2
	clk := clocktest.New(time.Date(2026, 12, 4, 12, 0, 0, 0, london))
	s := start(t, cfg, clk, t.TempDir())
	for i := range 2 {
		s.Notify(alerts.Alert{Kind: alerts.KindUnwell, Title: "x", Text: "alert " + string(rune('a'+i))})
		hook.next(t)
	}
	for i := range 3 {
		s.Notify(alerts.Alert{Kind: alerts.KindUnwell, Title: "x", Text: "later " + string(rune('a'+i))})
	}
	clk.WaitTimers(1, 5*time.Second)
	hook.none(t)
	clk.Advance(time.Hour)
	b := hook.next(t).Body
	if !strings.Contains(b, `"kind":"summary"`) || !strings.Contains(b, "3 alerts past the limit of alerts an hour: later a; later b; later c") {
		t.Errorf("got %s", b)
	}
}

// TestRetryAfterDownAndRestart: the webhook's server is down; the alert
// waits on disk through a restart of the service, is retried with backoff,
// and arrives once the server is up.
func TestRetryAfterDownAndRestart(t *testing.T) {
	t.Parallel()
	hook := newHTTPReceiver(t)
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	dir := t.TempDir()
	clk := clocktest.New(time.Date(2026, 12, 4, 12, 0, 0, 0, london))
	s := start(t, cfg, clk, dir)
	s.Notify(alerts.Alert{Kind: alerts.KindUnwell, Title: "Hearth unwell", Text: "every upstream has failed for 5 minutes"})
	clk.WaitTimers(1, 5*time.Second) // the backoff after the first failure
	st := s.Channels()[0]
	if st.LastError == "" || st.Pending != 1 || !st.RetryAt.Equal(clk.Now().Add(10*time.Second)) {
		t.Fatalf("after a failure: %+v", st)
	}
	clk.Advance(10 * time.Second)
	clk.WaitTimers(1, 5*time.Second) // failed again: 20 s now
	if st := s.Channels()[0]; !st.RetryAt.Equal(clk.Now().Add(20 * time.Second)) {
		t.Errorf("backoff did not double: %+v", st)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	s2 := start(t, cfg, clk, dir) // a restart: the spool is read again
	clk.WaitTimers(1, 5*time.Second)
	hook.start(t)
	clk.Advance(10 * time.Second)
	if b := hook.next(t).Body; !strings.Contains(b, "every upstream has failed for 5 minutes") {
		t.Errorf("got %s", b)
	}
	hook.none(t)
	deadline := time.Now().Add(5 * time.Second)
	for s2.Channels()[0].Pending != 0 || s2.Channels()[0].LastError != "" {
		if time.Now().After(deadline) {
			t.Fatalf("state after delivery: %+v", s2.Channels()[0])
		}
		time.Sleep(10 * time.Millisecond) // polling the sender's state, not waiting on the clock
	}
}

// TestBatchQueuedAtShutdown: a batch still counting when Hearth stops is
// queued on disk and sent after the next start.
func TestBatchQueuedAtShutdown(t *testing.T) {
	t.Parallel()
	hook := newHTTPReceiver(t)
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	dir := t.TempDir()
	at := time.Date(2026, 12, 4, 21, 3, 0, 0, london)
	clk := clocktest.New(at)
	s := start(t, cfg, clk, dir)
	s.Look(omegle(at))
	s.Look(omegle(at))
	clk.WaitTimers(1, 5*time.Second)
	s.Close(context.Background())
	hook.start(t)
	start(t, cfg, clk, dir)
	if b := hook.next(t).Body; !strings.Contains(b, "tried Omegle (random video chat) 2 times between 21:00 and 22:00") {
		t.Errorf("got %s", b)
	}
}

// TestTestAlert: the dashboard's button reports each channel.
func TestTestAlert(t *testing.T) {
	t.Parallel()
	hook, down := newHTTPReceiver(t), newHTTPReceiver(t)
	hook.start(t)
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	cfg.Ntfy.URL = down.url("/topic")
	s := start(t, cfg, clocktest.New(time.Date(2026, 12, 4, 12, 0, 0, 0, london)), t.TempDir())
	res := s.Test(context.Background())
	if len(res) != 2 || !res[0].OK || res[0].Channel != "webhook" || res[1].OK || res[1].Error == "" {
		t.Errorf("got %+v", res)
	}
	if b := hook.next(t).Body; !strings.Contains(b, `"kind":"test"`) {
		t.Errorf("got %s", b)
	}
}

// TestLookDoesNotAllocate: the query path's hand-off.
func TestLookDoesNotAllocate(t *testing.T) {
	cfg := defaults()
	cfg.Webhook.URL = "http://127.0.0.1:1/hook"
	clk := clocktest.New(time.Date(2026, 12, 4, 21, 0, 0, 0, london))
	s, err := alerts.New(cfg, alerts.Options{Dir: t.TempDir(), Clock: clk}) // not started: the queue fills, then drops
	if err != nil {
		t.Fatal(err)
	}
	hit, miss := omegle(clk.Now()), omegle(clk.Now())
	miss.Category, miss.Service = "ads", ""
	if n := testing.AllocsPerRun(2000, func() { s.Look(hit); s.Look(miss) }); n != 0 {
		t.Errorf("Look allocates %v times", n)
	}
	if s.Lost() == 0 {
		t.Error("a full queue was not counted")
	}
}

// TestEmailTLSModes: implicit TLS (port 465's way) delivers with the
// login; a server that offers no STARTTLS is refused rather than sent the
// password in the clear.
func TestEmailTLSModes(t *testing.T) {
	t.Parallel()
	implicit := startSMTP(t, "parent", "pw", "tls")
	plain := startSMTP(t, "parent", "pw", "none")
	clk := clocktest.New(time.Date(2026, 12, 4, 12, 0, 0, 0, london))
	for _, tc := range []struct {
		r    *smtpReceiver
		mode string
		want string // "" delivered, else in the error
	}{
		{implicit, alerts.TLSImplicit, ""},
		{plain, alerts.TLSAuto, "does not offer STARTTLS"},
	} {
		cfg := defaults()
		cfg.Email = alerts.EmailConfig{SMTP: tc.r.addr, Username: "parent", Password: "pw", From: "hearth@example.net",
			To: []string{"parent@example.net"}, TLS: tc.mode}
		s := start(t, cfg, clk, t.TempDir(), func(o *alerts.Options) { o.RootCAs = tc.r.roots })
		res := s.Test(context.Background())
		if tc.want == "" {
			if !res[0].OK {
				t.Errorf("%s: %+v", tc.mode, res)
				continue
			}
			if m := tc.r.next(t); !m.TLS || m.User != "parent" || !strings.Contains(m.Data, "This is a test alert from Hearth") {
				t.Errorf("%s: %+v", tc.mode, m)
			}
		} else if res[0].OK || !strings.Contains(res[0].Error, tc.want) {
			t.Errorf("%s: %+v, want an error with %q", tc.mode, res, tc.want)
		}
	}
}
