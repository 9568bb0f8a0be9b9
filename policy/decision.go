package policy

import (
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// Decision is the outcome for one query, with everything that explains it.
// The query log, the report, the EDE text and `hearth explain` all read this
// one value.
//
// On the hot path (DecideInto) no string is made from the queried name:
// Entry is left empty until the caller calls Own with the name.
type Decision struct {
	Action Action
	Reason Reason
	Device string     // the configured device name; "" for an unknown device
	Client netip.Addr // the client's address as believed (set by DecideInto)
	Group  string
	// Rule is where the deciding rule is in the configuration:
	// "groups.kids.rules[1]", "blocking.block", "groups.kids.bedtime",
	// "devices[0].block", "groups.kids.allow", "help.countries".
	Rule     string
	RuleText string // the rule in words
	Category string // the category that matched ("gaming", "ads")
	Service  string // the catalogue service, if one matched
	List     string // the list that matched, if not a service
	// Entry is the matched entry's domain and EntrySubdomains whether it
	// covers subdomains ("||discord.gg^") or only the name itself.
	Entry           string
	EntrySubdomains bool
	entryAt         uint16 // 1 + where Entry starts in the queried name; 0: no entry
	entryLen        uint16
	Window          string    // the windows in force, for scheduled rules and bedtime
	Next            time.Time // when this decision would change; zero: not by schedule
	Override        string    // the ID of the pause or bonus that decided
	Response        *Response // how to answer, for Block (shared: do not modify)
	TTL             uint32    // the TTL of a blocked answer
	Target          string    // Rewrite: the safe endpoint
	Via             string    // set by the resolver: the CNAME target that was blocked
	Quiet           bool      // never journaled (help sites)
	LogAllowed      bool      // the group journals allowed lookups too
	Mode            Mode      // for a scheduled rule: outside (allowed only inside its windows) or during
	// CheckChain says whether the CNAME targets of an allowed answer must
	// be decided too. Help sites and allow entries are trusted whole.
	CheckChain bool
	// Budget, for ReasonBudget, is the used-up budget's what ("gaming"),
	// BudgetUsed and BudgetMinutes its minutes used and allowed today.
	Budget        string
	BudgetUsed    int
	BudgetMinutes int
	// services are the catalogue services the name belongs to, whatever
	// was decided (for Engine.LookedUp).
	services blocklists.Sources
	// counting: the running budgets (bits of budgetList) whose minute
	// budgetMinute of day budgetDay Engine.LookedUp marks.
	counting     uint64
	budgetList   []devBudget
	budgetDay    int32
	budgetMinute int16
	budgetSpent  uint8 // ReasonBudget: 1 + the spent budget's index in budgetList
	// recount, while a budget runs for the name, is a minute from the
	// decision: answers must not be cached longer (Expires).
	recount time.Time
}

// Expires is how long an answer decided so may be cached: until Next, and
// while a daily budget runs for the name at most a minute, so devices keep
// asking and every minute of use is counted.
func (d *Decision) Expires() time.Time { return earliest(d.Next, d.recount) }

// Own fills in Entry from the queried name (a copy: name need not outlive d).
func (d *Decision) Own(name string) {
	start, end := int(d.entryAt)-1, int(d.entryAt)-1+int(d.entryLen)
	if d.entryAt == 0 || d.Entry != "" || end > len(name) {
		return
	}
	d.Entry = strings.Clone(strings.TrimSuffix(name[start:end], "."))
}

// Borrow fills in Entry from the queried name without copying it: Entry is
// then a view of name, for a d whose words are written while name is still
// alive (the UDP fast path's blocked answer). Own is for everything else.
func (d *Decision) Borrow(name string) {
	start, end := int(d.entryAt)-1, int(d.entryAt)-1+int(d.entryLen)
	if d.entryAt == 0 || d.Entry != "" || end > len(name) {
		return
	}
	d.Entry = strings.TrimSuffix(name[start:end], ".")
}

// setEntry records rule, which the matchers return as a substring of name
// itself, as the matched entry, by its place in name.
func (d *Decision) setEntry(name, rule string, subdomains bool) {
	d.Entry, d.EntrySubdomains, d.entryAt, d.entryLen = "", subdomains, 0, 0
	if rule == "" || name == "" {
		return
	}
	off := uintptr(unsafe.Pointer(unsafe.StringData(rule))) - uintptr(unsafe.Pointer(unsafe.StringData(name)))
	if off <= uintptr(len(name)-len(rule)) {
		d.entryAt, d.entryLen = uint16(off)+1, uint16(len(rule))
	}
}

// EntryText writes the entry as a list would: "||discord.gg^" or "ads.example".
func (d *Decision) EntryText() string { return verdict.EntryText(d.Entry, d.EntrySubdomains) }
