package policy

import (
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// Query is what Decide needs to know about one query.
type Query struct {
	Name   string // lowercase, trailing dot optional; not retained
	Client identity.ClientInfo
	Now    time.Time
}

// Options configure an Engine.
type Options struct {
	Clock     clock.Clock
	Catalogue *blocklists.Catalogue
	// ListCategories are the categories of the configured lists.
	ListCategories []string
	// Overrides holds pauses and bonus time; nil: an in-memory store.
	Overrides *state.Overrides
	// Devices remembers the devices seen; nil: an in-memory registry.
	Devices *state.Registry
	// Neighbours maps addresses to MAC addresses; nil: not used.
	Neighbours *identity.Neighbours
	// Assignments holds the devices named on the dashboard; nil: an
	// in-memory store.
	Assignments *state.Assignments
	// Budgets holds the minutes used of daily budgets; nil: an in-memory
	// store.
	Budgets *state.Budgets
}

// Engine holds the current policy bound to the current lists, swapped
// atomically: Decide takes no lock on the common path.
type Engine struct {
	opts  Options
	mu    sync.Mutex // serialises SetConfig and SetLists
	cfg   Config
	lists *blocklists.Compiled
	cur   atomic.Pointer[bound]
	src   identity.Sources // neighbour tables and leases
	// What the home router calls each device (routernames.go).
	routerLookup atomic.Pointer[RouterLookup]
	routerNames  identity.RouterNames
}

// NewEngine returns an engine for cfg, which must have passed Validate. It
// blocks nothing from lists until SetLists gives it compiled ones.
func NewEngine(cfg Config, opts Options) (*Engine, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Catalogue == nil {
		opts.Catalogue = blocklists.Builtin()
	}
	if opts.Overrides == nil {
		opts.Overrides, _ = state.OpenOverrides("", opts.Clock)
	}
	if opts.Devices == nil {
		opts.Devices = state.NewRegistry("")
	}
	if opts.Assignments == nil {
		opts.Assignments, _ = state.OpenAssignments("")
	}
	if opts.Budgets == nil {
		opts.Budgets, _ = state.OpenBudgets("")
	}
	e := &Engine{opts: opts}
	e.src.Neighbours = opts.Neighbours
	if err := e.SetConfig(cfg, opts.ListCategories); err != nil {
		return nil, err
	}
	return e, nil
}

// SetConfig applies a new policy to the current lists; listCategories are
// the configured lists' categories. A configuration with problems is refused
// and the running one kept.
func (e *Engine) SetConfig(cfg Config, listCategories []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, errs := compile(cfg, e.opts.Catalogue, listCategories)
	if len(errs) > 0 {
		return fmt.Errorf("policy: %w", joinErrors(errs))
	}
	e.cfg, e.opts.ListCategories = cfg, listCategories
	assign(p, e.opts.Assignments.List())
	p.attachBudgets(e.opts.Budgets)
	e.cur.Store(bind(p, e.lists))
	return nil
}

// SetLists applies the current policy to newly compiled lists.
func (e *Engine) SetLists(c *blocklists.Compiled) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lists = c
	e.rebindLocked()
}

// rebindLocked publishes the current configuration, assignments and lists
// as a new state. A fresh plan for each binding: bind writes into the plan,
// and the old one may still be read by queries in flight.
func (e *Engine) rebindLocked() {
	p, _ := compile(e.cfg, e.opts.Catalogue, e.opts.ListCategories)
	assign(p, e.opts.Assignments.List())
	p.attachBudgets(e.opts.Budgets)
	e.cur.Store(bind(p, e.lists))
}

// Overrides returns the engine's store of pauses and bonus time.
func (e *Engine) Overrides() *state.Overrides { return e.opts.Overrides }

// Devices returns the registry of devices seen.
func (e *Engine) Devices() *state.Registry { return e.opts.Devices }

// Location returns the household's zone.
func (e *Engine) Location() *time.Location { return e.cur.Load().plan.loc }

