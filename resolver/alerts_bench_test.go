package resolver

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/journal"
)

// alertsTee is internal/app's hand-off (recorder in internal/app/alerts.go),
// repeated here because this package's tests cannot import internal/app: the
// journal, then the alerts for a blocked lookup.
type alertsTee struct {
	j *journal.Journal
	a *alerts.Service
}

func (t *alertsTee) Record(e journal.Event) {
	t.j.Record(e)
	if e.Action != journal.ActionBlock {
		return
	}
	l := alerts.Lookup{Time: e.Time, Device: e.Device, Group: e.Group, Client: e.Client, Blocked: true,
		Reason: e.Reason, Rule: e.Rule, Category: e.Category, Service: e.Service}
	l.SetName(e.Name)
	t.a.Look(&l)
}

// BenchmarkUDPWorkerAlerts is BenchmarkUDPWorker/blocked-journal with the
// alerts on and the blocked name alerting (roblox, gaming): the hand-off
// must add no allocation to the fast path.
func BenchmarkUDPWorkerAlerts(b *testing.B) {
	j := journal.Open(journal.Config{Queue: 1 << 16, FlushInterval: time.Second, RetentionDays: 1, MaxSizeMB: 100},
		journal.Options{Dir: b.TempDir()})
	b.Cleanup(func() { _ = j.Close(context.Background()) })
	// The household's events alert nothing; alerts.for turns gaming on for
	// alex, who owns alex-tablet: the per-device filter is the one asked.
	gaming := []string{"gaming", "roblox"}
	a, err := alerts.New(alerts.Config{Webhook: alerts.WebhookConfig{URL: "http://127.0.0.1:1/hook"}, RatePerHour: 10, Spool: 10,
		Events: alerts.EventsConfig{Blocked: []string{"adult"}}, For: map[string]alerts.EventsOverride{"alex": {Blocked: &gaming}}},
		alerts.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	a.SetHousehold(alerts.Household{Devices: map[string]alerts.Member{"alex-tablet": {Person: "alex", Group: "kids"}},
		People: map[string]string{"alex": "kids"}})
	// Not started: its queue fills, then each alerting lookup is counted as
	// lost, which shows that every one passed the filter.
	s := familyServer(b, &alertsTee{j: j, a: a})
	pkt, _ := packQuery(b, "www.roblox.com.", dns.TypeA, true)
	wk, c := testWorker(s)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		wk.handle(pkt, benchClient, nil)
		n++
	}
	if r := unpack(b, c.last); r.Rcode != dns.RcodeNameError {
		b.Fatalf("last answer %v", r)
	}
	if n > 1100 && a.Lost() == 0 {
		b.Fatal("the blocked lookups did not reach the alerts")
	}
}
