//go:build shareddata

package blocklists

import (
	"testing"
)

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
