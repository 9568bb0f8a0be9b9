package verdict

// Facts are what explains one decision, whether it comes from the policy
// (policy.Decision.Facts) or from the journal (journal.Row.Facts). The words
// for a parent, a log line or an EDE text are all made from these
// (policy/words), so the same decision reads the same everywhere.
//
// A journal row does not keep RuleText, Entry or Via: those are empty.
type Facts struct {
	Action Action
	Reason Reason
	Mode   Mode // for a scheduled rule (ReasonRule, ReasonWindow)
	Device string
	Group  string
	// Rule is the deciding rule's place in the configuration:
	// "groups.kids.rules[1]", "blocking.block", "groups.kids.bedtime".
	Rule     string
	RuleText string // the rule in words; for a pause "paused until Mon 21:00"
	Category string
	Service  string
	List     string
	// Entry is the matched entry's domain, EntrySubdomains whether it
	// covers subdomains ("||discord.gg^") or only the name itself.
	Entry           string
	EntrySubdomains bool
	Window          string // the windows in force
	Via             string // the CNAME target that was blocked
	// Budget is the daily budget's what ("gaming", "youtube, tiktok") for
	// ReasonBudget; BudgetUsed and BudgetMinutes its minutes used and
	// allowed today (bonus minutes included). A journal row keeps none.
	Budget        string
	BudgetUsed    int
	BudgetMinutes int
}

// EntryText writes the entry as a list would: "||discord.gg^" or "ads.example".
func (f *Facts) EntryText() string { return EntryText(f.Entry, f.EntrySubdomains) }

// EntryText writes a matched entry as a list would: "||discord.gg^" when it
// covers subdomains, else the name alone ("ads.example"); "" for none.
func EntryText(entry string, subdomains bool) string {
	if entry == "" {
		return ""
	}
	if subdomains {
		return "||" + entry + "^"
	}
	return entry
}

// AppendEntryText appends EntryText(entry, subdomains) to dst.
func AppendEntryText(dst []byte, entry string, subdomains bool) []byte {
	switch {
	case entry == "":
		return dst
	case subdomains:
		return append(append(append(dst, "||"...), entry...), '^')
	}
	return append(dst, entry...)
}
