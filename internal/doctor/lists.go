package doctor

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
)

// 6. The lists.

func (d *Doctor) checkLists(cfg *config.Config) {
	cat := blocklists.Builtin()
	ls, err := blocklists.New(cfg.Lists, blocklists.Options{
		Logger: zerolog.Nop(), Clock: d.clock, Dir: cfg.ListsDir(), Catalogue: cat,
		Categories: cfg.Policy.Categories(cat), UserAgent: "hearth/" + d.version,
	})
	if err == nil {
		_, err = ls.Compile()
	}
	if err != nil {
		f := Finding{Status: Fail, Text: "lists: cannot be compiled", Fix: "correct lists: in hearth.yaml"}
		for _, p := range config.Problems(err) {
			f.Notes = append(f.Notes, p.Error())
		}
		d.report(f)
		return
	}
	services := 0
	var others []blocklists.SourceStatus
	for _, st := range ls.Status() {
		if st.Kind == blocklists.KindService {
			services++
		} else {
			others = append(others, st)
		}
	}
	d.report(Finding{Status: OK, Text: fmt.Sprintf("lists: compiled from the cached copies: %d catalogue services, %d lists", services, len(others))})
	stale := doctorStaleLists * cfg.Lists.Refresh
	now := d.clock.Now()
	for _, st := range others {
		title := "list " + st.Name
		update := "`hearth lists update` downloads the lists now and shows what goes wrong; if it cannot, check this machine's internet connection"
		switch confirmed := latest(st.LastUpdate, st.LastCheck); {
		case st.URL != "" && st.LastUpdate.IsZero():
			d.report(Finding{Status: Warn, Text: title + ": never downloaded, so its entries are not blocked",
				Fix: update + " (a running Hearth keeps trying by itself)"})
		case st.URL != "" && now.Sub(confirmed) > stale:
			d.report(Finding{Status: Warn,
				Text:  fmt.Sprintf("%s: last confirmed %s ago, more than %d x lists.refresh (%s)", title, blocklists.ShortAge(now.Sub(confirmed)), doctorStaleLists, stale),
				Notes: errNote(st.LastError),
				Fix:   "Hearth refreshes lists while it runs: check that it runs, then " + update})
		case st.LastError != "":
			d.report(Finding{Status: Warn, Text: title + ": " + st.LastError,
				Fix: "check the source in lists.sources (for a file: that it exists and Hearth may read it)"})
		default:
			entries := fmt.Sprintf("%d entries", st.Entries)
			if st.Entries == 1 {
				entries = "1 entry"
			}
			f := Finding{Status: OK, Text: title + ": " + entries}
			if !st.LastUpdate.IsZero() {
				f.Text += ", updated " + blocklists.ShortAge(now.Sub(st.LastUpdate)) + " ago"
			}
			d.report(f)
		}
	}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func errNote(e string) []string {
	if e == "" {
		return nil
	}
	return []string{"last error: " + e}
}
