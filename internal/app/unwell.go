package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// Hearth unwell: what the metrics and `hearth doctor` already know, looked
// at once a minute, told once per episode (again only after it was well).
const (
	unwellEvery     = time.Minute
	upstreamsDownAt = 5 * time.Minute // every upstream failing this long
	listStaleAt     = 24 * time.Hour  // a URL list not confirmed for this long, with an error
)

// unwell remembers what was seen, between looks.
type unwell struct {
	lastQ, lastE map[string]int64 // upstream counters at the last look
	downSince    time.Time        // every upstream failing since; zero: one answers
	upsTold      bool
	listsTold    map[string]bool
	journalTold  bool
}

// look returns the alerts to send for the state now.
func (u *unwell) look(now time.Time, ups []upstream.Stat, lists []blocklists.SourceStatus, j *journal.Stats) []alerts.Alert {
	var out []alerts.Alert
	tell := func(key, title, text string) {
		out = append(out, alerts.Alert{Kind: alerts.KindUnwell, Title: title, Text: text, Time: now,
			ID: fmt.Sprintf("unwell-%s-%d", key, now.Unix())})
	}
	// Every upstream failing: in the last minute, queries went up and every
	// one of them failed, on every upstream. No queries: no news.
	asked, answered := false, false
	for _, s := range ups {
		dq, de := s.Queries-u.lastQ[s.Address], s.Errors-u.lastE[s.Address]
		if dq > 0 {
			asked = true
			if de < dq {
				answered = true
			}
		}
	}
	if u.lastQ == nil {
		u.lastQ, u.lastE, asked = map[string]int64{}, map[string]int64{}, false
	}
	for _, s := range ups {
		u.lastQ[s.Address], u.lastE[s.Address] = s.Queries, s.Errors
	}
	switch {
	case answered:
		u.downSince, u.upsTold = time.Time{}, false
	case asked && u.downSince.IsZero():
		u.downSince = now
	}
	if !u.downSince.IsZero() && !u.upsTold && now.Sub(u.downSince) >= upstreamsDownAt-unwellEvery {
		u.upsTold = true
		tell("upstreams", "Hearth: no DNS server answers",
			fmt.Sprintf("Every upstream DNS server has failed for %d minutes: lookups fail unless the cache has them. Check the internet connection.",
				int(now.Sub(u.downSince)/time.Minute)+1))
	}
	if u.listsTold == nil {
		u.listsTold = map[string]bool{}
	}
	for _, l := range lists {
		if l.URL == "" {
			continue
		}
		last := l.LastCheck
		if last.IsZero() {
			last = l.LastUpdate
		}
		stale := l.LastError != "" && !last.IsZero() && now.Sub(last) >= listStaleAt
		switch {
		case stale && !u.listsTold[l.Name]:
			u.listsTold[l.Name] = true
			tell("list-"+l.Name, "Hearth: a blocklist is not updating",
				fmt.Sprintf("The list %s has not updated for %d hours (%s); Hearth filters with its last copy.", l.Name, int(now.Sub(last)/time.Hour), l.LastError))
		case !stale:
			delete(u.listsTold, l.Name)
		}
	}
	if j != nil {
		failing := j.InMemory || j.LastError != ""
		if failing && !u.journalTold {
			tell("journal", "Hearth: the journal is failing",
				"The journal cannot write its database ("+j.LastError+"): blocked lookups are kept in memory only, and the report will miss them. `hearth doctor` says why.")
		}
		u.journalTold = failing
	}
	return out
}

// watchUnwell looks once a minute until ctx ends: Hearth unwell, the
// daily budgets (budgetalerts.go), devices online but silent (silent.go),
// the weekly digest (digest.go).
func (h *Hearth) watchUnwell(ctx context.Context, stateDir string) {
	var u unwell
	sw := silentWatch{started: h.clock.Now()}
	neighCmd := h.neighCmd
	if len(neighCmd) == 0 {
		neighCmd = defaultNeighbourCommand
	}
	neighLogged := false
	bw, err := openBudgetWatch(filepath.Join(stateDir, alerts.SpoolDir, budgetToldFile))
	if err != nil {
		h.log.Warn().Err(err).Msg("alerts")
	}
	dw, err := openDigestWatch(filepath.Join(stateDir, alerts.SpoolDir, digestFile), h.clock.Now())
	if err != nil {
		h.log.Warn().Err(err).Msg("alerts")
	}
	for {
		c, stop := h.clock.After(unwellEvery)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
		}
		a := h.rec.alerts.Load()
		if a == nil {
			h.newDev.settled(h.clock.Now()) // a fresh installation's count ends unsent
			h.saveNewDevices()
			h.silent.Store(nil)
			continue
		}
		var js *journal.Stats
		if h.journal != nil {
			st := h.journal.Stats()
			js = &st
		}
		now := h.clock.Now()
		for _, al := range u.look(now, h.srv.UpstreamStats(), h.ListStatus(), js) {
			a.Notify(al)
		}
		if bs, err := h.engine.BudgetStatus(now, ""); err == nil && len(bs) > 0 {
			out, err := bw.look(now, bs)
			if err != nil {
				h.log.Warn().Err(err).Msg("alerts")
			}
			for _, al := range out {
				a.Notify(al)
			}
		}
		if err := h.lookDigest(ctx, a, dw, now); err != nil {
			h.log.Warn().Err(err).Msg("alerts")
		}
		h.lookNeighbours(ctx, a, now, neighCmd, &sw, &neighLogged, stateDir)
	}
}
