package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// lookQueue is how many lookups may wait for the collector; past it they
// are counted as lost (the query never waits).
const lookQueue = 1024

// Lookup is one blocked lookup as the resolver hands it over (through the
// app's hand-off to the journal). Its strings come from the policy's plan
// and outlive the call; the name is copied into the value.
type Lookup struct {
	Time     time.Time
	Device   string // the configured device's name; "" unknown
	Group    string
	Client   netip.Addr
	Blocked  bool
	Reason   verdict.Reason
	Rule     string // the deciding rule's key ("groups.kids.bypass_protection")
	Category string
	Service  string
	name     [254]byte
	nameLen  uint8
}

// SetName copies name into l (no allocation).
func (l *Lookup) SetName(name string) { l.nameLen = uint8(copy(l.name[:], name)) }

// Name returns the copied name.
func (l *Lookup) Name() string { return string(l.name[:l.nameLen]) }

// bypassCategory is the catalogue category bypass protection blocks.
const bypassCategory = "bypass"

// eventFilter is alerts.events, made quick to ask on the query path.
type eventFilter struct {
	blocked     map[string]bool
	bedtimeChat bool
	bypass      bool
	newDevice   bool
	unwell      bool
	budget      bool
	silentAfter time.Duration
}

func newEventFilter(c EventsConfig) *eventFilter {
	f := &eventFilter{blocked: map[string]bool{}, bedtimeChat: c.BedtimeChat, bypass: c.Bypass, newDevice: c.NewDevice, unwell: c.Unwell,
		budget: c.Budget, silentAfter: c.SilentDevice}
	for _, b := range c.Blocked {
		f.blocked[b] = true
	}
	return f
}

func (f *eventFilter) kindOn(k Kind) bool {
	switch k {
	case KindNewDevice:
		return f.newDevice
	case KindUnwell:
		return f.unwell
	case KindBudgetLow, KindBudgetSpent:
		return f.budget
	case KindSilent:
		return f.silentAfter > 0
	}
	return true
}

// kind says which alert a lookup makes, "" none.
func (f *eventFilter) kind(l *Lookup) Kind {
	if !l.Blocked || l.Reason == verdict.ReasonHelp {
		return ""
	}
	if l.Category == bypassCategory || l.Category == "vpn" || strings.HasSuffix(l.Rule, "bypass_protection") {
		if f.bypass {
			return KindBypass
		}
		return ""
	}
	if l.Reason == verdict.ReasonBedtime {
		if f.bedtimeChat && l.Category == "chat" {
			return KindBedtimeChat
		}
		return ""
	}
	if (l.Service != "" && f.blocked[l.Service]) || (l.Category != "" && f.blocked[l.Category]) {
		return KindBlocked
	}
	return ""
}

// Look takes a lookup from the query path: never blocks, never allocates.
// Lookups that make no alert are dropped at once.
func (s *Service) Look(l *Lookup) {
	if f, _ := s.routes.Load().forLookup(l); f.kind(l) == "" {
		return
	}
	select {
	case s.looks <- *l:
	default:
		s.lost.Add(1)
	}
}

// batchKey: one alert per owner, kind and service (or category) per hour.
type batchKey struct {
	kind   Kind
	device string     // the owner: the person, else the configured device
	client netip.Addr // for a device not configured
	what   string     // service, else category
	hour   int64      // the hour's start, Unix seconds
}

type batch struct {
	l     Lookup // the first
	count int
}

