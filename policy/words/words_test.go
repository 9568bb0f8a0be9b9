package words

import (
	"testing"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// The same facts, from the policy or from a journal row, read the same
// whoever asks; each case names one decision and what every reader says.
func TestWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                      string
		f                         verdict.Facts
		short, why, matched, rule string
		log, dash                 string
	}{
		{
			name: "scheduled rule, from the policy",
			f: verdict.Facts{Action: verdict.Block, Reason: verdict.ReasonRule, Mode: verdict.ModeOutside, Group: "kids",
				Rule: "groups.kids.rules[0]", RuleText: "gaming outside weekdays 16:00-19:00", Category: "gaming", Service: "roblox",
				Entry: "roblox.com", EntrySubdomains: true, Window: "weekdays 16:00-19:00"},
			short:   "gaming/roblox ||roblox.com^ (groups.kids.rules[0], allowed weekdays 16:00-19:00)",
			why:     "a rule of group kids blocks it",
			matched: "roblox (gaming), entry ||roblox.com^",
			rule:    "groups.kids.rules[0]: gaming outside weekdays 16:00-19:00",
			log:     "gaming/roblox, outside allowed hours",
			dash:    "by a rule",
		},
		{
			name: "the same rule, from a journal row (no entry, no rule text)",
			f: verdict.Facts{Action: verdict.Block, Reason: verdict.ReasonRule, Mode: verdict.ModeDuring, Group: "kids",
				Rule: "groups.kids.rules[1]", Category: "video", Service: "youtube", Window: "school"},
			short:   "video/youtube (groups.kids.rules[1], allowed school)",
			why:     "a rule of group kids blocks it",
			matched: "youtube (video)",
			rule:    "groups.kids.rules[1]",
			log:     "video/youtube, during blocked hours",
			dash:    "by a rule",
		},
		{
			name: "a list entry through a CNAME, for everyone",
			f: verdict.Facts{Action: verdict.Block, Reason: verdict.ReasonRule, Rule: "blocking.block", Category: "ads",
				List: "my-list", Entry: "tracker.example", Via: "tracker.example"},
			short:   "CNAME tracker.example: ads/my-list tracker.example (blocking.block)",
			why:     "blocked for every device (blocking.block)",
			matched: "list my-list (ads), entry tracker.example",
			rule:    "blocking.block",
			log:     "ads/my-list",
			dash:    "by a rule",
		},
		{
			name:  "bedtime",
			f:     verdict.Facts{Action: verdict.Block, Reason: verdict.ReasonBedtime, Rule: "groups.kids.bedtime", RuleText: "bedtime", Window: "sun-thu 21:30-07:00"},
			short: "bedtime sun-thu 21:30-07:00", why: "bedtime: everything but allowed and help sites is blocked",
			rule: "groups.kids.bedtime", log: "bedtime", dash: "bedtime",
		},
		{
			name:  "pause",
			f:     verdict.Facts{Action: verdict.Block, Reason: verdict.ReasonPause, Rule: "pause", RuleText: "paused until Thu 21:00"},
			short: "paused until Thu 21:00", why: "paused until Thu 21:00: everything but allowed and help sites is blocked",
			log: "paused", dash: "paused",
		},
		{
			name: "device entry without a category",
			f: verdict.Facts{Action: verdict.Block, Reason: verdict.ReasonDevice, Rule: "devices[0].block",
				Entry: "example.org", EntrySubdomains: true},
			short: "||example.org^ (devices[0].block)", why: "on the device's own block list", matched: "entry ||example.org^",
			rule: "devices[0].block", log: "device devices[0].block", dash: "blocked for this device",
		},
		{
			name:  "allow list of a group",
			f:     verdict.Facts{Reason: verdict.ReasonAllowList, Group: "kids", Rule: "groups.kids.allow", Entry: "school.example", EntrySubdomains: true},
			short: "allow-list ||school.example^", why: "on the allow list of group kids, which no rule, bedtime or pause overrides",
			matched: "entry ||school.example^", rule: "groups.kids.allow", log: "allowed", dash: "on the allow list",
		},
		{
			name:  "safe search, journaled as allowed",
			f:     verdict.Facts{Action: verdict.Allow, Reason: verdict.ReasonSafeSearch, Rule: "groups.kids.safe_search"},
			short: "safe-search ", why: "safe search: the search engine's safe version is answered instead",
			rule: "groups.kids.safe_search", log: "rewritten to safe search", dash: "safe search",
		},
		{
			name:  "nothing applies",
			f:     verdict.Facts{},
			short: "none ", why: "no rule blocks it", log: "allowed",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("Short", Short(&c.f), c.short)
			check("Why", Why(&c.f), c.why)
			check("Matched", Matched(&c.f), c.matched)
			check("RuleLine", RuleLine(&c.f), c.rule)
			check("LogWhy", LogWhy(&c.f), c.log)
			check("Reason", Reason(c.f.Reason), c.dash)
		})
	}
	if got := Outcome(verdict.Rewrite, "forcesafesearch.google.com"); got != "rewritten to forcesafesearch.google.com" {
		t.Errorf("Outcome(rewrite) = %q", got)
	}
}
