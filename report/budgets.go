package report

// Daily budgets in the report: the minutes each child (or device nobody
// owns) used of each budget on each day of the period, from the budgets
// file's history (policy/state), as a short table with bars, and a
// conversation starter when a day went long.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

// BudgetDay is the minutes Owner used of a budget on one household day.
type BudgetDay struct {
	Owner string    // "alex", or a device's name
	What  string    // the budget's id: "gaming", "tiktok,youtube"
	Day   time.Time // midnight of the day, on the household's clock
	Used  int       // minutes
}

// Budget is one owner's use of one budget over the period.
type Budget struct {
	Owner string      `json:"owner"`
	What  string      `json:"what"`
	Days  []BudgetUse `json:"days"` // each day of the period with minutes used, oldest first
	Total int         `json:"total_minutes"`
	Most  BudgetUse   `json:"most"` // the day with the most minutes
}

// BudgetUse is the minutes used on one day.
type BudgetUse struct {
	Day     string `json:"day"` // "2026-11-24"
	Weekday string `json:"weekday"`
	Minutes int    `json:"minutes"`
}

// longDay is the minutes of one budget in a day that bring up a
// conversation starter.
const longDay = 120

// budgetsOf groups the days of [since, until) by owner and budget, keeping
// only owners among keep when keep is not empty.
func budgetsOf(days []BudgetDay, since, until time.Time, loc *time.Location, keep []string) []Budget {
	byKey := map[[2]string]*Budget{}
	var order [][2]string
	for _, d := range days {
		day := d.Day.In(loc)
		if d.Used <= 0 || !day.Before(until) || !day.AddDate(0, 0, 1).After(since) {
			continue // no minutes, or a day outside the period
		}
		if len(keep) > 0 && !slices.Contains(keep, d.Owner) {
			continue
		}
		k := [2]string{d.Owner, d.What}
		b := byKey[k]
		if b == nil {
			b = &Budget{Owner: d.Owner, What: d.What}
			byKey[k] = b
			order = append(order, k)
		}
		u := BudgetUse{Day: day.Format("2006-01-02"), Weekday: day.Weekday().String(), Minutes: d.Used}
		b.Days = append(b.Days, u)
		b.Total += d.Used
		if d.Used > b.Most.Minutes {
			b.Most = u
		}
	}
	slices.SortFunc(order, func(x, y [2]string) int { return strings.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) })
	out := []Budget{}
	for _, k := range order {
		b := byKey[k]
		slices.SortFunc(b.Days, func(x, y BudgetUse) int { return strings.Compare(x.Day, y.Day) })
		out = append(out, *b)
	}
	return out
}

// minutesText says minutes as a parent would: "45 minutes", "3 hours",
// "1 hour 20 minutes".
func minutesText(m int) string {
	h, rest := m/60, m%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d minutes", m)
	case rest == 0 && h == 1:
		return "1 hour"
	case rest == 0:
		return fmt.Sprintf("%d hours", h)
	case h == 1:
		return fmt.Sprintf("1 hour %d minutes", rest)
	}
	return fmt.Sprintf("%d hours %d minutes", h, rest)
}

// budgetLine is one budget in words: "alex, gaming: 6 hours 10 minutes in
// all; most on Tuesday (3 hours)".
func budgetLine(b Budget) string {
	return fmt.Sprintf("%s, %s: %s in all; most on %s (%s)", b.Owner, b.What, minutesText(b.Total), b.Most.Weekday, minutesText(b.Most.Minutes))
}

// budgetStarter is the starter for the budgets with a long day, or nil.
func budgetStarter(budgets []Budget) *Starter {
	s := Starter{
		ID:    StarterLongDays,
		Title: "Long days of screen time",
		Say: []string{
			"A daily budget is there to make room for other things, not to punish.",
			"Ask what made that day long before talking about the limit: a new game, friends online, a hard day.",
			"Agree together what happens on days like that, and whether the budget fits school days and weekends.",
		},
		Ask: "What was going on that day?",
	}
	for _, b := range budgets {
		if b.Most.Minutes >= longDay {
			s.Seen = append(s.Seen, Seen{Device: b.Owner, Text: fmt.Sprintf("%s took %s on %s (%s).", upperFirstWord(b.What), minutesText(b.Most.Minutes), b.Most.Weekday, b.Owner)})
		}
	}
	if len(s.Seen) == 0 {
		return nil
	}
	return &s
}

func upperFirstWord(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// budgetChart draws the minutes of each day of one budget as bars, in the
// category chart's geometry (html.go).
func budgetChart(id string, b Budget) *chart {
	ch := &chart{ID: id, Title: fmt.Sprintf("Minutes of %s each day, %s", b.What, b.Owner), Width: catWidth, Height: len(b.Days)*catRow + 4}
	var desc []string
	for i, d := range b.Days {
		y := 4 + i*catRow
		w := max(2, d.Minutes*catBarMax/max(b.Most.Minutes, 1))
		tip := fmt.Sprintf("%s %s: %s", d.Weekday, d.Day, minutesText(d.Minutes))
		desc = append(desc, tip)
		ch.Bars = append(ch.Bars, rect{X: catBarX, Y: y, W: w, H: catBarH, Tip: tip, Class: "bar"})
		ch.Labels = append(ch.Labels,
			label{X: catLabelEnd, Y: y + 13, Anchor: "end", Text: d.Weekday[:3] + " " + d.Day[5:]},
			label{X: catBarX + w + 5, Y: y + 13, Anchor: "start", Text: fmt.Sprint(d.Minutes), Class: "value"},
		)
	}
	ch.Desc = strings.Join(desc, "; ") + "."
	return ch
}

// htmlBudget is a budget as the HTML report draws it.
type htmlBudget struct {
	Budget
	Line  string
	Chart *chart
}

// BudgetDaysOf turns the budgets file's history into the report's days:
// owners as a parent names them ("alex", "tv", "devices not named (kids)")
// and days as midnights in loc.
func BudgetDaysOf(uses []state.BudgetUse, loc *time.Location) []BudgetDay {
	out := make([]BudgetDay, 0, len(uses))
	for _, u := range uses {
		kind, name, _ := strings.Cut(u.Owner, ":")
		if kind == "new-devices" {
			name = "devices not named (" + name + ")"
		}
		y, m, d := int(u.Day/512), time.Month(u.Day%512/32), int(u.Day%32)
		out = append(out, BudgetDay{Owner: name, What: u.Budget, Day: time.Date(y, m, d, 0, 0, 0, 0, loc), Used: u.Used})
	}
	return out
}
