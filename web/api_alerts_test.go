package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/alerts"
)

// liveAlerts is the app's AlertsBackend over a real alerts.Service.
type liveAlerts struct{ s *alerts.Service }

func (l liveAlerts) AlertChannels() []alerts.ChannelState { return l.s.Channels() }
func (l liveAlerts) TestAlerts(ctx context.Context) ([]alerts.TestResult, bool) {
	return l.s.Test(ctx), true
}

// TestAlertsAPI: GET /api/alerts lists the channels; POST /api/alerts/test
// sends through each (a real webhook receiver on loopback) and says which
// worked; with no channel it says how to set one.
func TestAlertsAPI(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	csrf := f.login()
	if code, out := f.api("POST", "/api/alerts/test", csrf, nil); code != http.StatusConflict || !strings.Contains(jsonText(out), "alerts.ntfy") {
		t.Errorf("no channel: %d %v", code, out)
	}

	got := make(chan string, 2)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	svc, err := alerts.New(alerts.Config{Webhook: alerts.WebhookConfig{URL: hook.URL + "/hook"},
		Ntfy: alerts.NtfyConfig{URL: "http://127.0.0.1:1/topic"}, RatePerHour: 10, Spool: 10},
		alerts.Options{Dir: f.dir, Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.opts.Alerts = liveAlerts{svc}
	code, out := f.api("GET", "/api/alerts", "", nil)
	if code != http.StatusOK || out["configured"] != true || !strings.Contains(jsonText(out), `"name":"webhook"`) {
		t.Errorf("GET /api/alerts: %d %v", code, out)
	}
	code, out = f.api("POST", "/api/alerts/test", csrf, nil)
	text := jsonText(out)
	if code != http.StatusOK || out["ok"] != false || !strings.Contains(text, `{"channel":"webhook","ok":true}`) ||
		!strings.Contains(text, `"channel":"ntfy","error":`) {
		t.Errorf("POST /api/alerts/test: %d %s", code, text)
	}
	if b := <-got; !strings.Contains(b, `"kind":"test"`) {
		t.Errorf("the receiver got %s", b)
	}
	if code, _ := f.api("POST", "/api/alerts/test", "wrong", nil); code != http.StatusForbidden {
		t.Errorf("without CSRF: %d", code)
	}
}
