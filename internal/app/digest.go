package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/report"
)

// The weekly digest (alerts.digest, "sun 18:00"): looked at once a minute
// with the other alerts; at the day and time on the household's clock, the
// report of the 7 days before goes to every channel: the whole report as
// an HTML mail, a short summary to ntfy and the webhook. The week sent is
// remembered in a small file, so a restart does not send it again.
const (
	digestFile = "digest.json"
	// digestLate is how long after its time a digest still goes (Hearth
	// was down at the time); later, that week's is skipped.
	digestLate = 24 * time.Hour
	digestDays = 7
)

// digestWatch remembers the last digest sent, by its scheduled time, and
// when Hearth first looked: a digest due before then is not sent, so a new
// installation does not mail at once the report of a week it never saw.
type digestWatch struct {
	path  string
	Last  time.Time `json:"last"`
	Since time.Time `json:"since"`
	// failed is the scheduled time whose digest could not be built: tried
	// again each minute, its error logged once.
	failed time.Time
}

// openDigestWatch reads path (missing: none sent, and now is the first
// look, saved; damaged: none sent, and the error is returned for logging).
func openDigestWatch(path string, now time.Time) (*digestWatch, error) {
	w := &digestWatch{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		w.Since = now
		return w, w.save()
	}
	if err == nil {
		err = json.Unmarshal(b, w)
	}
	if err != nil {
		w.Last = time.Time{}
		return w, fmt.Errorf("%s: %w (this week's digest may be sent again)", path, err)
	}
	return w, nil
}

// digestTime is the last time at or before now that is day at the time of
// day at, on loc's clock. time.Date normalises a time a DST change skips
// (02:30 on the spring-forward night is 03:30) and takes the first of a
// repeated one.
func digestTime(now time.Time, day time.Weekday, at time.Duration, loc *time.Location) time.Time {
	n := now.In(loc)
	back := (int(n.Weekday()) - int(day) + 7) % 7
	h, m := int(at/time.Hour), int(at%time.Hour/time.Minute)
	t := time.Date(n.Year(), n.Month(), n.Day()-back, h, m, 0, 0, loc)
	if t.After(now) {
		t = time.Date(n.Year(), n.Month(), n.Day()-back-7, h, m, 0, 0, loc)
	}
	return t
}

// due returns the scheduled time of the digest to send at now, if one is.
func (w *digestWatch) due(now time.Time, day time.Weekday, at time.Duration, loc *time.Location) (time.Time, bool) {
	t := digestTime(now, day, at, loc)
	if !t.After(w.Last) || t.Before(w.Since) || now.Sub(t) >= digestLate {
		return t, false
	}
	return t, true
}

// sent remembers t as sent.
func (w *digestWatch) sent(t time.Time) error {
	w.Last = t
	return w.save()
}

func (w *digestWatch) save() error {
	b, _ := json.Marshal(w)
	if err := os.MkdirAll(filepath.Dir(w.path), 0o700); err != nil {
		return fmt.Errorf("weekly digest: %w", err)
	}
	if err := atomicfile.Write(w.path, b, 0o600); err != nil {
		return fmt.Errorf("weekly digest: %w", err)
	}
	return nil
}

// lookDigest sends the digest when it is due (a no-op without
// alerts.digest or without the journal, which the report is read from).
func (h *Hearth) lookDigest(ctx context.Context, a *alerts.Service, w *digestWatch, now time.Time) error {
	day, at, ok := a.Digest()
	if !ok || h.journal == nil {
		return nil
	}
	loc := h.engine.Location()
	t, ok := w.due(now, day, at, loc)
	if !ok {
		return nil
	}
	al, err := h.digestAlert(ctx, a, t)
	if err != nil {
		if w.failed.Equal(t) {
			return nil // told already
		}
		w.failed = t
		return err
	}
	a.Notify(al) // on disk for every channel when it returns
	return w.sent(t)
}

// digestAlert builds the report of the 7 days to t and makes the alert: a
// summary in Text, the report for mail clients in HTML.
func (h *Hearth) digestAlert(ctx context.Context, a *alerts.Service, t time.Time) (alerts.Alert, error) {
	loc := h.engine.Location()
	tl := t.In(loc)
	since := time.Date(tl.Year(), tl.Month(), tl.Day()-digestDays, tl.Hour(), tl.Minute(), 0, 0, loc)
	var days []report.BudgetDay
	if b := h.engine.Budgets(); b != nil {
		days = report.BudgetDaysOf(b.History(), loc)
	}
	var help []string
	if p := h.helpCountries.Load(); p != nil {
		help = *p
	}
	rep, err := report.Build(ctx, h.journal, report.Options{Since: since, Until: t, Location: loc,
		Catalogue: blocklists.Builtin(), HelpCountries: help, Budgets: days})
	if err != nil {
		return alerts.Alert{}, fmt.Errorf("weekly digest: %w", err)
	}
	link := a.PageLink("/report")
	var page strings.Builder
	if err := rep.MailHTML(&page, link); err != nil {
		return alerts.Alert{}, fmt.Errorf("weekly digest: %w", err)
	}
	return alerts.Alert{
		ID:    "digest-" + tl.Format("2006-01-02"),
		Kind:  alerts.KindDigest,
		Title: "Hearth weekly report: " + since.Format("2 Jan") + " to " + tl.Format("2 Jan"),
		Text:  digestText(rep, link),
		Time:  t,
		HTML:  page.String(),
	}, nil
}

// digestText is the summary for ntfy and the webhook: blocked tries per
// device, the conversation starters' titles, where the whole report is.
// Like every alert it names devices, services and categories, never a
// domain.
func digestText(r *report.Report, link string) string {
	var b strings.Builder
	b.WriteString("This week: ")
	if len(r.Devices) == 0 {
		b.WriteString("nothing was blocked.")
	}
	for i, d := range r.Devices {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 8 {
			fmt.Fprintf(&b, "and %d more devices", len(r.Devices)-8)
			break
		}
		fmt.Fprintf(&b, "%s %d blocked", d.Name, d.Blocked)
	}
	if len(r.Devices) > 0 {
		b.WriteString(".")
	}
	for _, u := range r.Budgets {
		fmt.Fprintf(&b, " %s used %d minutes of %s.", u.Owner, u.Total, u.What)
	}
	if len(r.Starters) > 0 {
		titles := make([]string, 0, 3)
		for i, s := range r.Starters {
			if i == 3 {
				break
			}
			titles = append(titles, s.Title)
		}
		b.WriteString("\nThings to talk about: " + strings.Join(titles, "; ") + ".")
	}
	if link != "" {
		b.WriteString("\nThe whole report: " + link)
	}
	return b.String()
}