// collect batches lookups per owner, service and hour, and queues one
// alert for each batch when its hour ends (and at shutdown).
func (s *Service) collect(ctx context.Context) {
	batches := map[batchKey]*batch{}
	var timer <-chan time.Time
	stop := func() bool { return false }
	arm := func() {
		stop()
		timer, stop = nil, func() bool { return false }
		var first int64
		for k := range batches {
			if first == 0 || k.hour < first {
				first = k.hour
			}
		}
		if first != 0 {
			timer, stop = s.clk.After(time.Unix(first, 0).Add(time.Hour).Sub(s.clk.Now()))
		}
	}
	flush := func(all bool) {
		now := s.clk.Now()
		for k, b := range batches {
			if all || !time.Unix(k.hour, 0).Add(time.Hour).After(now) {
				s.enqueue(s.batchAlert(k, b))
				delete(batches, k)
			}
		}
		arm()
	}
	add := func(l Lookup) {
		f, owner := s.routes.Load().forLookup(&l)
		k := batchKey{kind: f.kind(&l), device: owner, what: l.Service, hour: hourStart(l.Time, s.loc)}
		if k.kind == "" {
			return
		}
		if k.device == "" {
			k.client = l.Client
		}
		if k.what == "" {
			k.what = l.Category
		}
		if b := batches[k]; b != nil {
			b.count++
			return
		}
		batches[k] = &batch{l: l, count: 1}
		flush(false)
	}
	drain := func() {
		for {
			select {
			case l := <-s.looks:
				add(l)
			default:
				return
			}
		}
	}
	defer func() { stop() }()
	for {
		select {
		case l := <-s.looks:
			add(l)
		case a := <-s.posts:
			s.Notify(a)
		case <-timer:
			// Lookups handed over before the hour ended join their batch
			// first (select picks among ready cases at random).
			drain()
			flush(false)
		case <-ctx.Done():
			// What the resolver handed over joins its batch, then every
			// batch is queued on disk, to go out after the next start.
			for {
				select {
				case l := <-s.looks:
					add(l)
					continue
				case a := <-s.posts:
					s.Notify(a)
					continue
				default:
				}
				flush(true)
				return
			}
		}
	}
}

// hourStart is the start of t's hour in loc, in Unix seconds.
func hourStart(t time.Time, loc *time.Location) int64 {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc).Unix()
}

// batchAlert words one batch.
func (s *Service) batchAlert(k batchKey, b *batch) Alert {
	owner := k.device
	if owner == "" {
		owner = "an unnamed device (" + k.client.String() + ")"
	}
	from := time.Unix(k.hour, 0).In(s.loc)
	until := from.Add(time.Hour)
	name := func(id string) string {
		if s.opts.Names != nil {
			if n := s.opts.Names(id); n != "" {
				return n
			}
		}
		return id
	}
	what := name(k.what)
	if b.l.Service != "" && b.l.Category != "" && k.kind != KindBypass && !strings.Contains(what, "(") {
		what += " (" + name(b.l.Category) + ")"
	}
	span := fmt.Sprintf("%s between %s and %s", tries(b.count), clockText(from), clockText(until))
	a := Alert{
		ID: fmt.Sprintf("%s-%s-%s-%d", k.kind, strconv.Quote(owner), k.what, k.hour), Kind: k.kind,
		Owner: k.device, Group: b.l.Group, Service: b.l.Service, Category: b.l.Category, Count: b.count,
		Time: from, Until: &until, Link: s.pageLink(k.kind),
	}
	a.ID = idSafe(a.ID)
	switch k.kind {
	case KindBypass:
		a.Title = owner + " tried a way round the filter"
		a.Text = fmt.Sprintf("%s tried a way round the filter (%s) %s; it was blocked", owner, what, span)
	case KindBedtimeChat:
		a.Title = owner + ": chat at bedtime"
		a.Text = fmt.Sprintf("%s tried %s during bedtime %s", owner, what, span)
	default:
		a.Title = owner + " tried " + name(k.what)
		a.Text = fmt.Sprintf("%s tried %s %s", owner, what, span)
	}
	if s.cfg.Detail {
		a.Domain = b.l.Name()
		a.Text += " (first: " + a.Domain + ")"
	}
	return a
}

// idSafe keeps an alert ID to letters, digits and '-' (it is a mail's
// Message-ID too).
func idSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
