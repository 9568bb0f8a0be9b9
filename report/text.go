package report

// The plain-text report: short lines (at most textWidth columns, but for a
// word longer than that) that fit a phone screen and survive a text message
// or an email, with no tables.

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/policy/words"
)

const textWidth = 40

// Text writes the report as plain text.
func (r *Report) Text(w io.Writer) error {
	t := &textWriter{w: w}
	t.line("HEARTH REPORT")
	t.wrap("", "", r.periodText())
	t.wrap("", "", "Times are "+r.Zone+".")
	if r.Person != "" {
		t.wrap("", "", "About "+r.Person+" (all their devices).")
	}
	t.line("")
	t.wrap("", "", intro)
	t.line("")
	if r.History {
		t.wrap("", "", "Changes are against the "+r.periodWord()+" before.")
	} else {
		t.wrap("", "", noHistory)
	}
	if r.Dropped > 0 {
		t.line("")
		t.wrap("", "", r.droppedText())
	}
	if len(r.Devices) == 0 {
		t.line("")
		t.wrap("", "", "Nothing was blocked this "+r.periodWord()+".")
	}
	for i := range r.Devices {
		r.deviceText(t, &r.Devices[i])
	}
	if len(r.Budgets) > 0 {
		t.heading("Time used of daily budgets")
		for _, b := range r.Budgets {
			t.line("")
			t.wrap("* ", "  ", budgetLine(b))
			for _, d := range b.Days {
				t.wrap("  - ", "    ", fmt.Sprintf("%s %s: %s", d.Weekday, d.Day, minutesText(d.Minutes)))
			}
		}
	}
	if len(r.Starters) > 0 {
		t.heading("Things to talk about")
		for _, s := range r.Starters {
			t.line("")
			t.wrap("* ", "  ", s.Title)
			for _, seen := range s.Seen {
				t.wrap("  - ", "    ", seen.Text)
			}
			t.wrap("  ", "  ", strings.Join(s.Say, " "))
			t.wrap("  Ask: ", "  ", `"`+s.Ask+`"`)
		}
	}
	for _, hc := range r.Help {
		t.heading("Where to get help in " + hc.Name)
		for _, e := range hc.Entries {
			t.wrap("- ", "  ", e.Name+": "+cmp.Or(e.Phone, e.Web))
			if e.Phone != "" && e.Web != "" {
				t.wrap("  ", "  ", e.Web)
			}
			t.wrap("  ", "  ", e.Description)
		}
	}
	return t.err
}

// deviceText writes one device's section.
func (r *Report) deviceText(t *textWriter, d *Device) {
	period := r.periodWord()
	t.headingAsWritten(d.Name)
	t.wrap("", "", r.totalText(d))
	for _, f := range d.Floods {
		t.line("")
		t.wrap("", "", f.Text+".")
	}

	if d.Blocked > 0 {
		t.line("")
		t.line("When:")
		for _, w := range whenItems(d.When) {
			t.wrap("- ", "  ", fmt.Sprintf("%s: %d", w.label, w.n))
		}
	}
	if len(d.Categories) > 0 {
		t.line("")
		t.line("By category:")
		for _, c := range d.Categories {
			t.wrap("- ", "  ", fmt.Sprintf("%s: %d%s", c.Name, c.Attempts, changeParen(c.Change)))
		}
	}
	if len(d.Services) > 0 {
		t.line("")
		t.line("By service:")
		for _, c := range d.Services {
			t.wrap("- ", "  ", fmt.Sprintf("%s: %d", c.Name, c.Attempts))
		}
	}
	if len(d.Busiest) > 0 {
		t.line("")
		t.line("Busiest hours:")
		for _, h := range d.Busiest {
			t.wrap("- ", "  ", fmt.Sprintf("%s: %d", hourRange(h.Hour), h.Attempts))
		}
	}
	if len(d.New) > 0 {
		names := make([]string, len(d.New))
		for i, s := range d.New {
			names[i] = s.Name
		}
		t.line("")
		t.wrap("", "", "New this "+period+": "+strings.Join(names, ", ")+".")
	}
	if len(d.Allowed) > 0 {
		t.line("")
		t.line("Allowed, most used:")
		for _, c := range d.Allowed {
			t.wrap("- ", "  ", fmt.Sprintf("%s: %d", c.Name, c.Attempts))
		}
	}
	if len(d.Settings) > 0 {
		t.line("")
		t.line("Their own settings:")
		for _, l := range d.Settings {
			t.wrap("- ", "  ", l.Text())
		}
	}
}

