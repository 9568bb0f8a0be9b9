package words

import (
	"strconv"
	"strings"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// Short is the reason in a few words, for an EDE text and log lines:
// "gaming/roblox ||roblox.com^ (groups.kids.rules[1], allowed mon-fri 16:00-19:00)",
// "bedtime 21:00-07:00", "paused until Mon 21:00".
func Short(f *verdict.Facts) string { return string(AppendShort(make([]byte, 0, 96), f)) }

// AppendShort appends Short's words to dst, allocating nothing when dst
// has room (the UDP fast path writes them straight into a blocked answer).
func AppendShort(b []byte, f *verdict.Facts) []byte {
	switch f.Reason {
	case verdict.ReasonPause:
		return append(b, f.RuleText...)
	case verdict.ReasonBedtime:
		return append(append(b, "bedtime "...), f.Window...)
	case verdict.ReasonBudget:
		return AppendBudget(b, f)
	}
	byRule := f.Reason == verdict.ReasonDevice || f.Reason == verdict.ReasonRule
	if !byRule {
		b = append(b, f.Reason.String()...)
		b = append(b, ' ')
	}
	if f.Via != "" {
		b = append(b, "CNAME "...)
		b = append(b, f.Via...)
		b = append(b, ": "...)
	}
	// What matched: "gaming/roblox ||roblox.com^", "ads/my-list tracker.example".
	b = append(b, f.Category...)
	if s := firstNonEmpty(f.Service, f.List); s != "" {
		if f.Category != "" {
			b = append(b, '/')
		}
		b = append(b, s...)
	}
	if f.Entry != "" {
		if f.Category != "" || f.Service != "" || f.List != "" {
			b = append(b, ' ')
		}
		b = verdict.AppendEntryText(b, f.Entry, f.EntrySubdomains)
	}
	if byRule {
		b = append(b, " ("...)
		b = append(b, f.Rule...)
		if f.Window != "" {
			b = append(b, ", allowed "...)
			b = append(b, f.Window...)
		}
		b = append(b, ')')
	}
	return b
}

// Why is the reason as a sentence for a parent (`hearth explain`'s "why").
func Why(f *verdict.Facts) string {
	switch f.Reason {
	case verdict.ReasonHelp:
		return "a help site: always reachable, never logged"
	case verdict.ReasonAllowList:
		if strings.HasPrefix(f.Rule, "devices[") {
			return "on the device's allow list, which no rule, bedtime or pause overrides"
		}
		return "on the allow list of group " + f.Group + ", which no rule, bedtime or pause overrides"
	case verdict.ReasonPause:
		return f.RuleText + ": everything but allowed and help sites is blocked"
	case verdict.ReasonBedtime:
		return "bedtime: everything but allowed and help sites is blocked"
	case verdict.ReasonDevice:
		return "on the device's own block list"
	case verdict.ReasonRule:
		if f.Rule == "blocking.block" {
			return "blocked for every device (blocking.block)"
		}
		return "a rule of group " + f.Group + " blocks it"
	case verdict.ReasonWindow:
		return "a rule blocks it at other times; its windows allow it now"
	case verdict.ReasonBonus:
		return "bonus time lifts the rule that would block it"
	case verdict.ReasonSafeSearch:
		return "safe search: the search engine's safe version is answered instead"
	case verdict.ReasonBudget:
		return Budget(f) + ": blocked until midnight"
	}
	return "no rule blocks it"
}

// Matched says what matched (`hearth explain`'s "matched"):
// "roblox (gaming), entry ||roblox.com^", "list ads-web (ads), entry
// ||ads.example^", "entry ||example.org^"; "" if nothing did.
func Matched(f *verdict.Facts) string {
	var what string
	switch {
	case f.Service != "":
		what = f.Service
	case f.List != "":
		what = "list " + f.List
	}
	if f.Category != "" {
		if what == "" {
			what = f.Category
		} else {
			what += " (" + f.Category + ")"
		}
	}
	if e := f.EntryText(); e != "" {
		if what == "" {
			return "entry " + e
		}
		what += ", entry " + e
	}
	return what
}

// RuleLine is the rule as `hearth explain` shows it: its key, with its
// words for a rule ("groups.kids.rules[1]: gaming outside ..."), nothing
// for a help site or a pause (their own lines say it).
func RuleLine(f *verdict.Facts) string {
	switch f.Reason {
	case verdict.ReasonRule, verdict.ReasonWindow, verdict.ReasonBonus:
		if f.RuleText == "" { // a journal row keeps no rule text
			return f.Rule
		}
		return f.Rule + ": " + f.RuleText
	case verdict.ReasonHelp, verdict.ReasonPause:
		return ""
	}
	return f.Rule
}

// Outcome is the action as a parent reads it: "blocked", "allowed", or
// "rewritten to forcesafesearch.google.com" when the target is known.
func Outcome(a verdict.Action, target string) string {
	switch a {
	case verdict.Block:
		return "blocked"
	case verdict.Rewrite:
		if target == "" {
			return "rewritten"
		}
		return "rewritten to " + target
	}
	return "allowed"
}

// What is the list source that matched, as "category/service" or
// "category/list": "gaming/roblox", "ads/hagezi-pro", "chat".
func What(f *verdict.Facts) string {
	what := f.Category
	if s := firstNonEmpty(f.Service, f.List); s != "" {
		what = strings.TrimPrefix(what+"/"+s, "/")
	}
	return what
}

// ModePhrase says when a scheduled rule blocks, as the log and the report
// put it: "outside allowed hours", "during blocked hours"; "" otherwise.
func ModePhrase(m verdict.Mode) string {
	switch m {
	case verdict.ModeOutside:
		return "outside allowed hours"
	case verdict.ModeDuring:
		return "during blocked hours"
	}
	return ""
}

// LogWhy is a journal row's reason in a few words, for `hearth log`:
// "gaming/roblox, outside allowed hours", "bedtime", "paused", "allowed",
// "rewritten to safe search".
func LogWhy(f *verdict.Facts) string {
	switch {
	case f.Reason == verdict.ReasonSafeSearch:
		return "rewritten to safe search"
	case f.Action == verdict.Allow:
		return "allowed"
	case f.Reason == verdict.ReasonBedtime:
		return "bedtime"
	case f.Reason == verdict.ReasonPause:
		return "paused"
	case f.Reason == verdict.ReasonBudget:
		if what := What(f); what != "" {
			return what + ", daily budget used up"
		}
		return "daily budget used up"
	}
	what := What(f)
	if p := ModePhrase(f.Mode); p != "" {
		return what + ", " + p
	}
	if what == "" {
		return f.Reason.String() + " " + f.Rule
	}
	return what
}

// Reason is a reason as the dashboard's log puts it, after what matched:
// "paused", "by a rule", "safe search"; "" when there is nothing to add.
func Reason(r verdict.Reason) string {
	switch r {
	case verdict.ReasonAllowList:
		return "on the allow list"
	case verdict.ReasonPause:
		return "paused"
	case verdict.ReasonBedtime:
		return "bedtime"
	case verdict.ReasonDevice:
		return "blocked for this device"
	case verdict.ReasonRule:
		return "by a rule"
	case verdict.ReasonWindow:
		return "allowed at this time"
	case verdict.ReasonBonus:
		return "bonus time"
	case verdict.ReasonSafeSearch:
		return "safe search"
	case verdict.ReasonBudget:
		return "daily budget used up"
	case verdict.ReasonHelp:
		return "help site"
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Budget is a used-up budget in words: "gaming: 60 of 60 minutes used
// today"; from a journal row, which keeps no numbers, "budget
// groups.kids.budgets[0]".
func Budget(f *verdict.Facts) string { return string(AppendBudget(make([]byte, 0, 64), f)) }

// AppendBudget appends Budget's words to dst, allocating nothing when dst
// has room (the EDE text of a blocked answer).
func AppendBudget(b []byte, f *verdict.Facts) []byte {
	if f.Budget == "" {
		b = append(b, "budget "...)
		return append(b, f.Rule...)
	}
	b = append(b, f.Budget...)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, int64(f.BudgetUsed), 10)
	b = append(b, " of "...)
	b = strconv.AppendInt(b, int64(f.BudgetMinutes), 10)
	return append(b, " minutes used today"...)
}

// BudgetLeft is a running budget in words, as the dashboard and `hearth
// explain` show it: "gaming: 35 of 60 minutes left today".
func BudgetLeft(what string, left, minutes int) string {
	return what + ": " + strconv.Itoa(left) + " of " + strconv.Itoa(minutes) + " minutes left today"
}
