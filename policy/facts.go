package policy

// The decision's typed values live in policy/verdict, a leaf package that
// the journal, the report and the dashboard can import too; these aliases
// keep policy's callers unchanged.

import "github.com/hearth-dns/hearth/policy/verdict"

// Action is what to do with a query.
type Action = verdict.Action

const (
	Allow   = verdict.Allow
	Block   = verdict.Block   // answer with the Decision's Response
	Rewrite = verdict.Rewrite // answer with a CNAME to Target (safe search)
)

// Reason says which step of the policy decided.
type Reason = verdict.Reason

const (
	ReasonNone       = verdict.ReasonNone       // nothing applies: allowed
	ReasonHelp       = verdict.ReasonHelp       // a child-help site: always allowed, never journaled
	ReasonAllowList  = verdict.ReasonAllowList  // the device's or group's allow entries
	ReasonPause      = verdict.ReasonPause      // a pause override
	ReasonBedtime    = verdict.ReasonBedtime    // the group's bedtime windows
	ReasonDevice     = verdict.ReasonDevice     // the device's own block entries
	ReasonRule       = verdict.ReasonRule       // a rule (household or group); see Rule
	ReasonWindow     = verdict.ReasonWindow     // a scheduled rule matched but its window allows it now
	ReasonBonus      = verdict.ReasonBonus      // bonus time lifted a rule
	ReasonSafeSearch = verdict.ReasonSafeSearch // rewritten to the engine's safe endpoint
	ReasonBudget     = verdict.ReasonBudget     // a daily budget is used up today
)

// Mode is how a scheduled rule uses its windows.
type Mode = verdict.Mode

// verdict is the rule mode as a Decision carries it.
func (m ruleMode) verdict() verdict.Mode {
	switch m {
	case outside:
		return verdict.ModeOutside
	case during:
		return verdict.ModeDuring
	}
	return verdict.ModeAlways
}

// Facts are the decision's explaining values, for policy/words.
func (d *Decision) Facts() verdict.Facts {
	return verdict.Facts{
		Action: d.Action, Reason: d.Reason, Mode: d.Mode, Device: d.Device, Group: d.Group,
		Rule: d.Rule, RuleText: d.RuleText, Category: d.Category, Service: d.Service, List: d.List,
		Entry: d.Entry, EntrySubdomains: d.EntrySubdomains, Window: d.Window, Via: d.Via,
		Budget: d.Budget, BudgetUsed: d.BudgetUsed, BudgetMinutes: d.BudgetMinutes,
	}
}
