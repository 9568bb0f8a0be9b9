package blocklists

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// parseAll parses s and returns its entries and stats.
func parseAll(t testing.TB, s string) ([]Entry, ParseStats) {
	t.Helper()
	var got []Entry
	st, err := Parse(strings.NewReader(s), func(e Entry) { got = append(got, e) })
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return got, st
}

func exact(n string) Entry  { return Entry{Name: n} }
func subs(n string) Entry   { return Entry{Name: n, Subdomains: true} }
func allowE(n string) Entry { return Entry{Name: n, Allow: true} }
func allowS(n string) Entry { return Entry{Name: n, Allow: true, Subdomains: true} }

func TestParseLines(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []Entry // nil: no entry
		kind string  // what the line counts as: entry, skip, comment, blank, ignored
	}{
		// hosts files
		{"hosts zero", "0.0.0.0 ads.example.com", []Entry{exact("ads.example.com")}, "entry"},
		{"hosts loopback", "127.0.0.1 a.com", []Entry{exact("a.com")}, "entry"},
		{"hosts ipv6", "::1 tracker.example", []Entry{exact("tracker.example")}, "entry"},
		{"hosts ipv6 zero", ":: x.example", []Entry{exact("x.example")}, "entry"},
		{"hosts several", "127.0.0.1 a.com b.com c.com", []Entry{exact("a.com"), exact("b.com"), exact("c.com")}, "entry"},
		{"hosts tabs", "0.0.0.0\ta.com\t\tb.com", []Entry{exact("a.com"), exact("b.com")}, "entry"},
		{"hosts trailing comment", "0.0.0.0 a.com # tracker", []Entry{exact("a.com")}, "entry"},
		{"hosts trailing comment glued", "0.0.0.0 a.com #[Tracking.Cookie]", []Entry{exact("a.com")}, "entry"},
		{"hosts upper", "0.0.0.0 Ads.Example.COM", []Entry{exact("ads.example.com")}, "entry"},
		{"hosts trailing dot", "0.0.0.0 a.com.", []Entry{exact("a.com")}, "entry"},
		{"hosts name like address", "0.0.0.0 0.0.0.0.hpyrdr.com", []Entry{exact("0.0.0.0.hpyrdr.com")}, "entry"},
		{"hosts only address", "0.0.0.0", nil, "skip"},
		{"hosts bad name", "0.0.0.0 a..com", nil, "skip"},
		{"hosts single label", "0.0.0.0 router", nil, "skip"},
		{"hosts wildcard", "0.0.0.0 *.a.com", nil, "skip"},
		{"hosts mixed good and bad", "0.0.0.0 a.com b_c.com bad!.com", []Entry{exact("a.com"), exact("b_c.com")}, "entry+skip"},
		// the hosts preamble
		{"preamble localhost", "127.0.0.1 localhost", nil, "ignored"},
		{"preamble localdomain", "127.0.0.1 localhost.localdomain", nil, "ignored"},
		{"preamble local", "127.0.0.1 local", nil, "ignored"},
		{"preamble broadcast", "255.255.255.255 broadcasthost", nil, "ignored"},
		{"preamble v6", "::1 localhost ip6-localhost ip6-loopback", nil, "ignored"},
		{"preamble zone", "fe80::1%lo0 localhost", nil, "ignored"},
		{"preamble ip6 multicast", "ff02::1 ip6-allnodes", nil, "ignored"},
		{"preamble address as name", "0.0.0.0 0.0.0.0", nil, "ignored"},
		{"preamble upper", "127.0.0.1 LocalHost", nil, "ignored"},
		// plain domains
		{"plain", "a.com", []Entry{exact("a.com")}, "entry"},
		{"plain deep", "x.y.z.a.co.uk", []Entry{exact("x.y.z.a.co.uk")}, "entry"},
		{"plain comment", "a.com # why", []Entry{exact("a.com")}, "entry"},
		{"plain spaces", "  a.com  ", []Entry{exact("a.com")}, "entry"},
		{"plain crlf", "a.com\r", []Entry{exact("a.com")}, "entry"},
		{"plain bom", "\ufeffa.com", []Entry{exact("a.com")}, "entry"},
		{"plain upper dot", "A.COM.", []Entry{exact("a.com")}, "entry"},
		{"plain underscore", "_dmarc.a.com", []Entry{exact("_dmarc.a.com")}, "entry"},
		{"plain hyphen edge", "irs.gov-", []Entry{exact("irs.gov-")}, "entry"},
		{"plain idn", "яндекс.рф", []Entry{exact("xn--d1acpjx3f.xn--p1ai")}, "entry"},
		{"plain idn upper", "Bücher.Example", []Entry{exact("xn--bcher-kva.example")}, "entry"},
		{"plain punycode", "xn--d1acpjx3f.xn--p1ai", []Entry{exact("xn--d1acpjx3f.xn--p1ai")}, "entry"},
		{"plain single label", "localhost", nil, "skip"},
		{"plain tld", "com", nil, "skip"},
		{"plain ipv4", "1.2.3.4", nil, "skip"},
		{"plain two fields", "a.com b.com", nil, "skip"},
		{"plain space inside", "a .com", nil, "skip"},
		{"plain bad char", "a!.com", nil, "skip"},
		{"plain empty label", "a..com", nil, "skip"},
		{"plain leading dot", ".a.com", nil, "skip"},
		{"plain two trailing dots", "a.com..", nil, "skip"},
		{"plain label 63", strings.Repeat("a", 63) + ".com", []Entry{exact(strings.Repeat("a", 63) + ".com")}, "entry"},
		{"plain label 64", strings.Repeat("a", 64) + ".com", nil, "skip"},
		{"plain name 253", strings.Repeat("abcdefghi.", 24) + "abcdefghi.com", []Entry{exact(strings.Repeat("abcdefghi.", 24) + "abcdefghi.com")}, "entry"},
		{"plain name 254", strings.Repeat("abcdefghi.", 24) + "abcdefghij.com", nil, "skip"},
		{"plain bad idn", "a\u00ad\u200d\u0300.com", nil, "skip"},
		{"plain bad utf8", "a\xff.com", nil, "skip"},
		// wildcards
		{"wildcard", "*.a.com", []Entry{subs("a.com")}, "entry"},
		{"wildcard tld", "*.com", nil, "skip"},
		{"wildcard inside", "ads*.a.com", nil, "skip"},
		{"wildcard bare", "*", nil, "skip"},
		// adblock
		{"adblock", "||a.com^", []Entry{subs("a.com")}, "entry"},
		{"adblock upper", "||Free-4paid.COM^", []Entry{subs("free-4paid.com")}, "entry"},
		{"adblock end anchor", "||a.com^|", []Entry{subs("a.com")}, "entry"},
		{"adblock no caret", "||a.com", []Entry{subs("a.com")}, "entry"},
		{"adblock trailing dot", "||a.com.^", []Entry{subs("a.com")}, "entry"},
		{"adblock tld", "||amazon^", []Entry{subs("amazon")}, "entry"},
		{"adblock tld no caret", "||amazon", nil, "skip"},
		{"adblock exact", "|a.com^", []Entry{exact("a.com")}, "entry"},
		{"adblock exact end anchor", "|a.com^|", []Entry{exact("a.com")}, "entry"},
		{"adblock exact tld", "|amazon^", nil, "skip"},
		{"adblock exception", "@@||a.com^", []Entry{allowS("a.com")}, "entry"},
		{"adblock exception end anchor", "@@||a.com^|", []Entry{allowS("a.com")}, "entry"},
		{"adblock exact exception", "@@|a.com^|", []Entry{allowE("a.com")}, "entry"},
		{"adblock exception tld", "@@||lan^", []Entry{allowS("lan")}, "entry"},
		{"adblock important", "||a.com^$important", []Entry{subs("a.com")}, "entry"},
		{"adblock exception important", "@@||a.com^$important", []Entry{allowS("a.com")}, "entry"},
		{"adblock idn", "||bücher.example^", []Entry{subs("xn--bcher-kva.example")}, "entry"},
		{"adblock prefix", "||ads.", nil, "skip"},
		{"adblock exact prefix", "|piwik.", nil, "skip"},
		{"adblock badfilter", "||a.com^$badfilter", nil, "skip"},
		{"adblock dnstype", "||a.com^$dnstype=~CNAME", nil, "skip"},
		{"adblock dnsrewrite", "||mask.icloud.com^$dnsrewrite=NXDOMAIN;;", nil, "skip"},
		{"adblock important and more", "||a.com^$important,client=1.2.3.4", nil, "skip"},
		{"adblock empty modifier", "||a.com^$", nil, "skip"},
		{"adblock wildcard", "||ads*.a.com^", nil, "skip"},
		{"adblock wildcard start", "||*.a.com^", nil, "skip"},
		{"adblock wildcard tld", "||awsdns-*.com^", nil, "skip"},
		{"adblock path", "||a.com/x", nil, "skip"},
		{"adblock port", "||a.com:8080^", nil, "skip"},
		{"adblock empty", "||^", nil, "skip"},
		{"adblock bare pipes", "||", nil, "skip"},
		{"adblock unanchored", "a.com^", nil, "skip"},
		{"adblock unanchored dot", ".a.com^", nil, "skip"},
		{"adblock substring", "-ad123-", nil, "skip"},
		{"adblock exception unanchored", "@@-ds.metric.gstatic.com^|", nil, "skip"},
		{"adblock exception regex", "@@/ads/", nil, "skip"},
		{"adblock scheme", "://mine.torrent.pw^", nil, "skip"},
		{"plain with modifier", "wykop.pl$badfilter", nil, "skip"},
		{"regex", `/^ad[0-9]+\.example\.com$/`, nil, "skip"},
		{"cosmetic", "example.com##.banner", nil, "skip"},
		{"cosmetic exception", "example.com#@#.banner", nil, "skip"},
		{"scriptlet", "example.com#%#//scriptlet('abort')", nil, "skip"},
		{"adblock header", "[Adblock Plus 2.0]", nil, "skip"},
		// comments and blanks
		{"hash comment", "# Title: x", nil, "comment"},
		{"bang comment", "! Title: x", nil, "comment"},
		{"indented comment", "   # x", nil, "comment"},
		{"cosmetic generic is a comment", "##.banner", nil, "comment"},
		{"blank", "", nil, "blank"},
		{"spaces", " \t ", nil, "blank"},
		{"bom only", "\ufeff", nil, "blank"},
		{"crlf only", "\r", nil, "blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, nl := range []string{"", "\n", "\r\n"} {
				if tt.line+nl == "" {
					continue // no input, no line
				}
				got, st := parseAll(t, tt.line+nl)
				if !slices.Equal(got, tt.want) {
					t.Errorf("%q: entries %v, want %v", tt.line+nl, got, tt.want)
				}
				if st.Lines != 1 {
					t.Errorf("%q: Lines %d, want 1", tt.line+nl, st.Lines)
				}
				kind := lineKind(st)
				if kind != tt.kind {
					t.Errorf("%q: counted as %s (%+v), want %s", tt.line+nl, kind, st, tt.kind)
				}
				if st.Skipped > 0 && !slices.Equal(st.SkippedLines, []int{1}) {
					t.Errorf("%q: SkippedLines %v, want [1]", tt.line+nl, st.SkippedLines)
				}
				var allows int
				for _, e := range got {
					if e.Allow {
						allows++
					}
				}
				if st.Entries+st.Exceptions != len(got) || st.Exceptions != allows {
					t.Errorf("%q: Entries %d + Exceptions %d, got %d entries (%d allow)", tt.line+nl, st.Entries, st.Exceptions, len(got), allows)
				}
			}
		})
	}
}

