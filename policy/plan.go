package policy

import (
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/schedule"
)

// plan is a validated configuration, compiled for deciding: groups with
// their rules and schedules, devices with their addresses, and the policy's
// own domain entries (help sites, allow and block entries, rule domains) in
// a small Matcher of their own. It does not depend on the lists: binding a
// plan to compiled lists (bind) makes the state Decide reads.
type plan struct {
	cfg        Config
	loc        *time.Location
	cal        *schedule.Calendar
	dom        *blocklists.Matcher
	domInfo    []string // per dom SourceID, the config key of the entries
	help       blocklists.SourceID
	canary     blocklists.SourceID
	response   Response
	ttl        uint32
	household  *rule // blocking.block; nil if empty
	groups     map[string]*group
	groupList  []*group // index = group.idx
	deflt      *group
	unknown    *group    // devices nobody named: new_devices.group, else deflt
	devices    []*device // index = device.idx
	byMAC      map[string]*device
	byIP       []ipDevice // most specific first
	forwarders []netip.Prefix
	conflicts  []string // assignments hearth.yaml overrides (see assign)
	people     []*person
	owners     []*ownerBudgets         // set by attachBudgets: every owner with budgets
	day        atomic.Pointer[dayInfo] // the household day now (budget.go)
	firstStart bool                    // nothing chosen yet: bypass protection for default only (Config.FirstStart)
}

// nameSet is what a block, except or allow list names.
type nameSet struct {
	categories []string                       // catalogue and list categories
	services   []string                       // catalogue services
	domains    []string                       // domain entries (with subdomains)
	dom        blocklists.Sources             // the dom source holding domains, if any
	lists      blocklists.Sources             // set by bind: the lists' sources named
	label      *[blocklists.MaxSources]string // set by bind: category to report per list source
}

func (n *nameSet) empty() bool { return len(n.categories)+len(n.services) == 0 && n.dom.Empty() }

// hit reports whether the matches fall under n.
func (n *nameSet) hit(mL, mD *blocklists.Match) bool {
	return !mL.Block.And(n.lists).Empty() || !mD.Block.And(n.dom).Empty()
}

type ruleMode uint8

const (
	always  ruleMode = iota
	outside          // blocked except inside the windows
	during           // blocked inside the windows
)

type rule struct {
	key     string // config key: "groups.kids.rules[1]"
	text    string // the rule in words
	mode    ruleMode
	sched   *liveSchedule // nil for always
	block   nameSet
	except  nameSet
	forceNX bool // bypass protection: NXDOMAIN whatever the group's response
}

type group struct {
	idx  int
	name string
	// config keys, made once for decisions: "groups.kids.allow", ...
	allowKey, bedtimeKey, safeKey string
	rules                         []*rule
	bedtime                       *liveSchedule
	allow                         nameSet
	safe                          *safeSearch
	bypass                        bool
	logAll                        bool // log_allowed
	response                      Response
	ttl                           uint32
	budgets                       []*budget
	unnamed                       []devBudget // set by attachBudgets: for devices nobody named
}

type device struct {
	idx  int
	name string
	key  string // "devices[2]", or "dashboard:KEY" for an assignment
	// assigned is the registry key of a device named on the dashboard; ""
	// for a device from hearth.yaml.
	assigned string
	// config keys, made once for decisions: "devices[2].allow", ...
	allowKey, blockKey string
	group              *group
	macs               []net.HardwareAddr
	allow              nameSet
	block              nameSet
	person             *person     // its owner, if any
	budgets            []devBudget // set by attachBudgets
}

type ipDevice struct {
	prefix netip.Prefix
	dev    *device
}

// deviceFor finds the configured device with mac or, failing that, addr.
func (p *plan) deviceFor(addr netip.Addr, mac net.HardwareAddr) *device {
	if mac != nil {
		if d, ok := p.byMAC[string(mac)]; ok {
			return d
		}
	}
	for _, e := range p.byIP {
		if e.prefix.Contains(addr) {
			return e.dev
		}
	}
	return nil
}

// liveSchedule is a Schedule with its current state cached: Active and Next
// are computed once per change, not per query.
type liveSchedule struct {
	s           *schedule.Schedule
	list        []schedule.Window // the usual windows
	text        string            // the usual windows, in words
	holidayText string            // the holiday windows, if any, as "holidays ..."
	cal         *schedule.Calendar
	st          atomic.Pointer[schedState]
}

type schedState struct {
	from, until int64 // Unix seconds: the state holds in [from, until)
	active      bool
	holiday     bool
	next        time.Time // when active changes; zero: never
}

func (l *liveSchedule) state(now time.Time) *schedState {
	u := now.Unix()
	if st := l.st.Load(); st != nil && st.from <= u && u < st.until {
		return st
	}
	st := &schedState{from: u, until: 1<<63 - 1, active: l.s.Active(now), next: l.s.Next(now)}
	if !st.next.IsZero() {
		st.until = st.next.Unix()
	}
	if l.cal != nil {
		_, st.holiday = l.cal.On(now)
		y, m, d := now.In(l.s.Location()).Date()
		if midnight := time.Date(y, m, d+1, 0, 0, 0, 0, l.s.Location()).Unix(); midnight < st.until {
			st.until = midnight // the holiday flag may change then
		}
	}
	l.st.Store(st)
	return st
}

// windows returns the text of the windows in force in st.
func (l *liveSchedule) windows(st *schedState) string {
	if st.holiday {
		return l.holidayText
	}
	return l.text
}

// bound is a plan bound to compiled lists: what Decide reads.
type bound struct {
	plan  *plan
	lists *blocklists.Compiled    // may be nil before the first compile
	ids   *identity.Cache[*ident] // who each client is, under this plan
	svc   serviceIDs              // the catalogue services' numbers (looked.go)
	byID  idCache                 // who each device ID is, under this plan (deviceid.go)
}

// bind resolves every name set of p against the sources of c.
func bind(p *plan, c *blocklists.Compiled) *bound {
	b := &bound{plan: p, lists: c, ids: identity.NewCache[*ident]()}
	var srcs []blocklists.SourceInfo
	if c != nil {
		srcs = c.Sources
	}
	each := func(n *nameSet) {
		n.lists = blocklists.Sources{}
		n.label = new([blocklists.MaxSources]string)
		for _, src := range srcs {
			if src.Kind == blocklists.KindService {
				for _, s := range n.services {
					if s == src.Service {
						n.lists.Add(src.ID)
						n.label[src.ID] = firstOr(src.Categories, src.Service)
					}
				}
			}
			for _, want := range n.categories {
				for _, have := range src.Categories {
					if want == have && !n.lists.Has(src.ID) {
						n.lists.Add(src.ID)
						n.label[src.ID] = want
					}
				}
			}
		}
	}
	eachRule := func(r *rule) {
		each(&r.block)
		each(&r.except)
	}
	// Binding writes into the plan's name sets: a plan is bound once per
	// lists build, and each build gets a fresh copy of the plan (rebind).
	if p.household != nil {
		eachRule(p.household)
	}
	for _, g := range p.groupList {
		for _, r := range g.rules {
			eachRule(r)
		}
		each(&g.allow)
	}
	for _, d := range p.devices {
		each(&d.allow)
		each(&d.block)
	}
	for _, g := range p.groupList {
		for _, bu := range g.budgets {
			each(&bu.names)
		}
	}
	for _, pr := range p.people {
		for _, bu := range pr.budgets {
			each(&bu.names)
		}
	}
	b.svc = numberServices(srcs)
	return b
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
