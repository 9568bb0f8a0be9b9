package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
)

// Daily budgets in the group editor: each a catalogue category or service
// (or several, as the file may have them) with minutes for every day,
// school days, weekends and holidays. A box left empty leaves that amount
// out of the file (docs/policy.md says which amount a day takes).

// budgetDraft is one budget as the form edits it: amounts in minutes as
// typed ("" for none).
type budgetDraft struct {
	What                                  []string
	Daily, SchoolDays, Weekends, Holidays string
}

// budgetKinds are the amounts' file keys and form labels, with where each
// lives in the draft, the file's shape and the compiler's.
var budgetKinds = []struct {
	Key, Label string
	draft      func(*budgetDraft) *string
	file       func(*fileBudget) *string
	conf       func(*policy.BudgetConfig) **time.Duration
}{
	{"daily", "Every day", func(b *budgetDraft) *string { return &b.Daily }, func(b *fileBudget) *string { return &b.Daily },
		func(b *policy.BudgetConfig) **time.Duration { return &b.Daily }},
	{"school_days", "School days", func(b *budgetDraft) *string { return &b.SchoolDays }, func(b *fileBudget) *string { return &b.SchoolDays },
		func(b *policy.BudgetConfig) **time.Duration { return &b.SchoolDays }},
	{"weekends", "Weekends", func(b *budgetDraft) *string { return &b.Weekends }, func(b *fileBudget) *string { return &b.Weekends },
		func(b *policy.BudgetConfig) **time.Duration { return &b.Weekends }},
	{"holidays", "Holidays", func(b *budgetDraft) *string { return &b.Holidays }, func(b *fileBudget) *string { return &b.Holidays },
		func(b *policy.BudgetConfig) **time.Duration { return &b.Holidays }},
}

// fileBudget is a budget in the file's shape.
type fileBudget struct {
	What       []string `json:"what"`
	Daily      string   `json:"daily,omitempty"`
	SchoolDays string   `json:"school_days,omitempty"`
	Weekends   string   `json:"weekends,omitempty"`
	Holidays   string   `json:"holidays,omitempty"`
}

// budgetsFromJSON reads the group's budgets as the file has them.
func budgetsFromJSON(raw json.RawMessage) []budgetDraft {
	var bs []fileBudget
	_ = json.Unmarshal(raw, &bs)
	var out []budgetDraft
	for _, b := range bs {
		d := budgetDraft{What: b.What}
		for _, k := range budgetKinds {
			*k.draft(&d) = minutesOf(*k.file(&b))
		}
		out = append(out, d)
	}
	return out
}

// minutesOf shows a file amount ("1h30m", "90m") as minutes ("90"); one
// that does not parse is shown as written, for the checker to name.
func minutesOf(s string) string {
	if s == "" {
		return ""
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return strconv.Itoa(int(d.Minutes()))
}

// budgetsFromForm reads the editor's budget rows (b0.what, b0.daily, ...);
// a row with nothing chosen, or ticked for removal (b0.remove), is dropped.
func budgetsFromForm(f url.Values) []budgetDraft {
	n, _ := strconv.Atoi(f.Get("budgets"))
	var out []budgetDraft
	for i := range min(n, 50) {
		p := fmt.Sprintf("b%d.", i)
		if f.Get(p+"remove") == "yes" {
			continue
		}
		b := budgetDraft{What: picked(f, p+"what", p+"add", "")}
		for _, k := range budgetKinds {
			*k.draft(&b) = strings.TrimSpace(f.Get(p + k.Key))
		}
		if len(b.What) == 0 && b.Daily+b.SchoolDays+b.Weekends+b.Holidays == "" {
			continue
		}
		out = append(out, b)
	}
	return out
}

// budgetsFile is the budgets as the file's JSON and as the compiler's, and
// where their problems go on the form.
func budgetsFile(key string, bs []budgetDraft, fm fieldMap) (json.RawMessage, []policy.BudgetConfig) {
	var out []fileBudget
	var gc []policy.BudgetConfig
	for i, b := range bs {
		bk, id := fmt.Sprintf("%s.budgets[%d]", key, i), fmt.Sprintf("b%d", i)
		fm[bk], fm[bk+".what"] = id, id
		fb := fileBudget{What: nonNil(b.What)}
		bc := policy.BudgetConfig{What: b.What}
		for _, k := range budgetKinds {
			fm[bk+"."+k.Key] = id
			v := *k.draft(&b)
			if v == "" {
				continue
			}
			amount := v + "m" // minutes as typed; the checker names anything else
			*k.file(&fb) = amount
			if d, err := time.ParseDuration(amount); err == nil {
				*k.conf(&bc) = &d
			}
		}
		out = append(out, fb)
		gc = append(gc, bc)
	}
	raw, _ := json.Marshal(out)
	return raw, gc
}

// budgetView is a budget row of the editor.
type budgetView struct {
	I, Num  int
	ID      string
	What    []option
	Amounts []budgetAmount
	Err     string
}

type budgetAmount struct {
	Name, ID, Label, Value string
}

func (ps *pageSet) budgetViews(bs []budgetDraft, errs map[string]string) []budgetView {
	var out []budgetView
	for i, b := range bs {
		id := fmt.Sprintf("b%d", i)
		v := budgetView{I: i, Num: i + 1, ID: id, What: ps.entries(b.What), Err: errs[id]}
		for _, k := range budgetKinds {
			v.Amounts = append(v.Amounts, budgetAmount{Name: id + "." + k.Key, ID: id + "-" + k.Key, Label: k.Label, Value: *k.draft(&b)})
		}
		out = append(out, v)
	}
	return out
}

// budgetErrors refuses amounts that are not whole minutes of a day, keyed
// as the checker keys them (groups.kids.budgets[0].school_days), before the
// file is touched: the form asks for minutes, not durations.
func (d groupDraft) budgetErrors() error { return budgetErrors("groups."+d.Name, d.Budgets) }

// budgetErrors checks budgets whose file key is prefix (groups.kids,
// people.alex): the keys of its errors are prefix.budgets[i].amount.
func budgetErrors(prefix string, bs []budgetDraft) error {
	var errs []error
	for i, b := range bs {
		for _, k := range budgetKinds {
			v := *k.draft(&b)
			if n, err := strconv.Atoi(v); v != "" && (err != nil || n < 0 || n > 24*60) {
				errs = append(errs, fielderr.New(fmt.Sprintf("%s.budgets[%d].%s", prefix, i, k.Key),
					"%s: %q is not a number of minutes from 0 to 1440", strings.ToLower(k.Label), v))
			}
		}
		if len(b.What) == 0 {
			errs = append(errs, fielderr.New(fmt.Sprintf("%s.budgets[%d].what", prefix, i), "choose what the budget counts"))
		}
	}
	return errors.Join(errs...)
}