// Decide identifies the query's device (recording the sighting, as
// Identify does) and decides for it.
func (e *Engine) Decide(q Query) Decision {
	var d Decision
	e.DecideInto(&d, q.Name, e.Identify(&q.Client, q.Now), q.Now)
	d.Own(q.Name)
	return d
}

// DecideInto decides for who (from Identify) at now, on the hot path: it
// writes into d (overwriting it), so a Decision is not copied around, and
// keeps nothing of name (Entry stays empty: call d.Own(name) for it). It
// has no side effects, takes no lock and allocates nothing. It decides with
// the policy who was identified under, so both steps see one configuration.
func (e *Engine) DecideInto(d *Decision, name string, who Who, now time.Time) {
	b := who.b
	if b == nil {
		b = e.cur.Load()
	}
	b.decide(d, name, who.dev, who.group(b), now, e.opts.Overrides.Snapshot())
	d.Client = who.addr
}

// DecideFor decides for a named device ("" for an unknown device in the
// default group) without identifying it: for `hearth explain`.
func (e *Engine) DecideFor(name, deviceName string, now time.Time) (Decision, error) {
	b := e.cur.Load()
	var dev *device
	if deviceName != "" {
		for _, d := range b.plan.devices {
			if strings.EqualFold(d.name, deviceName) {
				dev = d
			}
		}
		if dev == nil {
			return Decision{}, fmt.Errorf("no device %q in the configuration", deviceName)
		}
	}
	g := b.plan.unknown
	if dev != nil {
		g = dev.group
	}
	var d Decision
	b.decide(&d, name, dev, g, now, e.opts.Overrides.Snapshot())
	d.Own(name)
	return d, nil
}

