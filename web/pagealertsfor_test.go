package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/alerts"
)

// watchedAlerts is liveAlerts with the neighbour check's status, as the
// app's backend has it.
type watchedAlerts struct {
	liveAlerts
	st *alerts.NeighbourStatus
}

func (w watchedAlerts) NeighbourStatus() *alerts.NeighbourStatus { return w.st }

// The Alerts page says when the network was last looked at, how many
// devices were heard from and watched, or why the table cannot be read.
func TestAlertsPageNetworkState(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.login()
	svc, err := alerts.New(alerts.Config{Webhook: alerts.WebhookConfig{URL: "http://127.0.0.1:1/hook"}, RatePerHour: 10, Spool: 10},
		alerts.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	london, _ := time.LoadLocation("Europe/London")
	st := &alerts.NeighbourStatus{On: true, Readable: true, Silent: true, NewDevice: true, Online: 5, Watched: 2,
		LastRun: time.Date(2026, 12, 4, 18, 10, 0, 0, london)}
	f.srv.opts.Alerts = watchedAlerts{liveAlerts{svc}, st}
	resp, page := f.get("/alerts")
	wantPage(t, "readable", resp, page, http.StatusOK, "Looked at the network at 18:10: 5 devices heard from lately, 2 named devices watched for going silent.")
	*st = alerts.NeighbourStatus{On: true, Error: "silent devices: ip: executable file not found in $PATH", LastRun: st.LastRun}
	_, page = f.get("/alerts")
	if !strings.Contains(page, "not watched</span> The network&#39;s neighbour table could not be read at 18:10 (silent devices: ip: executable file not found in $PATH)") {
		t.Errorf("unreadable table not said:\n%s", page)
	}
}
