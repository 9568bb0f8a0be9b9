package report

// The HTML report: one self-contained file (inline CSS, inline SVG charts,
// no script, no external resources) that reads well on a phone, prints
// cleanly and opens offline. The template is report.html.tmpl; the chart
// geometry is worked out here so the template only places it.

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

//go:embed report.css
var htmlCSS string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"hourRange": hourRange,
	"telephone": telephone,
	"text":      text,
}).Parse(htmlTemplate))

// text escapes s for an element's text. html/template would write "+" as
// "&#43;", which is correct but makes "+17 (+36%)" unreadable in the
// source; the characters that matter in text are escaped here.
func text(s string) template.HTML { return template.HTML(html.EscapeString(s)) }

// HTML writes the report as one self-contained HTML page.
func (r *Report) HTML(w io.Writer) error {
	v := htmlView{
		Report:     r,
		Period:     r.periodText(),
		PeriodWord: r.periodWord(),
		Intro:      intro,
		NoHistory:  noHistory,
		CSS:        template.CSS(htmlCSS),
	}
	if r.Dropped > 0 {
		v.Dropped = r.droppedText()
	}
	for i, b := range r.Budgets {
		v.Budgets = append(v.Budgets, htmlBudget{Budget: b, Line: budgetLine(b), Chart: budgetChart(fmt.Sprintf("b%d", i+1), b)})
	}
	for i := range r.Devices {
		d := &r.Devices[i]
		hd := htmlDevice{
			Device:    d,
			ID:        fmt.Sprintf("d%d", i+1),
			Total:     r.totalText(d),
			WhenItems: whenItems(d.When),
		}
		if d.Blocked > 0 {
			hd.CategoryChart = categoryChart(hd.ID+"-cat", d)
			hd.HourChart = hourChart(hd.ID+"-hour", d)
		}
		for _, s := range d.New {
			hd.NewNames = append(hd.NewNames, s.Name)
		}
		v.Devices = append(v.Devices, hd)
	}
	if err := reportTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// HTMLFragment writes the report's content without the page around it: no
// <html>, <head>, <style> or <body>, and its <main> written as a <div
// class="report-main">, to be placed inside another page's <main> (the
// dashboard's Report page). The stylesheet is not included: the page that
// embeds it styles the charts' classes (bar, night, axis, value, note). The
// content is exactly that of HTML's page.
func (r *Report) HTMLFragment(w io.Writer) error {
	var page strings.Builder
	if err := r.HTML(&page); err != nil {
		return err
	}
	s := page.String()
	start, end := strings.Index(s, "<body>\n"), strings.LastIndex(s, "</body>")
	if start < 0 || end < start {
		return fmt.Errorf("report: the page has no body")
	}
	body := s[start+len("<body>\n") : end]
	// The template writes <main> once; data is escaped, so no value can
	// contain the tag.
	body = strings.Replace(body, "<main>", `<div class="report-main">`, 1)
	body = strings.Replace(body, "</main>", "</div>", 1)
	_, err := io.WriteString(w, body)
	return err
}

// htmlView is what the template sees.
type htmlView struct {
	*Report
	Period, PeriodWord string
	Intro, NoHistory   string
	Dropped            string
	CSS                template.CSS
	Devices            []htmlDevice
	Budgets            []htmlBudget
}

type htmlDevice struct {
	*Device
	ID            string // for headings and chart labels
	Total         string
	WhenItems     []whenItem
	NewNames      []string
	CategoryChart *chart // nil without blocked tries
	HourChart     *chart
}

// Label and N let the template read a whenItem.
func (w whenItem) Label() string { return w.label }
func (w whenItem) N() int64      { return w.n }

// chart is an SVG chart, laid out: the template draws its shapes.
type chart struct {
	ID            string
	Title, Desc   string // the accessible name and description
	Width, Height int
	Bands         []rect // shaded backgrounds (night hours)
	Bars          []rect
	Labels        []label
	Axis          *line
}

type rect struct {
	X, Y, W, H int
	Tip        string // a tooltip (<title>)
	Class      string
}

type label struct {
	X, Y   int
	Anchor string // start, middle, end
	Text   string
	Class  string
}

type line struct{ X1, Y1, X2, Y2 int }

// Category chart geometry: one horizontal bar per category.
const (
	catWidth    = 340
	catLabelEnd = 146 // labels end here, right-aligned
	catBarX     = 152
	catBarMax   = 150
	catRow      = 26
	catBarH     = 18
	catMaxLabel = 22 // characters; longer names are cut (the table has them whole)
)

// categoryChart draws blocked tries by category (those with any).
func categoryChart(id string, d *Device) *chart {
	var cats []Count
	var most int64
	for _, c := range d.Categories {
		if c.Attempts > 0 {
			cats = append(cats, c)
			most = max(most, c.Attempts)
		}
	}
	ch := &chart{ID: id, Title: "Blocked tries by category", Width: catWidth, Height: len(cats)*catRow + 4}
	var desc []string
	for i, c := range cats {
		y := 4 + i*catRow
		w := max(2, int(c.Attempts*catBarMax/most))
		tip := fmt.Sprintf("%s: %d", c.Name, c.Attempts)
		desc = append(desc, tip)
		name := c.Name
		if r := []rune(name); len(r) > catMaxLabel {
			name = string(r[:catMaxLabel-1]) + "…"
		}
		ch.Bars = append(ch.Bars, rect{X: catBarX, Y: y, W: w, H: catBarH, Tip: tip, Class: "bar"})
		ch.Labels = append(ch.Labels,
			label{X: catLabelEnd, Y: y + 13, Anchor: "end", Text: name},
			label{X: catBarX + w + 5, Y: y + 13, Anchor: "start", Text: fmt.Sprint(c.Attempts), Class: "value"},
		)
	}
	ch.Desc = strings.Join(desc, "; ") + "."
	return ch
}

// Hour chart geometry: 24 columns, midnight to midnight.
const (
	hourWidth  = 360 // about a phone's width, so text keeps its size
	hourHeight = 150
	hourLeft   = 22  // room for the top value
	hourStep   = 14  // column pitch
	hourBarW   = 11  // column width
	hourBase   = 120 // the baseline's y
	hourMaxH   = 100 // the tallest column
)

// hourChart draws blocked tries by hour of the day, with the night hours
// (nightFrom to nightUntil) shaded.
func hourChart(id string, d *Device) *chart {
	var most int64
	for _, a := range d.Hours {
		most = max(most, a)
	}
	ch := &chart{
		ID:     id,
		Title:  "Blocked tries by hour of the day",
		Width:  hourWidth,
		Height: hourHeight,
		Axis:   &line{X1: hourLeft - 2, Y1: hourBase, X2: hourLeft + 24*hourStep, Y2: hourBase},
	}
	x := func(h int) int { return hourLeft + h*hourStep }
	ch.Bands = []rect{
		{X: x(0) - 2, Y: hourBase - hourMaxH - 4, W: nightUntil * hourStep, H: hourMaxH + 4, Class: "night"},
		{X: x(nightFrom) - 2, Y: hourBase - hourMaxH - 4, W: (24 - nightFrom) * hourStep, H: hourMaxH + 4, Class: "night"},
	}
	for h, a := range d.Hours {
		if a == 0 {
			continue
		}
		hgt := max(1, int(a*hourMaxH/most))
		ch.Bars = append(ch.Bars, rect{
			X: x(h), Y: hourBase - hgt, W: hourBarW, H: hgt,
			Tip: fmt.Sprintf("%s: %d", hourRange(h), a), Class: "bar",
		})
	}
	for h := 0; h < 24; h += 3 {
		ch.Labels = append(ch.Labels, label{X: x(h) + hourBarW/2, Y: hourBase + 16, Anchor: "middle", Text: fmt.Sprintf("%02d", h)})
	}
	ch.Labels = append(ch.Labels,
		label{X: hourLeft - 6, Y: hourBase - hourMaxH + 4, Anchor: "end", Text: fmt.Sprint(most), Class: "value"},
		label{X: hourLeft - 6, Y: hourBase, Anchor: "end", Text: "0", Class: "value"},
		label{X: hourLeft, Y: hourHeight - 4, Anchor: "start",
			Text: fmt.Sprintf("Shaded: %02d:00 to %02d:00", nightFrom, nightUntil), Class: "note"},
	)
	var desc []string
	for _, b := range d.Busiest {
		desc = append(desc, fmt.Sprintf("%s: %d", hourRange(b.Hour), b.Attempts))
	}
	ch.Desc = fmt.Sprintf("Tries in each hour, midnight to midnight, hours %02d:00 to %02d:00 shaded. Busiest: %s.",
		nightFrom, nightUntil, strings.Join(desc, "; "))
	return ch
}

// telephone is a phone number for a tel: link: its digits, and a leading +.
func telephone(phone string) string {
	var b strings.Builder
	for i, c := range phone {
		if (c >= '0' && c <= '9') || (c == '+' && i == 0) {
			b.WriteRune(c)
		}
	}
	return b.String()
}