// decide is the policy, in order of precedence:
//
//  1. help sites: allowed, never journaled, whatever else applies;
//  2. allow entries of the device, then of its group: allowed;
//  3. a pause of the device, its group or everyone: blocked until the
//     last of them ends;
//  4. an early bedtime tonight, or the group's bedtime unless a later
//     bedtime tonight lifts it: blocked;
//  5. the device's own block entries: blocked;
//  6. rules: blocking.block for everyone, bypass protection, then the
//     group's rules in order; a rule's except entries and bonus time lift
//     it, a scheduled rule blocks only outside (or during) its windows; the
//     first rule that blocks decides;
//     6½. daily budgets: a name a budget counts is blocked once the owner's
//     minutes today are used up (bonus minutes added), until midnight;
//  7. safe search: the search engines' names rewritten to safe endpoints;
//  8. otherwise allowed.
//
// Next is when the decision would change: a pause's or bedtime's end; from
// step 5 on, the earliest of bedtime starting (or resuming after a later
// bedtime), a matching scheduled rule's window opening or closing and
// bonus time ending. Answers are not cached past it.
func (b *bound) decide(d *Decision, name string, dev *device, g *group, now time.Time, ovs []state.Override) {
	p := b.plan
	*d = Decision{Group: g.name, TTL: g.ttl, Response: &g.response, LogAllowed: g.logAll, CheckChain: true}
	if dev != nil {
		d.Device = dev.name
	}
	var mL, mD blocklists.Match
	if b.lists != nil && b.lists.Matcher != nil {
		mL = b.lists.Matcher.Match(name)
	}
	if p.dom != nil {
		mD = p.dom.Match(name)
	}
	d.services = mL.Block.And(b.svc.mask)

	// 1. Help.
	if mD.Block.Has(p.help) {
		d.Reason, d.Rule, d.Quiet, d.CheckChain = ReasonHelp, "help", true, false
		d.setEntry(name, mD.Rule, true)
		return
	}
	// 2. Allow entries.
	if dev != nil && dev.allow.hit(&mL, &mD) {
		b.allowed(d, name, &dev.allow, dev.allowKey, &mL, &mD)
		return
	}
	if g.allow.hit(&mL, &mD) {
		b.allowed(d, name, &g.allow, g.allowKey, &mL, &mD)
		return
	}
	// 3. Pause: the one in force that ends last (a device's and its
	// group's may overlap), and the overrides of tonight's bedtime.
	var paused, later, early *state.Override
	for i := range ovs {
		o := &ovs[i]
		if o.Kind == state.OverrideBonus || !o.Active(now) || !appliesTo(o, dev, g) {
			continue
		}
		switch o.Kind {
		case state.OverridePause:
			paused = lastEnd(paused, o)
		case state.OverrideLaterBedtime:
			later = lastEnd(later, o)
		case state.OverrideEarlyBedtime:
			early = lastEnd(early, o)
		}
	}
	if paused != nil {
		d.Action, d.Reason, d.Rule, d.Override, d.Next = Block, ReasonPause, "pause", paused.ID, paused.Until
		d.RuleText = "paused until " + paused.Until.In(p.loc).Format("Mon 15:04")
		d.TTL = verdict.CapTTL(d.TTL, now, paused.Until)
		return
	}
	// 4. Bedtime: an early bedtime tonight; the group's, unless a later
	// bedtime lifts it. bedNext is when bedtime next starts (or, lifted,
	// resumes): every later step's decision changes then.
	if early != nil {
		d.Action, d.Reason, d.Rule, d.Override = Block, ReasonBedtime, "early-bedtime", early.ID
		d.Window, d.Next, d.RuleText = "early tonight", early.Until, "bedtime"
		d.TTL = verdict.CapTTL(d.TTL, now, early.Until)
		return
	}
	var bedNext time.Time
	if g.bedtime != nil {
		st := g.bedtime.state(now)
		switch {
		case later != nil:
			bedNext = later.Until
		case st.active:
			d.Action, d.Reason, d.Rule = Block, ReasonBedtime, g.bedtimeKey
			d.Window, d.Next, d.RuleText = g.bedtime.windows(st), st.next, "bedtime"
			d.TTL = verdict.CapTTL(d.TTL, now, st.next)
			return
		default:
			bedNext = st.next
		}
	}
	// 5. The device's own block entries.
	if dev != nil && dev.block.hit(&mL, &mD) {
		d.Action, d.Reason, d.Rule, d.Next = Block, ReasonDevice, dev.blockKey, bedNext
		b.describe(d, name, &dev.block, &mL, &mD)
		d.TTL = verdict.CapTTL(d.TTL, now, bedNext)
		return
	}
	// 6. Rules.
	next := bedNext
	decideRule := func(r *rule) bool {
		hitL, hitD := mL.Block.And(r.block.lists), mD.Block.And(r.block.dom)
		if hitL.Empty() && hitD.Empty() {
			return false
		}
		if r.except.hit(&mL, &mD) {
			return false
		}
		var st *schedState
		if r.sched != nil {
			st = r.sched.state(now)
			if st.active != (r.mode == during) { // the window allows it now
				next = earliest(next, st.next)
				if d.Reason == ReasonNone {
					d.Reason, d.Rule, d.RuleText, d.Window = ReasonWindow, r.key, r.text, r.sched.windows(st)
					d.Mode = r.mode.verdict()
				}
				return false
			}
		}
		if o := b.bonusFor(ovs, now, dev, g, hitL); o != nil {
			next = earliest(next, o.Until)
			if st != nil {
				next = earliest(next, st.next)
			}
			d.Reason, d.Rule, d.RuleText, d.Override = ReasonBonus, r.key, r.text, o.ID
			return false
		}
		d.Action, d.Reason, d.Rule, d.RuleText = Block, ReasonRule, r.key, r.text
		d.Window, d.Override, d.Mode, d.Next = "", "", r.mode.verdict(), next
		if st != nil {
			d.Window, d.Next = r.sched.windows(st), earliest(next, st.next)
		}
		d.TTL = verdict.CapTTL(d.TTL, now, d.Next)
		if r.forceNX {
			d.Response = &nxResponse
		}
		b.describe(d, name, &r.block, &mL, &mD)
		return true
	}
	if p.household != nil && decideRule(p.household) {
		return
	}
	for _, r := range g.rules {
		if decideRule(r) {
			return
		}
	}
	// 6½. Daily budgets: used up, blocked until midnight; running, the
	// answer lives a minute at most.
	if b.decideBudgets(d, name, dev, g, now, ovs, &mL, &mD, next) {
		return
	}
	if d.counting != 0 {
		next = earliest(next, d.recount) // the earliest the budget can be used up
		d.recount = now.Add(budgetTTL)
	}
	// 7. Safe search.
	if target, ok := g.safe.target(name); ok {
		d.Action, d.Reason, d.Target, d.Rule = Rewrite, ReasonSafeSearch, target, g.safeKey
		d.Next = next
		return
	}
	// 8. Allowed.
	d.Next = next
}