// Words shared by the text and HTML reports.
const (
	intro     = "Nobody can watch every click. Use this to start a conversation, not to check up."
	noHistory = "Nothing earlier is recorded, so there is nothing to compare with yet."
)

// periodText is "Mon 3 Mar to Sun 9 Mar 2025" (the last day, not the
// exclusive end), or with times when the period is not whole days.
func (r *Report) periodText() string {
	since, until := r.Since, r.Until
	midnight := func(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 }
	if !midnight(since) || !midnight(until) {
		const layout = "Mon 2 Jan 2006 15:04"
		return since.Format(layout) + " to " + until.Format(layout)
	}
	last := until.Add(-time.Nanosecond)
	if last.YearDay() == since.YearDay() && last.Year() == since.Year() {
		return since.Format("Mon 2 Jan 2006")
	}
	first := "Mon 2 Jan"
	if last.Year() != since.Year() {
		first = "Mon 2 Jan 2006"
	}
	return since.Format(first) + " to " + last.Format("Mon 2 Jan 2006")
}

// droppedText says how many lookups could not be recorded.
func (r *Report) droppedText() string {
	if r.Dropped == 1 {
		return "1 lookup could not be recorded, so the numbers may be a little low."
	}
	return fmt.Sprintf("%d lookups could not be recorded, so the numbers may be a little low.", r.Dropped)
}

// totalText is "57 blocked tries this week: +12 (+27%) on the week before."
func (r *Report) totalText(d *Device) string {
	period := r.periodWord()
	s := fmt.Sprintf("%d blocked tries this %s", d.Blocked, period)
	switch {
	case d.Blocked == 0:
		s = "No blocked tries this " + period
	case d.Blocked == 1:
		s = "1 blocked try this " + period
	}
	switch {
	case d.Change == nil:
		return s + "."
	case d.Change.Diff == 0:
		return s + ", as many as the " + period + " before."
	}
	return s + ": " + d.Change.String() + " on the " + period + " before."
}

// whenItem is one line of the "When" list.
type whenItem struct {
	label string
	n     int64
}

// whenItems are the nonzero reasons, in a fixed order.
func whenItems(w When) []whenItem {
	all := []whenItem{
		{"at bedtime", w.Bedtime},
		{words.ModePhrase(verdict.ModeOutside), w.Outside},
		{words.ModePhrase(verdict.ModeDuring) + " (school, homework)", w.During},
		{"during a pause", w.Pause},
		{"blocked at all hours", w.Anytime},
	}
	var out []whenItem
	for _, it := range all {
		if it.n > 0 {
			out = append(out, it)
		}
	}
	return out
}

// changeParen is " (+5, +33%)", " (-2)", " (no change)", or "" without a
// comparison.
func changeParen(c *Change) string {
	switch {
	case c == nil:
		return ""
	case c.Diff == 0:
		return " (no change)"
	case c.Percent != nil:
		return fmt.Sprintf(" (%+d, %+d%%)", c.Diff, *c.Percent)
	}
	return fmt.Sprintf(" (%+d)", c.Diff)
}

// hourRange is "21:00-22:00".
func hourRange(h int) string {
	return fmt.Sprintf("%02d:00-%02d:00", h, (h+1)%24)
}

// textWriter writes lines, keeping the first error.
type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, strings.TrimRight(s, " ")+"\n")
	}
}

// heading writes a section's heading in capitals between rules, after a
// blank line.
func (t *textWriter) heading(s string) {
	t.line("")
	t.line(strings.Repeat("=", textWidth))
	t.wrap("", "", strings.ToUpper(s))
	t.line(strings.Repeat("=", textWidth))
}

// headingAsWritten is heading for a name, which keeps its case: a device
// called "alex-tablet" is not "ALEX-TABLET" (nor "Alex-tablet").
func (t *textWriter) headingAsWritten(s string) {
	t.line("")
	t.line(strings.Repeat("=", textWidth))
	t.wrap("", "", s)
	t.line(strings.Repeat("=", textWidth))
}

// wrap writes s in lines of at most textWidth columns, the first after
// first and the others after rest. A word longer than a line gets a line
// of its own.
func (t *textWriter) wrap(first, rest, s string) {
	prefix := first
	cur := prefix
	empty := true
	for _, word := range strings.Fields(s) {
		switch {
		case empty:
			cur += word
			empty = false
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= textWidth:
			cur += " " + word
		default:
			t.line(cur)
			prefix = rest
			cur = prefix + word
		}
	}
	t.line(cur)
}
