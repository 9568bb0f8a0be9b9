package blocklists

import (
	"errors"
	"fmt"
	"io"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestParseBlockListProject reads two real lists of The Block List Project
// (copied into testdata, Unlicense) in each of their three formats: hosts
// ("0.0.0.0 name"), plain domains and Adblock ("||name^", '!' comments).
// Counted apart with grep (F = the file): 12 comment lines
// (grep -c '^[#!]' F), 1 blank line, and the other lines are the entries: 5
// for fortnite, 226 for whatsapp; stripping "0.0.0.0 " or "||" and "^" gives
// the same names in each format.
func TestParseBlockListProject(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		list    string
		entries int
	}{
		{"fortnite", 5},
		{"whatsapp", 226},
	} {
		var first []string
		for _, format := range []string{"hosts", "domains", "adguard"} {
			file := filepath.Join("testdata", "blocklistproject", tt.list+"."+format+".txt")
			var names []string
			st, err := Parse(openFile(t, file), func(e Entry) {
				if err := checkEntryName(e.Name); err != nil || e.Allow {
					t.Errorf("%s: entry %+v: %v", file, e, err)
				}
				names = append(names, e.Name)
			})
			if err != nil {
				t.Fatal(err)
			}
			st.SkippedLines = nil
			want := ParseStats{Lines: tt.entries + 13, Entries: tt.entries, Comments: 12, Blank: 1}
			if !statsEqual(st, want) {
				t.Errorf("%s: stats\n got  %+v\n want %+v", file, st, want)
			}
			slices.Sort(names)
			if first == nil {
				first = names
			} else if !slices.Equal(names, first) {
				t.Errorf("%s: names differ from the hosts file's:\n%v\n%v", file, names, first)
			}
		}
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
