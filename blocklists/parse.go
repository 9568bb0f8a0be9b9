package blocklists

// Streaming list parser: one pass over a reader, one line at a time, the
// format detected per line, so hosts files, plain-domain lists and
// Adblock-style DNS filters (and files that mix them) all go through Parse.
//
// What a line becomes (after a BOM, CR and surrounding blanks are cut):
//
//	""                          Blank
//	"# ..." / "! ..."            Comments (a line that starts with # or !)
//	"0.0.0.0 a.com b.com # x"    hosts line: any IPv4/IPv6 address (zone allowed)
//	                             then one or more names, each an exact entry;
//	                             a " #" or "\t#" starts a trailing comment
//	"a.com"  "a.com # x"         plain domain: an exact entry
//	"*.a.com"                    wildcard: a Subdomains entry for a.com (so it
//	                             also covers a.com itself, unlike Blocky/AdGuard
//	                             where *.a.com matches only names under it; one
//	                             rule kind is simpler and over-blocks only the apex)
//	"||a.com^"                   Adblock: a.com and every name under it
//	"|a.com^"                    Adblock, start-anchored: exactly a.com
//	"@@||a.com^"  "@@|a.com^"    the same as exceptions (Entry.Allow)
//
// Adblock details. The closing "^" may be followed by "|" ("||a.com^|").
// Without "^", "||a.com" is read as "||a.com^" (AdGuard would also match
// a.com.evil and a.community: a prefix match a name set cannot express; the
// name itself and its subdomains are what such rules are written for), but a
// rule ending in a dot without "^" ("||ads.", "|piwik.") is a prefix pattern
// and is skipped. Modifiers: "$important" alone is kept as a plain rule
// (AdGuard lets it beat "@@" exceptions; here an exception in the same
// source still lifts it: the AdGuard DNS filter has no such pair); any other
// modifier ($badfilter, $dnstype, $dnsrewrite, $client, $denyallow, ...) makes
// the rule skipped, because honouring only part of it would block the wrong
// thing. A single-label name (a whole TLD, "||amazon^") is kept only in the
// "||x^" form, where AdGuard syntax makes it legitimate.
//
// Skipped (counted in ParseStats.Skipped, never fatal): regexes "/.../",
// cosmetic and scriptlet rules (any "#" glued to the text before it: "##",
// "#@#", "#?#", "#$#"), rules with other modifiers, "*" anywhere in an
// Adblock rule or inside a name ("||ads*.a.com^", "||*.a.com^"), paths and
// ports ("||a.com/x"), unanchored Adblock patterns ("a.com^", ".a.com",
// "-ad-"), lines of several fields that do not start with an address, and
// invalid names: empty labels, labels over 63 or names over 253 bytes,
// bytes other than a-z 0-9 "-" "_" after lowercasing and IDNA, a numeric last
// label (IPv4 addresses given as names), single-label names outside "||x^",
// and lines longer than 64 KiB. On a hosts line each name counts on its own,
// so one line can give entries and skips.
//
// Hosts preamble names (localhost, localhost.localdomain, local,
// broadcasthost, ip6-localhost, ip6-loopback and the other ip6-*/localhost4/6
// names of /etc/hosts, and addresses such as "0.0.0.0" given as names) are
// ignored: neither entries nor skipped, because every ordinary hosts file has
// them and a caller that warns on skipped lines should not warn about those.
//
// Names are lowercased, lose one trailing dot, and internationalised names
// are converted to punycode with the IDNA lookup profile. Underscores and
// hyphens at label edges are accepted: DNS carries them and real lists (the
// gz union has 54 names with "_") contain them; blocking a name that cannot
// be registered costs nothing.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/idna"
)

// ParseStats counts what Parse saw. Lines = Blank + Comments + the lines
// that held rules; a rule line gives entries, skips, or (hosts preamble) neither.
type ParseStats struct {
	Lines      int // lines read, the last one with or without a newline
	Entries    int // entries that block (Allow false)
	Exceptions int // entries with Allow set; fn is called Entries+Exceptions times
	Comments   int // lines starting with # or !
	Blank      int // empty or blank lines
	Skipped    int // unusable rules: lines, or single names on hosts lines
	// SkippedLines holds the line numbers (1-based) of the first 10 lines
	// that had a skipped rule.
	SkippedLines []int
}