func lineKind(st ParseStats) string {
	switch {
	case st.Comments == 1:
		return "comment"
	case st.Blank == 1:
		return "blank"
	case st.Entries+st.Exceptions > 0 && st.Skipped > 0:
		return "entry+skip"
	case st.Entries+st.Exceptions > 0:
		return "entry"
	case st.Skipped > 0:
		return "skip"
	}
	return "ignored"
}

func TestParseStatsAndSkippedLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("\ufeff# header\r\n\r\n")
	for i := range 15 {
		fmt.Fprintf(&b, "bad%d\r\n", i) // single labels: skipped, lines 3..17
	}
	b.WriteString("0.0.0.0 a.com bad x.com\n") // line 18: two entries, one skip
	b.WriteString("@@||a.com^\n")
	b.WriteString("last.com") // no final newline
	got, st := parseAll(t, b.String())
	want := ParseStats{
		Lines: 20, Entries: 3, Exceptions: 1, Comments: 1, Blank: 1, Skipped: 16,
		SkippedLines: []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
	}
	if !statsEqual(st, want) {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if len(got) != 4 || got[3] != exact("last.com") {
		t.Errorf("entries %v", got)
	}
}

func statsEqual(a, b ParseStats) bool {
	return a.Lines == b.Lines && a.Entries == b.Entries && a.Exceptions == b.Exceptions &&
		a.Comments == b.Comments && a.Blank == b.Blank && a.Skipped == b.Skipped &&
		slices.Equal(a.SkippedLines, b.SkippedLines)
}

