package upstream

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// Latency scoring for the "fastest" strategy.
const (
	ewmaWeight = 0.3              // weight of a new sample
	halfLife   = 30 * time.Second // an idle score halves this often
)

// Group is the set of configured upstreams and the strategy choosing among
// them.
//
// "fastest" (the default) keeps, per upstream, an exponentially weighted
// moving average of its latency; an error, a timeout or a SERVFAIL/REFUSED
// reply counts as a sample of twice the timeout. A score decays (halves every
// 30 s without samples) so a server that failed, or lost races, is tried
// again later. Each query races the two best-scored upstreams in parallel and
// the first good answer wins; the other attempt runs to its end in the
// background so its latency is measured too. If both fail, the others are
// tried one at a time, best score first.
//
// "ordered" tries the upstreams one at a time in the order written.
//
// A good answer is a reply whose rcode is not SERVFAIL or REFUSED (NXDOMAIN
// is good). Each attempt has its own timeout under the caller's context. When
// every attempt failed, Exchange returns the last reply received, if any,
// else the attempts' errors joined.
type Group struct {
	members []*member
	ordered bool
	timeout time.Duration
	penalty time.Duration
	log     zerolog.Logger
	now     func() time.Time
	observe func(addr string, d time.Duration, failed bool) // never nil
	slots   chan struct{}                                   // nil: no bound on queries in flight
}

// ErrBusy is returned by Exchange when max_in_flight queries are already
// waiting on the group's upstreams: a silent upstream cannot make the
// queries waiting on it (and their goroutines) grow without bound.
var ErrBusy = errors.New("upstream: too many queries in flight (upstreams.max_in_flight)")

// slot is one query's place among those in flight. It is freed when the
// query and the race attempts it started (which outlive it, to be measured)
// have all ended.
type slot struct {
	slots chan struct{}
	refs  atomic.Int32
}

func (s *slot) hold() { s.refs.Add(1) }

func (s *slot) release() {
	if s.refs.Add(-1) == 0 {
		<-s.slots
	}
}

// member is one upstream with its statistics.
type member struct {
	up      Upstream
	queries atomic.Int64
	errors  atomic.Int64

	mu      sync.Mutex
	ewma    float64 // seconds; 0 before the first sample
	sampled time.Time
}

// Stat is one upstream's statistics, for metrics.
type Stat struct {
	Address string        // as configured
	Latency time.Duration // EWMA of recent latencies, penalties included (decayed to now)
	Queries int64         // exchanges attempted
	Errors  int64         // attempts that failed (error, timeout, SERVFAIL, REFUSED)
	// Dropped counts UDP replies that matched no query waiting (late
	// replies, or spoofs); plain upstreams only.
	Dropped int64
}

// NewGroup builds a Group from the configuration. A zero Timeout means
// DefaultTimeout and an empty Strategy "fastest".
func NewGroup(cfg Config, opts Options) (*Group, error) {
	g := &Group{
		ordered: cfg.Strategy == StrategyOrdered,
		timeout: cfg.Timeout,
		log:     opts.Logger,
		now:     time.Now,
		observe: opts.Observe,
	}
	if g.observe == nil {
		g.observe = func(string, time.Duration, bool) {}
	}
	if cfg.MaxInFlight > 0 {
		g.slots = make(chan struct{}, cfg.MaxInFlight)
	}
	if g.timeout <= 0 {
		g.timeout = DefaultTimeout
	}
	g.penalty = 2 * g.timeout
	if cfg.Strategy != "" && cfg.Strategy != StrategyFastest && cfg.Strategy != StrategyOrdered {
		return nil, fmt.Errorf("upstream: unknown strategy %q", cfg.Strategy)
	}
	if len(cfg.Servers) == 0 {
		return nil, errors.New("upstream: no servers")
	}
	var boot *Bootstrap
	if len(cfg.Bootstrap) > 0 {
		var err error
		if boot, err = NewBootstrap(cfg.Bootstrap, g.timeout); err != nil {
			return nil, fmt.Errorf("upstream: %w", err)
		}
	}
	var errs []error
	for _, s := range cfg.Servers {
		up, err := New(s, opts, boot)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g.members = append(g.members, &member{up: up})
	}
	if err := errors.Join(errs...); err != nil {
		g.Close()
		return nil, fmt.Errorf("upstream: %w", err)
	}
	return g, nil
}

// Exchange sends q following the group's strategy. It returns the first good
// answer, or the last answer/error when every server failed. q is not
// modified; each attempt works on its own copy. With MaxInFlight queries
// already in flight it fails at once with ErrBusy.
func (g *Group) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	var sl *slot
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
		default:
			return nil, ErrBusy
		}
		sl = &slot{slots: g.slots}
		sl.hold()
		defer sl.release()
	}
	order := g.order()
	f := failures{}
	rest := order
	if !g.ordered && len(order) > 1 {
		if r := g.race(ctx, q, order[0], order[1], &f, sl); r != nil {
			return r, nil
		}
		rest = order[2:]
	}
	var mq *dns.Msg // one copy for the attempts made one after another
	for _, m := range rest {
		if ctx.Err() != nil {
			break
		}
		if mq == nil {
			mq = q.Copy()
		}
		actx, cancel := context.WithTimeout(ctx, g.timeout)
		r, err := g.attempt(actx, ctx, m, mq)
		cancel()
		if good(r, err) {
			return r, nil
		}
		f.add(m, r, err)
	}
	return f.result(ctx)
}

