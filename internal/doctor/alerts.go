package doctor

import (
	"fmt"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/config"
)

// 9. The alert channels: what the running Hearth last saw of each (it
// saves a channel's state when a delivery fails and when it works again),
// and the alerts waiting on disk. Nothing is sent.

func (d *Doctor) checkAlerts(cfg *config.Config) {
	names := alerts.ChannelNames(cfg.Alerts)
	if len(names) == 0 {
		d.report(Finding{Status: OK, Text: "alerts: off (no alerts.ntfy, alerts.webhook or alerts.email)"})
		return
	}
	now := d.clock.Now()
	for _, st := range alerts.StatusOf(cfg.StateDirectory(), names) {
		f := Finding{Status: OK, Text: "alerts: " + st.Name + ": nothing waiting"}
		if !st.LastSent.IsZero() {
			f.Text += "; last delivered " + ago(now, st.LastSent)
		}
		switch {
		case st.LastError != "":
			f.Status = Fail
			f.Text = fmt.Sprintf("alerts: %s failing since %s, %d alert(s) waiting: %s", st.Name, ago(now, st.FailingAt), st.Pending, st.LastError)
			f.Fix = fixFor(st.Name) + "\nthe dashboard's \"send a test alert\" (POST /api/alerts/test) tries every channel at once"
		case st.Pending > 0:
			f.Status = Warn
			f.Text = fmt.Sprintf("alerts: %s has %d alert(s) waiting to be sent", st.Name, st.Pending)
			if st.Held != "" {
				f.Notes = append(f.Notes, "held by "+st.Held)
			}
			f.Fix = "they go out when Hearth runs and the channel answers (quiet hours and the hourly limit hold them on purpose)"
		}
		d.report(f)
	}
	d.checkNeighbours(cfg)
}

func fixFor(channel string) string {
	switch channel {
	case "ntfy":
		return "check alerts.ntfy.url (the topic's address) and alerts.ntfy.token (a tk_ token with write access to the topic)"
	case "email":
		return "check alerts.email.smtp (host:port: 587 STARTTLS, 465 TLS), the login, and that the provider allows SMTP (many need an app password)"
	}
	return "check that alerts.webhook.url answers a POST with 2xx (for Home Assistant: the automation's webhook id, and local_only if Hearth is another machine)"
}

// ago is "3h ago" or a date.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	d := now.Sub(t)
	if d < 0 || d > 48*time.Hour {
		return t.Format("2006-01-02 15:04")
	}
	s := strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s + " ago"
}
