package journal

// The flood guard, on the writer goroutine: each device may have
// Flood.NamesPerMinute different names journaled as rows of their own in a
// minute. The lookups of further names that minute are folded into one row
// per device and decision, named by a marker ("*.roblox.com") and counting
// the names, so that 30,000 made-up names under a blocked service take a
// row instead of 30,000 (which the size cap would make room for by deleting
// the household's history). Everything here is forgotten at each new
// minute, and bounded within it.

import (
	"hash/maphash"
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// Bounds of the guard's memory within a minute.
const (
	// floodNames bounds the names remembered (8-byte hashes, ~40 bytes
	// each in the map): within a device's budget, and folded names (to
	// count each once). Past it a device's new names still count against
	// its budget, and a folded lookup counts as a name each time (the
	// count may then be up to a few times too high).
	floodNames = 1 << 17
	// floodDevices bounds the devices given a budget in one minute; past
	// it, the names of devices not yet seen that minute are folded at once.
	floodDevices = 4096
	// floodBuckets bounds the fold rows kept in a minute, and
	// floodDomains a device's registrable domains among them; past either
	// a name folds under the marker "*" (with the others of its decision).
	floodBuckets = 1024
	floodDomains = 16
	// floodShrink: maps that grew past this are made anew at the next
	// minute, so that the memory of a flood is given back.
	floodShrink = 4096
)

// devKey is one device as the rows key it.
type devKey struct {
	device string
	client netip.Addr
}

// bucketKey is one fold row of a minute: a device, a decision and a
// registrable domain.
type bucketKey struct {
	dev                                           devKey
	action                                        verdict.Action
	reason                                        verdict.Reason
	rule, service, list, category, window, domain string
}

// floodGuard keeps the current minute's names per device.
type floodGuard struct {
	budget  int
	minute  int64
	seed    maphash.Seed
	seen    map[uint64]bool // hash of (device, name) -> folded
	perDev  map[devKey]int  // names within the budget
	buckets map[bucketKey]string
	domains map[devKey]int // fold rows with a domain, per device
}

func newFloodGuard(budget int) *floodGuard {
	if budget <= 0 {
		return nil
	}
	return &floodGuard{
		budget: budget, seed: maphash.MakeSeed(),
		seen: map[uint64]bool{}, perDev: map[devKey]int{},
		buckets: map[bucketKey]string{}, domains: map[devKey]int{},
	}
}

// check decides whether e (in minute m) is folded. It returns the marker
// name of its fold row, and whether e's name is one not yet counted in
// that row.
func (g *floodGuard) check(e *Event, dev devKey, m int64) (marker string, newName, fold bool) {
	if m > g.minute {
		g.reset(m)
	}
	var h maphash.Hash
	h.SetSeed(g.seed)
	h.WriteString(e.Device)
	h.WriteByte(0)
	b := dev.client.As16()
	h.Write(b[:])
	h.WriteString(e.Name)
	sum := h.Sum64()

	folded, known := g.seen[sum]
	switch {
	case known && !folded:
		return "", false, false
	case known:
		newName = false
	default:
		n, ok := g.perDev[dev]
		if ok || len(g.perDev) < floodDevices {
			if n < g.budget {
				g.perDev[dev] = n + 1
				if len(g.seen) < floodNames {
					g.seen[sum] = false
				}
				return "", false, false
			}
		}
		newName = true
		if len(g.seen) < floodNames {
			g.seen[sum] = true
		}
	}
	return g.marker(e, dev), newName, true
}

// marker is the name of e's fold row: "*." and the registrable domain of
// e's name ("*.roblox.com"), or "*" once the device has folded names under
// floodDomains domains this minute.
func (g *floodGuard) marker(e *Event, dev devKey) string {
	d := registrable(e.Name)
	k := bucketKey{dev: dev, action: e.Action, reason: e.Reason, rule: e.Rule,
		service: e.Service, list: e.List, category: e.Category, window: e.Window, domain: d}
	if m, ok := g.buckets[k]; ok {
		return m
	}
	if len(g.buckets) >= floodBuckets || g.domains[dev] >= floodDomains {
		return "*"
	}
	m := foldMarker(d)
	g.buckets[k] = m
	g.domains[dev]++
	return m
}

// foldMarker is "*.example.co.uk" for the domain "example.co.uk".
func foldMarker(domain string) string { return "*." + domain }

// registrable is "example.co.uk" for "x7f3.cdn.example.co.uk": the public
// suffix and one label more; for a bare suffix or what is not a domain, its
// last label.
func registrable(name string) string {
	d, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			return name[i+1:]
		}
		return name
	}
	return d
}

// reset starts minute m.
func (g *floodGuard) reset(m int64) {
	g.minute = m
	if len(g.seen) > floodShrink {
		g.seen = map[uint64]bool{}
	} else {
		clear(g.seen)
	}
	if len(g.perDev) > floodShrink {
		g.perDev = map[devKey]int{}
	} else {
		clear(g.perDev)
	}
	clear(g.buckets)
	clear(g.domains)
}

// IsFoldMarker says whether a row's name is a fold row's marker.
func IsFoldMarker(name string) bool { return strings.HasPrefix(name, "*") }

// FoldedUnder is the domain a fold row's marker names ("roblox.com" for
// "*.roblox.com"; "" for "*").
func FoldedUnder(marker string) string {
	return strings.TrimPrefix(strings.TrimPrefix(marker, "*"), ".")
}