// parseKeepSkipped is how many skipped line numbers ParseStats keeps.
const parseKeepSkipped = 10

// maxLine is the longest line Parse reads; longer lines are skipped whole.
const maxLine = 64 << 10

// Parse reads r line by line (bufio, never the whole input in memory),
// detects each line's format, and calls fn for every entry. Only read errors
// are returned; bad lines are skipped and counted. fn may keep the Entry: its
// Name is a fresh string.
func Parse(r io.Reader, fn func(Entry)) (ParseStats, error) {
	return parse(r, fn, false)
}

// parseView is Parse for a fn that keeps nothing of the Entry past the
// call (a Builder): each Name is a view of the parser's buffer, so parsing
// a list allocates no string per name.
func parseView(r io.Reader, fn func(Entry)) (ParseStats, error) {
	return parse(r, fn, true)
}

func parse(r io.Reader, fn func(Entry), view bool) (ParseStats, error) {
	p := parser{fn: fn, view: view}
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.stats.Lines++
			p.skip()
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		} else if len(line) > 0 {
			p.line(line)
		}
		if err == io.EOF {
			return p.stats, nil
		}
		if err != nil {
			return p.stats, fmt.Errorf("blocklists: read after line %d: %w", p.stats.Lines, err)
		}
	}
}

type parser struct {
	fn    func(Entry)
	stats ParseStats
	buf   []byte // scratch for the normalised name
	view  bool   // hand fn a view of buf, not a fresh string (parseView)
}

// skip counts one skipped rule on the current line.
func (p *parser) skip() {
	p.stats.Skipped++
	n := len(p.stats.SkippedLines)
	if n < parseKeepSkipped && (n == 0 || p.stats.SkippedLines[n-1] != p.stats.Lines) {
		p.stats.SkippedLines = append(p.stats.SkippedLines, p.stats.Lines)
	}
}

var bom = []byte("\xef\xbb\xbf")

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func trim(b []byte) []byte {
	for len(b) > 0 && isBlank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isBlank(b[0]) {
		b = b[1:]
	}
	return b
}

// line handles one line, newline included.
func (p *parser) line(b []byte) {
	p.stats.Lines++
	b = trim(bytes.TrimPrefix(b, bom))
	switch {
	case len(b) == 0:
		p.stats.Blank++
	case b[0] == '#' || b[0] == '!':
		p.stats.Comments++
	case b[0] == '|' || (b[0] == '@' && len(b) > 1 && b[1] == '@'):
		p.adblock(b)
	default:
		p.hostsOrPlain(b)
	}
}

// adblock handles "||a.com^", "|a.com^" and their "@@" exceptions.
func (p *parser) adblock(b []byte) {
	allow := false
	if b[0] == '@' {
		allow = true
		b = b[2:]
	}
	sub := false
	switch {
	case len(b) >= 2 && b[0] == '|' && b[1] == '|':
		sub = true
		b = b[2:]
	case len(b) >= 1 && b[0] == '|':
		b = b[1:]
	default: // "@@/regex/", "@@-ads.", ...
		p.skip()
		return
	}
	if i := bytes.IndexByte(b, '$'); i >= 0 {
		if string(b[i+1:]) != "important" {
			p.skip()
			return
		}
		b = b[:i]
	}
	caret := false
	switch {
	case bytes.HasSuffix(b, []byte("^|")):
		b, caret = b[:len(b)-2], true
	case bytes.HasSuffix(b, []byte("^")):
		b, caret = b[:len(b)-1], true
	case bytes.HasSuffix(b, []byte(".")):
		p.skip() // "||ads." is a prefix pattern
		return
	}
	p.emit(b, sub, allow, sub && caret)
}

