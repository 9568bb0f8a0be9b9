package blocklists

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Compiled is one build of every source into a Matcher, with what each
// SourceID stands for. It is immutable: a new build makes a new one.
type Compiled struct {
	Matcher *Matcher
	Sources []SourceInfo // index = SourceID
	Built   time.Time
	// Background is the KindBackground source's ID, if HasBackground.
	Background    SourceID
	HasBackground bool
}

// SourceInfo says what a SourceID of a Compiled stands for.
type SourceInfo struct {
	ID         SourceID
	Name       string // service id, "<category>/<list name>" or the configured name
	Kind       SourceKind
	Service    string   // the service id, for KindService
	Categories []string // the service's categories, or the list's category
}

// Compile builds a Matcher from what is on disk, without the network: one
// SourceID per catalogue service (its domains, with subdomains), per public
// list of the chosen categories and per configured source (a file is read,
// a URL source's cached copy is read if there is one, inline domains are
// parsed). Lists are parsed straight into the Builder, never held whole.
//
// A source that cannot be read (a file gone since validation, a URL source
// with no copy yet) is left out, noted in Status and logged; the rest is
// compiled. Compile fails only when the sources cannot all be numbered.
func (l *Lists) Compile() (*Compiled, error) {
	if len(l.sources) > MaxSources {
		return nil, fmt.Errorf("blocklists: %d sources; at most %d", len(l.sources), MaxSources)
	}
	l.mu.Lock()
	hint := 0
	for _, s := range l.sources {
		hint += len(s.domains)
		if s.meta != nil {
			hint += s.meta.Entries + s.meta.Exceptions
		}
	}
	l.mu.Unlock()

	b := NewBuilder(hint)
	c := &Compiled{Sources: make([]SourceInfo, len(l.sources))}
	for i, s := range l.sources {
		id := SourceID(i)
		c.Sources[i] = SourceInfo{ID: id, Name: s.name, Kind: s.kind, Service: s.service, Categories: s.categories}
		if s.kind == KindBackground {
			c.Background, c.HasBackground = id, true
		}
		add := func(e Entry) {
			if s.subdomains && !e.Allow {
				e.Subdomains = true
			}
			b.Add(id, e)
		}
		stats, err := l.compileSource(s, add)
		switch {
		case errors.Is(err, errNoCopy):
			l.log.Info().Str("list", s.name).Msg("list not downloaded yet")
		case err != nil:
			l.log.Error().Err(err).Str("list", s.name).Msg("list left out of this compile")
		}
		l.mu.Lock()
		s.stats, s.compiled = stats, true
		s.compileErr = ""
		if err != nil {
			s.compileErr = err.Error()
		}
		l.mu.Unlock()
	}
	c.Matcher = b.Build()
	c.Built = l.clock.Now()
	return c, nil
}

// errNoCopy is a URL source not yet downloaded.
var errNoCopy = errors.New("no copy downloaded yet")

// compileSource feeds the entries of s to add.
func (l *Lists) compileSource(s *source, add func(Entry)) (ParseStats, error) {
	switch {
	case s.kind == KindService || s.kind == KindBackground:
		var st ParseStats
		for _, d := range s.domains {
			name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
			st.Lines++
			if name == "" {
				st.Blank++
				continue
			}
			add(Entry{Name: name, Subdomains: true})
			st.Entries++
		}
		return st, nil
	case s.isURL():
		l.mu.Lock()
		have := s.meta != nil // a copy of this URL (not of one configured before)
		l.mu.Unlock()
		if !have {
			return ParseStats{}, errNoCopy
		}
		f, err := os.Open(l.copyPath(s))
		if errors.Is(err, os.ErrNotExist) {
			return ParseStats{}, errNoCopy
		}
		if err != nil {
			return ParseStats{}, err
		}
		defer f.Close()
		return parseFrom(f, add)
	case s.file != "":
		f, err := os.Open(s.file)
		if err != nil {
			return ParseStats{}, err
		}
		defer f.Close()
		return parseFrom(f, add)
	default:
		return parseFrom(strings.NewReader(strings.Join(s.domains, "\n")), add)
	}
}

// parseFrom parses r into add, which keeps no Entry (it hashes the name
// into the Builder), so no string is made per name. On a read error what
// was read is in and the rest is missing.
func parseFrom(r io.Reader, add func(Entry)) (ParseStats, error) {
	return parseView(r, add)
}

// Explanation is one source matching a name, and the rule it matched with.
type Explanation struct {
	Source SourceInfo
	// Domain is the rule's domain: the name itself or a parent of it.
	// Subdomains says whether the rule covers names under Domain (written
	// `||Domain^`) or only Domain itself.
	Domain     string
	Subdomains bool
}

// Rule is the matched rule as a list would write it: "||example.com^" or
// "ads.example.com".
func (e Explanation) Rule() string {
	if e.Subdomains {
		return "||" + e.Domain + "^"
	}
	return e.Domain
}

// probeLabel names a child that no list lists, to ask the Matcher whether a
// source covers a domain's subdomains (see Explain).
const probeLabel = "hearth-explain-probe-7f3a"

// Explain tells which sources block name, after their own exceptions, and
// through which rule, in SourceID order (the background source, which
// blocks nothing, is left out). It is for people (`hearth lists
// test`), not for the query path: it asks the Matcher once per label.
//
// The Matcher reports only the most specific rule over all sources, so each
// source's own rule is found by walking name's parents from the top: the
// first parent P under which the source blocks a made-up child is where its
// `||P^` rule sits; a source that blocks name but no such child has name as
// an exact entry (or a `||name^` rule, if it blocks name's own children).
func (c *Compiled) Explain(name string) []Explanation {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if c == nil || c.Matcher == nil || name == "" {
		return nil
	}
	blocked := c.Matcher.Match(name).Block
	if c.HasBackground {
		var bg Sources
		bg.Add(c.Background)
		blocked = blocked.AndNot(bg)
	}
	if blocked.Empty() {
		return nil
	}
	rule := map[SourceID]Explanation{}
	// Parents from the top: "com", "example.com", ..., then name itself.
	var suffixes []string
	for i := len(name); i > 0; {
		j := strings.LastIndexByte(name[:i-1], '.')
		suffixes = append(suffixes, name[j+1:])
		i = j + 1
		if j < 0 {
			break
		}
	}
	for _, suffix := range suffixes {
		probe := c.Matcher.Match(probeLabel + "." + suffix).Block.And(blocked)
		for id := range c.Sources {
			sid := SourceID(id)
			if _, done := rule[sid]; done || !probe.Has(sid) {
				continue
			}
			rule[sid] = Explanation{Domain: suffix, Subdomains: true}
		}
	}
	var out []Explanation
	for id, info := range c.Sources {
		sid := SourceID(id)
		if !blocked.Has(sid) {
			continue
		}
		e, ok := rule[sid]
		if !ok {
			e = Explanation{Domain: name}
		}
		e.Source = info
		out = append(out, e)
	}
	return out
}