// race runs q on a and b in parallel and returns the first good answer, or
// nil after recording both failures in f. The attempts hold sl (if not nil)
// until they end.
func (g *Group) race(ctx context.Context, q *dns.Msg, a, b *member, f *failures, sl *slot) *dns.Msg {
	type result struct {
		m   *member
		r   *dns.Msg
		err error
	}
	ch := make(chan result, 2)
	// Attempts outlive a cancelled caller and the race itself, so that the
	// loser's latency is measured; each is bounded by the timeout.
	base := context.WithoutCancel(ctx)
	for _, m := range []*member{a, b} {
		mq := q.Copy()
		if sl != nil {
			sl.hold()
		}
		go func() {
			if sl != nil {
				defer sl.release()
			}
			actx, cancel := context.WithTimeout(base, g.timeout)
			defer cancel()
			r, err := g.attempt(actx, base, m, mq)
			ch <- result{m, r, err}
		}()
	}
	for range 2 {
		select {
		case res := <-ch:
			if good(res.r, res.err) {
				return res.r
			}
			f.add(res.m, res.r, res.err)
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// attempt runs one exchange and records its outcome. parent is the context
// the attempt's ctx derives from: if parent was cancelled, the failure is not
// the upstream's and is not recorded.
func (g *Group) attempt(ctx, parent context.Context, m *member, q *dns.Msg) (*dns.Msg, error) {
	start := g.now()
	r, err := m.up.Exchange(ctx, q)
	elapsed := g.now().Sub(start)
	if err != nil && ended(parent) {
		return nil, err
	}
	m.queries.Add(1)
	if good(r, err) {
		m.sample(elapsed, g.now())
		g.observe(m.up.String(), elapsed, false)
		return r, nil
	}
	m.errors.Add(1)
	g.observe(m.up.String(), elapsed, true)
	m.sample(max(elapsed, g.penalty), g.now())
	if e := g.log.Debug(); e.Enabled() {
		if err != nil {
			e.Err(err)
		} else {
			e.Str("rcode", dns.RcodeToString[r.Rcode])
		}
		e.Str("upstream", m.up.String()).Dur("elapsed", elapsed).Msg("upstream attempt failed")
	}
	return r, err
}

// ended reports whether ctx is done or past its deadline. The second test
// matters: an exchange bounded by ctx's deadline can fail at that instant,
// before ctx's own timer has marked it done.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// good reports whether an exchange gave a usable answer.
func good(r *dns.Msg, err error) bool {
	return err == nil && r != nil && r.Rcode != dns.RcodeServerFailure && r.Rcode != dns.RcodeRefused
}

// order returns the members in the order to try them (not to be modified).
func (g *Group) order() []*member {
	if g.ordered || len(g.members) < 2 {
		return g.members
	}
	order := slices.Clone(g.members)
	now := g.now()
	scores := make(map[*member]float64, len(order))
	for _, m := range order {
		scores[m] = m.score(now)
	}
	slices.SortStableFunc(order, func(a, b *member) int {
		switch sa, sb := scores[a], scores[b]; {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	return order
}

// sample folds one latency into the member's average.
func (m *member) sample(d time.Duration, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := d.Seconds()
	if m.sampled.IsZero() {
		m.ewma = s
	} else {
		m.ewma = ewmaWeight*s + (1-ewmaWeight)*m.decayed(now)
	}
	m.sampled = now
}

// score is the decayed average latency in seconds; lower is better.
func (m *member) score(now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.decayed(now)
}

// decayed is ewma halved for every halfLife since the last sample. m.mu held.
func (m *member) decayed(now time.Time) float64 {
	idle := now.Sub(m.sampled)
	if m.sampled.IsZero() || idle <= 0 {
		return m.ewma
	}
	return m.ewma * math.Exp2(-idle.Seconds()/halfLife.Seconds())
}

// failures collects failed attempts.
type failures struct {
	last *dns.Msg
	errs []error
}

func (f *failures) add(m *member, r *dns.Msg, err error) {
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("%s: %w", m.up, err))
		return
	}
	f.last = r
}

// result is the last reply received, else the joined errors.
func (f *failures) result(ctx context.Context) (*dns.Msg, error) {
	if f.last != nil {
		return f.last, nil
	}
	if ctx.Err() != nil {
		f.errs = append(f.errs, ctx.Err())
	}
	if len(f.errs) == 0 {
		return nil, errors.New("upstream: no attempt made")
	}
	return nil, fmt.Errorf("upstream: all servers failed: %w", errors.Join(f.errs...))
}

// Stats returns each upstream's statistics, in configuration order.
func (g *Group) Stats() []Stat {
	now := g.now()
	out := make([]Stat, len(g.members))
	for i, m := range g.members {
		out[i] = Stat{
			Address: m.up.String(),
			Latency: time.Duration(m.score(now) * float64(time.Second)),
			Queries: m.queries.Load(),
			Errors:  m.errors.Load(),
		}
		if p, ok := m.up.(*plain); ok && p.pool != nil {
			out[i].Dropped = p.pool.dropped.Load()
		}
	}
	return out
}

// Close releases idle connections. An attempt still running (a race loser
// being measured) ends within the timeout.
func (g *Group) Close() {
	for _, m := range g.members {
		if c, ok := m.up.(Closer); ok {
			c.Close()
		}
	}
}