func (b *bound) allowed(d *Decision, name string, n *nameSet, key string, mL, mD *blocklists.Match) {
	d.Reason, d.Rule, d.CheckChain = ReasonAllowList, key, false
	if !mD.Block.And(n.dom).Empty() {
		d.setEntry(name, mD.Rule, true)
		return
	}
	b.describeLists(d, name, n, mL)
}

// nxResponse answers bypass names whatever the group's response: browsers
// and Apple devices read NXDOMAIN as "filtered network".
var nxResponse = Response{Kind: RespondNXDomain}

// describe fills in what matched: a list source (service or list) or one of
// the policy's own domain entries.
func (b *bound) describe(d *Decision, name string, n *nameSet, mL, mD *blocklists.Match) {
	if !mL.Block.And(n.lists).Empty() {
		b.describeLists(d, name, n, mL)
		return
	}
	d.setEntry(name, mD.Rule, true)
	if mD.Block.Has(b.plan.canary) {
		d.Category = bypassCategory
	}
}

func (b *bound) describeLists(d *Decision, name string, n *nameSet, mL *blocklists.Match) {
	hit := mL.Block.And(n.lists)
	if hit.Empty() {
		return
	}
	id := firstSource(hit)
	src := b.lists.Sources[id]
	d.Category = n.label[id]
	if src.Kind == blocklists.KindService {
		d.Service = src.Service
	} else {
		d.List = src.Name
	}
	d.setEntry(name, mL.Rule, mL.Subdomains)
}

// bonusFor returns an active bonus for the device or group that covers one
// of the hit sources (by service or category), or nil.
func (b *bound) bonusFor(ovs []state.Override, now time.Time, dev *device, g *group, hit blocklists.Sources) *state.Override {
	for i := range ovs {
		o := &ovs[i]
		if o.Kind != state.OverrideBonus || !o.Active(now) || !appliesTo(o, dev, g) || hit.Empty() {
			continue
		}
		for _, src := range b.lists.Sources {
			if !hit.Has(src.ID) {
				continue
			}
			if src.Service == o.What {
				return o
			}
			for _, c := range src.Categories {
				if c == o.What {
					return o
				}
			}
		}
	}
	return nil
}

// lastEnd returns whichever of cur (may be nil) and o ends last.
func lastEnd(cur, o *state.Override) *state.Override {
	if cur == nil || o.Until.After(cur.Until) {
		return o
	}
	return cur
}

func appliesTo(o *state.Override, dev *device, g *group) bool {
	if o.All {
		return true
	}
	if o.Device != "" {
		return dev != nil && strings.EqualFold(o.Device, dev.name)
	}
	return o.Group == g.name
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// firstSource returns the lowest SourceID in a non-empty set.
func firstSource(s blocklists.Sources) blocklists.SourceID {
	for i, word := range s {
		if word != 0 {
			return blocklists.SourceID(i*64 + bits.TrailingZeros64(word))
		}
	}
	return 0
}

func joinErrors(errs []error) error {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
