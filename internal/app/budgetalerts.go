package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/policy"
)

// Budget events: the budgets' figures (Engine.BudgetStatus, the numbers the
// decision uses) looked at once a minute with the unwell checks; the query
// path is untouched. Each owner's budget is told of once a day at 10
// minutes left and once when used up, remembered in a small file so a
// restart does not tell it again.
const (
	budgetLowAt     = 10 // minutes left
	budgetToldFile  = "budget-alerts.json"
	budgetToldGrace = 48 * time.Hour // told keys kept this long after their day ended
)

// budgetWatch remembers which budget alerts were sent, by key.
type budgetWatch struct {
	path string // "": in memory
	// told maps "low|owner|id|day" (or "spent|...") to the day's end.
	told map[string]time.Time
}

// openBudgetWatch reads what was told from path (a missing or damaged
// file: nothing told; the error is returned for logging).
func openBudgetWatch(path string) (*budgetWatch, error) {
	w := &budgetWatch{path: path, told: map[string]time.Time{}}
	if path == "" {
		return w, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return w, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &w.told)
	}
	if err != nil {
		w.told = map[string]time.Time{}
		return w, fmt.Errorf("%s: %w (budget alerts of today may be sent again)", path, err)
	}
	return w, nil
}

// look returns the budget alerts due at now for the budgets bs, and an
// error saving what was told (logged: told in memory all the same).
func (w *budgetWatch) look(now time.Time, bs []policy.BudgetStatus) ([]alerts.Alert, error) {
	var out []alerts.Alert
	changed := false
	for k, end := range w.told {
		if now.Sub(end) > budgetToldGrace {
			delete(w.told, k)
			changed = true
		}
	}
	for _, b := range bs {
		if !b.Budgeted || b.Used == 0 {
			continue
		}
		day := b.Until.Unix()
		key := func(k alerts.Kind) string {
			return string(k) + "|" + b.OwnerKind + ":" + b.Owner + "|" + b.ID + "|" + strconv.FormatInt(day, 10)
		}
		lowKey, spentKey := key(alerts.KindBudgetLow), key(alerts.KindBudgetSpent)
		a := alerts.Alert{Owner: b.Owner, Budget: b.ID, Allowed: b.Allowed, Time: now}
		switch {
		case b.Spent:
			if _, ok := w.told[spentKey]; ok {
				continue
			}
			a.Kind = alerts.KindBudgetSpent
			a.Title = b.Owner + ": " + b.What + " used up today"
			a.Text = fmt.Sprintf("%s has used today's %s of %s", b.Owner, minutes(b.Allowed), b.What)
			w.told[spentKey], w.told[lowKey] = b.Until, b.Until
		case b.Left <= budgetLowAt && b.Allowed > budgetLowAt:
			if _, ok := w.told[lowKey]; ok {
				continue
			}
			a.Kind, a.Left = alerts.KindBudgetLow, b.Left
			a.Title = b.Owner + ": " + b.What + " almost used up"
			a.Text = fmt.Sprintf("%s: %s of %s left today", b.Owner, minutes(b.Left), b.What)
			w.told[lowKey] = b.Until
		default:
			continue
		}
		a.ID = idPart(string(a.Kind) + "-" + b.Owner + "-" + b.ID + "-" + strconv.FormatInt(day, 36))
		out = append(out, a)
		changed = true
	}
	if changed && w.path != "" {
		b, _ := json.Marshal(w.told)
		if err := atomicfile.Write(w.path, b, 0o600); err != nil {
			return out, fmt.Errorf("budget alerts told: %w", err)
		}
	}
	return out, nil
}

// minutes is "1 minute" or "10 minutes".
func minutes(n int) string {
	if n == 1 {
		return "1 minute"
	}
	return strconv.Itoa(n) + " minutes"
}

// idPart keeps an alert ID to letters, digits and '-'.
func idPart(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b)
}