// hostsOrPlain handles hosts lines, plain domains and "*.a.com".
func (p *parser) hostsOrPlain(b []byte) {
	if i := bytes.IndexByte(b, '#'); i >= 0 {
		if !isBlank(b[i-1]) { // "a.com##.ad", "a.com#@#x": cosmetic
			p.skip()
			return
		}
		b = trim(b[:i])
	}
	first, rest := nextField(b)
	if len(rest) == 0 { // one field: a plain domain
		if len(first) > 2 && first[0] == '*' && first[1] == '.' {
			p.emit(first[2:], true, false, false)
			return
		}
		p.emit(first, false, false, false)
		return
	}
	if !isAddr(first) {
		p.skip()
		return
	}
	for len(rest) > 0 {
		var name []byte
		name, rest = nextField(rest)
		if isPreamble(name) {
			continue
		}
		p.emit(name, false, false, false)
	}
}

// nextField returns the text up to the first blank and what follows the
// blanks after it.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && !isBlank(b[i]) {
		i++
	}
	field, rest = b[:i], b[i:]
	for len(rest) > 0 && isBlank(rest[0]) {
		rest = rest[1:]
	}
	return field, rest
}

// isAddr reports whether b is an IP address, with the usual hosts-file
// sinks tested first to spare the conversion.
func isAddr(b []byte) bool {
	switch string(b) {
	case "0.0.0.0", "127.0.0.1", "::", "::1":
		return true
	}
	// Only text with a colon (IPv6) or of digits and dots (IPv4) can be one.
	if bytes.IndexByte(b, ':') < 0 && len(bytes.Trim(b, "0123456789.")) > 0 {
		return false
	}
	_, err := netip.ParseAddr(string(b))
	return err == nil
}

// isPreamble reports whether a name on a hosts line is one of the local
// names of /etc/hosts, or an address.
func isPreamble(b []byte) bool {
	if len(b) > 21 {
		return false
	}
	var low [21]byte
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(b)]) {
	case "localhost", "localhost.localdomain", "local", "broadcasthost",
		"localhost4", "localhost4.localdomain4", "localhost6", "localhost6.localdomain6",
		"ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
		"ip6-allnodes", "ip6-allrouters", "ip6-allhosts":
		return true
	}
	return isAddr(b)
}

// emit normalises name and hands it to fn, or counts a skip.
func (p *parser) emit(name []byte, sub, allow, allowSingle bool) {
	n, ok := p.normalise(name, allowSingle)
	if !ok {
		p.skip()
		return
	}
	if allow {
		p.stats.Exceptions++
	} else {
		p.stats.Entries++
	}
	p.fn(Entry{Name: n, Subdomains: sub, Allow: allow})
}

var errBadName = errors.New("invalid domain name")

// normalise lowercases name, drops one trailing dot, converts IDNs to
// punycode and checks the result; it allocates only the returned string.
func (p *parser) normalise(name []byte, allowSingle bool) (string, bool) {
	if len(name) > 0 && name[len(name)-1] == '.' {
		name = name[:len(name)-1]
	}
	for _, c := range name {
		if c >= utf8.RuneSelf {
			if !utf8.Valid(name) {
				return "", false
			}
			a, err := idna.Lookup.ToASCII(string(name))
			if err != nil {
				return "", false
			}
			name = []byte(a)
			break
		}
	}
	p.buf = append(p.buf[:0], name...)
	if err := checkName(p.buf, allowSingle); err != nil {
		return "", false
	}
	if p.view {
		return unsafe.String(unsafe.SliceData(p.buf), len(p.buf)), true
	}
	return string(p.buf), true
}

// checkName lowercases b in place and checks it is a name a blocklist can
// hold: 1..253 bytes, labels of 1..63 bytes of a-z 0-9 - _, a last label
// that is not all digits, and at least two labels unless allowSingle.
func checkName(b []byte, allowSingle bool) error {
	if len(b) == 0 || len(b) > 253 {
		return errBadName
	}
	labels, start, digits := 1, 0, true
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', c == '-', c == '_':
			digits = false
		case '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
			digits = false
		case c == '.':
			if i == start || i-start > 63 {
				return errBadName
			}
			labels++
			start, digits = i+1, true
		default:
			return errBadName
		}
	}
	if start == len(b) || len(b)-start > 63 || digits {
		return errBadName
	}
	if labels == 1 && !allowSingle {
		return errBadName
	}
	return nil
}
