package policy

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
)

// Action is what to do with a query.
type Action uint8

const (
	Allow Action = iota
	Block
)

// Reason says why a Decision was taken.
type Reason uint8

const (
	ReasonNone    Reason = iota // nothing matched: allowed
	ReasonService               // a blocked catalogue service's domain
	ReasonList                  // a blocked category's list (public or configured)
)

// Decision is the outcome for one query. It keeps no reference to the
// query's name: Rule is its own copy.
type Decision struct {
	Action   Action
	Reason   Reason
	Category string // the blocked category that matched ("gaming", "ads")
	Service  string // the catalogue service, for ReasonService
	List     string // the list's name, for ReasonList
	// Rule is the matched rule as a list would write it: "||discord.gg^"
	// for a domain and its subdomains, "ads.example.com" for one name.
	Rule string
	// Response and TTL say how to answer a blocked query (blocking.response
	// and blocking.ttl).
	Response string
	TTL      uint32
}

// Engine holds the current policy and the compiled lists, swapped
// atomically; Decide never takes a lock.
type Engine struct {
	cfg  atomic.Pointer[Config]
	snap atomic.Pointer[snapshot]
}

// snapshot is the lists plus, per source, whether the policy blocks it and
// under which category.
type snapshot struct {
	lists    *blocklists.Compiled
	blocked  blocklists.Sources
	category [blocklists.MaxSources]string
}

// NewEngine returns an engine for cfg; it blocks nothing until SetLists
// gives it compiled lists.
func NewEngine(cfg Config) *Engine {
	e := &Engine{}
	e.cfg.Store(&cfg)
	return e
}

// SetConfig applies a new policy to the current lists.
func (e *Engine) SetConfig(cfg Config) {
	e.cfg.Store(&cfg)
	if s := e.snap.Load(); s != nil {
		e.SetLists(s.lists)
	}
}

// SetLists applies the current policy to newly compiled lists.
func (e *Engine) SetLists(c *blocklists.Compiled) {
	cfg := e.cfg.Load()
	s := &snapshot{lists: c}
	want := make(map[string]bool, len(cfg.Blocking.Block))
	for _, b := range cfg.Blocking.Block {
		want[b] = true
	}
	for _, src := range c.Sources {
		if src.Kind == blocklists.KindService && want[src.Service] {
			s.blocked.Add(src.ID)
			s.category[src.ID] = firstOr(src.Categories, src.Service)
			continue
		}
		for _, cat := range src.Categories {
			if want[cat] {
				s.blocked.Add(src.ID)
				s.category[src.ID] = cat
				break
			}
		}
	}
	e.snap.Store(s)
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// Decide returns the decision for name (lowercase, trailing dot optional).
// name is not retained.
func (e *Engine) Decide(name string) Decision {
	s := e.snap.Load()
	if s == nil || s.lists == nil || s.lists.Matcher == nil {
		return Decision{}
	}
	m := s.lists.Matcher.Match(name)
	hit := m.Block.And(s.blocked)
	if hit.Empty() {
		return Decision{}
	}
	id := firstSource(hit)
	src := s.lists.Sources[id]
	cfg := e.cfg.Load()
	d := Decision{Action: Block, Category: s.category[id], Response: cfg.Blocking.Response, TTL: uint32(cfg.Blocking.TTL / time.Second)}
	if src.Kind == blocklists.KindService {
		d.Reason, d.Service = ReasonService, src.Service
	} else {
		d.Reason, d.List = ReasonList, src.Name
	}
	rule := trimDot(m.Rule)
	if m.Subdomains {
		d.Rule = "||" + rule + "^"
	} else {
		d.Rule = string([]byte(rule)) // a copy: name is not ours to keep
	}
	return d
}

func trimDot(s string) string {
	if n := len(s); n > 0 && s[n-1] == '.' {
		return s[:n-1]
	}
	return s
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
