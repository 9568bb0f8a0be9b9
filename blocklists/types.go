package blocklists

// Shared types: what a parsed line becomes, how sources are numbered, and
// what a match reports. Everything else in the package builds on these.

// Entry is one rule from a list, normalised: Name is lowercase ASCII
// (punycode for internationalised names), without a trailing dot.
type Entry struct {
	Name string
	// Subdomains: the rule covers Name and every name under it
	// (`||a.com^`, `*.a.com`, catalogue entries, widened sources); otherwise
	// it matches Name exactly (hosts-file and plain-domain lines).
	Subdomains bool
	// Allow: an exception (`@@||a.com^`): the source does not block names
	// this entry covers, whatever its other rules say.
	Allow bool
}

// SourceID numbers a source of entries within one compiled Matcher: one per
// catalogue service, per category list, per configured list.
type SourceID uint8

// MaxSources is how many sources one Matcher can tell apart.
const MaxSources = 128

// Sources is a set of SourceIDs.
type Sources [MaxSources / 64]uint64

// Add puts id in the set.
func (s *Sources) Add(id SourceID) { s[id/64] |= 1 << (id % 64) }

// Has reports whether id is in the set.
func (s Sources) Has(id SourceID) bool { return s[id/64]&(1<<(id%64)) != 0 }

// Empty reports whether the set is empty.
func (s Sources) Empty() bool { return s[0]|s[1] == 0 }

// And returns the sources in both sets.
func (s Sources) And(o Sources) Sources { return Sources{s[0] & o[0], s[1] & o[1]} }

// AndNot returns the sources of s that are not in o.
func (s Sources) AndNot(o Sources) Sources { return Sources{s[0] &^ o[0], s[1] &^ o[1]} }

// Or returns the sources in either set.
func (s Sources) Or(o Sources) Sources { return Sources{s[0] | o[0], s[1] | o[1]} }

// Match is what the Matcher knows about one name.
type Match struct {
	// Block holds the sources that block the name, after each source's own
	// exceptions (an exception only lifts blocks of the source it is in).
	// It includes the background source (Compiled.Background) when the
	// name is a background host: that source marks names, blocking none.
	Block Sources
	// Rule is the most specific blocking rule's domain: the name itself or
	// the suffix of it that matched (a substring of the queried name, so
	// no allocation). Subdomains says whether that rule covers subdomains
	// (`||Rule^`) or matched the name exactly.
	Rule       string
	Subdomains bool
}

// Blocked reports whether any source blocks the name.
func (m Match) Blocked() bool { return !m.Block.Empty() }
