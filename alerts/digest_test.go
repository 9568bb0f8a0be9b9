package alerts_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// TestDigestHeldNotFolded: a weekly digest queued during quiet hours with
// other alerts is not folded into their summary: when the quiet hours end
// the summary goes, then the digest on its own; its HTML reaches only the
// mail (as a text/html part), never the webhook.
func TestDigestHeldNotFolded(t *testing.T) {
	t.Parallel()
	hook := newHTTPReceiver(t)
	hook.start(t)
	mailer := newSMTPReceiver(t, "parent", "s3cret")
	cfg := defaults()
	cfg.Webhook.URL = hook.url("/hook")
	cfg.Email = alerts.EmailConfig{SMTP: mailer.addr, Username: "parent", Password: "s3cret", From: "hearth@example.net",
		To: []string{"parent@example.net"}, TLS: alerts.TLSStartTLS}
	cfg.QuietHours = []string{"daily 17:30-19:00"}
	clk := clocktest.New(time.Date(2026, 12, 6, 18, 0, 0, 0, london))
	s := start(t, cfg, clk, t.TempDir(), func(o *alerts.Options) { o.RootCAs = mailer.roots })
	s.Notify(alerts.Alert{Kind: alerts.KindNewDevice, Title: "New device", Text: "a new device joined: phone-a"})
	s.Notify(alerts.Alert{Kind: alerts.KindDigest, Title: "Hearth weekly report", Text: "This week: nothing was blocked.",
		HTML: "<html><body><p style=\"margin:0\">the report</p></body></html>"})
	s.Notify(alerts.Alert{Kind: alerts.KindNewDevice, Title: "New device", Text: "a new device joined: phone-b"})
	clk.WaitTimers(2, 5*time.Second)
	hook.none(t)
	clk.Set(time.Date(2026, 12, 6, 19, 0, 0, 0, london))
	var sum, dig alerts.Alert
	json.Unmarshal([]byte(hook.next(t).Body), &sum)
	body := hook.next(t).Body
	json.Unmarshal([]byte(body), &dig)
	if sum.Kind != alerts.KindSummary || len(sum.Alerts) != 2 {
		t.Errorf("summary: %+v", sum)
	}
	if dig.Kind != alerts.KindDigest || dig.Text != "This week: nothing was blocked." || strings.Contains(body, "html") {
		t.Errorf("digest on the webhook: %s", body)
	}
	hook.none(t)
	m1, m2 := mailer.next(t), mailer.next(t)
	if !strings.Contains(m1.Data, "X-Hearth-Kind: summary") || strings.Contains(m1.Data, "text/html") {
		t.Errorf("first mail:\n%s", m1.Data)
	}
	if !strings.Contains(m2.Data, "X-Hearth-Kind: digest") || !strings.Contains(m2.Data, "multipart/alternative") ||
		!strings.Contains(m2.Data, "Content-Type: text/html; charset=utf-8") || !strings.Contains(m2.Data, "This week: nothing was blocked.") {
		t.Errorf("digest mail:\n%s", m2.Data)
	}
}