func TestParseLongLine(t *testing.T) {
	in := "a.com\n" + strings.Repeat("x", 200<<10) + "\nb.com\n" + strings.Repeat("y", 100<<10)
	got, st := parseAll(t, in)
	if !slices.Equal(got, []Entry{exact("a.com"), exact("b.com")}) {
		t.Errorf("entries %v", got)
	}
	if st.Lines != 4 || st.Skipped != 2 || !slices.Equal(st.SkippedLines, []int{2, 4}) {
		t.Errorf("stats %+v", st)
	}
}

func TestParseSmallReads(t *testing.T) {
	// Streaming: one byte per Read must give the same result.
	in := "0.0.0.0 a.com b.com\r\n||c.com^\n# x\n\nd.com"
	var whole, bytewise []Entry
	st1, err1 := Parse(strings.NewReader(in), func(e Entry) { whole = append(whole, e) })
	st2, err2 := Parse(iotest.OneByteReader(strings.NewReader(in)), func(e Entry) { bytewise = append(bytewise, e) })
	if err1 != nil || err2 != nil || !slices.Equal(whole, bytewise) || !statsEqual(st1, st2) {
		t.Errorf("whole %v %+v %v; bytewise %v %+v %v", whole, st1, err1, bytewise, st2, err2)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a.com\nb.com\n"), iotest.ErrReader(boom))
	var got []Entry
	st, err := Parse(r, func(e Entry) { got = append(got, e) })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if len(got) != 2 || st.Lines != 2 {
		t.Errorf("before the error: %v %+v", got, st)
	}
}

// listsDir holds the real lists shared by the project (read-only).
const listsDir = "../../shared/testdata/blocklists"

func openList(t testing.TB, name string) io.Reader {
	t.Helper()
	if _, err := os.Stat(listsDir); err != nil {
		t.Skipf("no shared test lists: %v", err)
	}
	f, err := os.Open(filepath.Join(listsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if strings.HasSuffix(name, ".gz") {
		return gunzip(t, f)
	}
	return f
}

func gunzip(t testing.TB, r io.Reader) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// TestParseRealLists checks the counts for each real list against an
// independent reading of the file with grep and awk (F = the file):
//
//   - hosts-hagezi-light: 11 comments (grep -c '^#' F); 89,931 entries
//     (grep -c '^0\.0\.0\.0 [a-z0-9.-]*$' F; the header says 89931); no other line.
//   - hosts-hagezi-light-compressed-multi-per-line: 11 comments; 9,993 lines
//     of "0.0.0.0 name..." whose names total 89,931
//     (grep -v '^#' F | awk '{n += NF-1} END {print n}'), the same names as above.
//   - domains-hagezi-light: 11 comments, 89,931 lines matching
//     '^[a-z0-9._-]+$' (header: 89931 entries).
//   - domains-stevenblack-unified-trimmed: 4,603 '#' lines, 2,516 blank
//     lines, 83,450 names plus 358 names with a trailing space = 83,808 (the
//     header's "Number of unique domains: 83,808").
//   - stevenblack-unified-via-adguard-compiler: 9 '!' lines, 1 line of one
//     space (blank), 89,588 "0.0.0.0 name" lines plus 358 with a trailing
//     "# comment" = 89,946 entries; no names in upper case or preamble.
//   - hosts-stevenblack-2017-head-excerpt: 33 '#' lines, 7 blank, 83
//     "0.0.0.0 name" lines; the 6 preamble lines (127.0.0.1 localhost,
//     localhost.localdomain, local, 255.255.255.255 broadcasthost,
//     ::1 localhost, fe80::1%lo0 localhost) are ignored: neither entries
//     nor skipped.
//   - adblock-adguard-dns-filter: 9 '!' lines; the other 159,508 lines
//     through the awk classifier below, which follows the rules in
//     parse.go independently: 158,637 blocking entries, 191 exceptions
//     (203 '@@' lines minus 12 with '*', a regex or no '|' anchor:
//     grep '^@@' F | grep -c -e '\*' -e '^@@/' -e '^@@[^|]'), 680 skipped.
//   - large-merged-union (gz): 81 '#' lines; 1,213,879 names (its header and
//     SOURCES.md) of which 685 are IPv4 addresses
//     (zcat F | grep -v '^#' | awk -F. '$NF ~ /^[0-9]+$/' | wc -l), skipped
//     as names with a numeric last label: 1,213,194 entries.
//
// The awk classifier for the Adblock file (same rules, written apart):
//
//	function ok(n, single,  k, p, i) {
//	  if (length(n) == 0 || length(n) > 253 || n !~ /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/) return 0
//	  k = split(n, p, "."); for (i = 1; i <= k; i++) if (length(p[i]) > 63) return 0
//	  if (p[k] ~ /^[0-9]+$/) return 0; return k > 1 || single }
//	{ l = $0; sub(/\r$/, "", l); gsub(/^[ \t]+|[ \t]+$/, "", l)
//	  if (l == "") { blank++; next }; if (l ~ /^[!#]/) { comment++; next }
//	  a = 0; if (substr(l, 1, 2) == "@@") { a = 1; l = substr(l, 3) }
//	  if (l !~ /^\|/) { if (a) { skip++; next }; if (l ~ /^\*\./) l = substr(l, 3)
//	    if (ok(tolower(l), 0)) ent++; else skip++; next }
//	  s = 0; if (substr(l, 1, 2) == "||") { s = 1; l = substr(l, 3) } else l = substr(l, 2)
//	  d = index(l, "$"); if (d) { if (substr(l, d+1) != "important") { skip++; next }; l = substr(l, 1, d-1) }
//	  c = 0; if (l ~ /\^\|$/) { c = 1; l = substr(l, 1, length(l)-2) } else if (l ~ /\^$/) { c = 1; l = substr(l, 1, length(l)-1) }
//	  if (l ~ /\.$/) { if (!c) { skip++; next }; l = substr(l, 1, length(l)-1) }
//	  if (ok(tolower(l), s && c)) { if (a) exc++; else ent++ } else skip++ }
//
// It prints 158,637 entries, 191 exceptions, 680 skipped, 9 comments.
func TestParseRealLists(t *testing.T) {
	tests := []struct {
		file string
		want ParseStats // SkippedLines not compared
	}{
		{"hosts-hagezi-light.txt", ParseStats{Lines: 89942, Entries: 89931, Comments: 11}},
		{"hosts-hagezi-light-compressed-multi-per-line.txt", ParseStats{Lines: 10004, Entries: 89931, Comments: 11}},
		{"domains-hagezi-light.txt", ParseStats{Lines: 89942, Entries: 89931, Comments: 11}},
		{"domains-stevenblack-unified-trimmed.txt", ParseStats{Lines: 90927, Entries: 83808, Comments: 4603, Blank: 2516}},
		{"stevenblack-unified-via-adguard-compiler.txt", ParseStats{Lines: 89956, Entries: 89946, Comments: 9, Blank: 1}},
		{"hosts-stevenblack-2017-head-excerpt.txt", ParseStats{Lines: 129, Entries: 83, Comments: 33, Blank: 7}},
		{"adblock-adguard-dns-filter.txt", ParseStats{Lines: 159517, Entries: 158637, Exceptions: 191, Comments: 9, Skipped: 680}},
		{"large-merged-union.domains.txt.gz", ParseStats{Lines: 1213960, Entries: 1213194, Comments: 81, Skipped: 685}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := openList(t, tt.file)
			var n, allows int
			st, err := Parse(r, func(e Entry) {
				n++
				if e.Allow {
					allows++
				}
				if err := checkEntryName(e.Name); err != nil {
					t.Fatalf("entry %+v: %v", e, err)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			st.SkippedLines = nil
			if !statsEqual(st, tt.want) {
				t.Errorf("stats\n got  %+v\n want %+v", st, tt.want)
			}
			if n != st.Entries+st.Exceptions || allows != st.Exceptions {
				t.Errorf("fn called %d times (%d allow); stats %+v", n, allows, st)
			}
		})
	}
}

// checkEntryName checks the Entry.Name contract on its own terms (not
// through the parser's checkName): lowercase ASCII letters, digits, '-',
// '_', labels of 1..63 bytes, at most 253 bytes, no trailing dot.
func checkEntryName(n string) error {
	if n == "" || len(n) > 253 {
		return fmt.Errorf("length %d", len(n))
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("label %q", l)
		}
		for _, c := range []byte(l) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("byte %q in %q", c, n)
			}
		}
	}
	return nil
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0.0.0.0 a.com b.com # c\n",
		"||a.com^\n@@||b.a.com^|\n|c.com^$important\n",
		"*.a.com\r\n\ufeffA.COM.\n",
		"яндекс.рф\n||bücher.example^\n",
		"127.0.0.1 localhost\nfe80::1%lo0 localhost\n",
		"||amazon^\n/re/\na.com##.x\n||a*.com^\n||x.\n",
		"! c\n# c\n\n   \n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var n int
		st, err := Parse(strings.NewReader(in), func(e Entry) {
			n++
			if err := checkEntryName(e.Name); err != nil {
				t.Fatalf("entry %+v from %q: %v", e, in, err)
			}
			if !e.Subdomains && !strings.Contains(e.Name, ".") {
				t.Fatalf("single-label exact entry %+v from %q", e, in)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != st.Entries+st.Exceptions || len(st.SkippedLines) > 10 {
			t.Fatalf("stats %+v for %d entries", st, n)
		}
		if st.Blank+st.Comments > st.Lines {
			t.Fatalf("stats %+v", st)
		}
	})
}
