package report

// The report for mail clients (the weekly digest): one HTML document with
// every style inline on its element (many mail clients drop <style>), no
// script, no SVG and no external resource; bars are table cells with a
// width in percent. The template is mail.html.tmpl. HTML and Text are
// unchanged by it.

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed mail.html.tmpl
var mailTemplateText string

var mailTemplate = template.Must(template.New("mail").Funcs(template.FuncMap{
	"telephone": telephone,
	"text":      text,
}).Parse(mailTemplateText))

// mailBar is one bar of a mail chart: a label, a count and its width in
// percent of the widest (at least 1 for a count above 0).
type mailBar struct {
	Label string
	N     int64
	Width int
}

type mailDevice struct {
	*Device
	Total      string
	Categories []mailBar
}

type mailBudget struct {
	Budget
	Line string
	Days []mailBar
}

type mailView struct {
	*Report
	Period, Intro, NoHistory, Dropped, Link string
	Devices                                 []mailDevice
	Budgets                                 []mailBudget
}

// bars gives each count its width against the largest.
func bars(labels []string, ns []int64) []mailBar {
	var top int64
	for _, n := range ns {
		top = max(top, n)
	}
	out := make([]mailBar, len(ns))
	for i, n := range ns {
		w := 0
		if top > 0 && n > 0 {
			w = max(1, int(n*100/top))
		}
		out[i] = mailBar{Label: labels[i], N: n, Width: w}
	}
	return out
}

// MailHTML writes the report as an HTML mail: inline styles only, no
// script, no SVG, bars as tables. link, when set, is the dashboard's report
// page, linked at the top.
func (r *Report) MailHTML(w io.Writer, link string) error {
	v := mailView{Report: r, Period: r.periodText(), Intro: intro, NoHistory: noHistory, Link: link}
	if r.Dropped > 0 {
		v.Dropped = r.droppedText()
	}
	for i := range r.Devices {
		d := &r.Devices[i]
		md := mailDevice{Device: d, Total: r.totalText(d)}
		var labels []string
		var ns []int64
		for _, c := range d.Categories {
			if c.Attempts > 0 {
				labels, ns = append(labels, c.Name), append(ns, c.Attempts)
			}
		}
		md.Categories = bars(labels, ns)
		v.Devices = append(v.Devices, md)
	}
	for _, b := range r.Budgets {
		var labels []string
		var ns []int64
		for _, d := range b.Days {
			labels, ns = append(labels, d.Weekday), append(ns, int64(d.Minutes))
		}
		v.Budgets = append(v.Budgets, mailBudget{Budget: b, Line: budgetLine(b), Days: bars(labels, ns)})
	}
	if err := mailTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("report mail: %w", err)
	}
	return nil
}
