package journal

import (
	"context"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// TestDecisionStoredByName checks that action, reason and mode are stored
// by their stable names (what existing journals hold), come back typed, and
// that a name this hearth does not know is refused, saying which.
func TestDecisionStoredByName(t *testing.T) {
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		f := newFixture(t, testConfig())
		e := blocked(t0, "kid-laptop", kid, "roblox.com", 1)
		e.Mode, e.Category, e.Service, e.List = verdict.ModeOutside, "gaming", "roblox", ""
		f.j.Record(e)
		rw := allowed(t0, "kid-laptop", kid, "www.google.com", 1)
		rw.Reason, rw.Rule = verdict.ReasonSafeSearch, "groups.kids.safe_search"
		f.j.Record(rw)
		f.j.Record(allowed(t0, "kid-laptop", kid, "school.example", 1))
		f.j.sync()

		stored := map[string][3]string{}
		rows, err := f.j.st.db.Query(`SELECT name, "action", reason, mode FROM lookups`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			var v [3]string
			if err := rows.Scan(&name, &v[0], &v[1], &v[2]); err != nil {
				t.Fatal(err)
			}
			stored[name] = v
		}
		rows.Close()
		want := map[string][3]string{
			"roblox.com":     {"block", "rule", "outside"},
			"www.google.com": {"allow", "safe-search", ""},
			"school.example": {"allow", "none", ""},
		}
		for name, w := range want {
			if stored[name] != w {
				t.Errorf("%s stored as %q, want %q", name, stored[name], w)
			}
		}

		got := readAll(t, f.j, Filter{Action: OnlyAllowed})
		if len(got) != 2 || got[0].Name != "school.example" || got[0].Reason != verdict.ReasonNone ||
			got[1].Name != "www.google.com" || got[1].Reason != verdict.ReasonSafeSearch || got[1].Action != verdict.Allow {
			t.Errorf("allowed rows: %+v", got)
		}
		got = readAll(t, f.j, Filter{Action: OnlyBlocked})
		if len(got) != 1 || got[0].Action != verdict.Block || got[0].Reason != verdict.ReasonRule || got[0].Mode != verdict.ModeOutside {
			t.Errorf("blocked rows: %+v", got)
		}

		for col, bad := range map[string]string{"reason": "holiday", "mode": "sometimes", `"action"`: "maybe"} {
			if _, err := f.j.st.db.Exec(`UPDATE lookups SET `+col+` = ? WHERE name = 'roblox.com'`, bad); err != nil {
				t.Fatal(err)
			}
			_, err := f.j.Rows(context.Background(), Filter{})
			if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "roblox.com") {
				t.Errorf("a row with %s %q read back with error %v", col, bad, err)
			}
			if _, err := f.j.st.db.Exec(`UPDATE lookups SET reason = 'rule', mode = 'outside', "action" = 'block' WHERE name = 'roblox.com'`); err != nil {
				t.Fatal(err)
			}
		}
	})
}
