package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSafeSearchLevels(t *testing.T) {
	for _, tc := range []struct {
		level string
		valid bool
		on    bool
	}{
		{"", true, false}, {SafeSearchOff, true, false}, {SafeSearchModerate, true, true},
		{SafeSearchStrict, true, true}, {"Strict", false, false}, {"on", false, false}, {"safe", false, false},
	} {
		if got := validSafeSearch(tc.level); got != tc.valid {
			t.Errorf("validSafeSearch(%q) = %v, want %v", tc.level, got, tc.valid)
		}
		if got := newSafeSearch(tc.level); (got != nil) != tc.on {
			t.Errorf("newSafeSearch(%q) = %v, want on=%v", tc.level, got, tc.on)
		}
	}
	if newSafeSearch(SafeSearchStrict) != newSafeSearch(SafeSearchStrict) {
		t.Error("newSafeSearch builds a level more than once")
	}
}

func TestSafeSearchTarget(t *testing.T) {
	const (
		google = "forcesafesearch.google.com"
		ytMod  = "restrictmoderate.youtube.com"
		ytStr  = "restrict.youtube.com"
		bing   = "strict.bing.com"
		ddg    = "safe.duckduckgo.com"
	)
	for _, tc := range []struct {
		name             string
		moderate, strict string // "" for no rewrite
	}{
		{"www.google.com", google, google},
		{"www.google.com.", google, google},
		{"www.google.co.uk", google, google},
		{"www.google.com.au", google, google},
		{"www.google.de.", google, google},
		{"google.com", "", ""}, // redirects to www.google.com
		{"mail.google.com", "", ""},
		{"forcesafesearch.google.com", "", ""},
		{"www.google.example", "", ""},
		{"www.youtube.com", ytMod, ytStr},
		{"m.youtube.com.", ytMod, ytStr},
		{"youtubei.googleapis.com", ytMod, ytStr},
		{"youtube.googleapis.com", ytMod, ytStr},
		{"www.youtube-nocookie.com", ytMod, ytStr},
		{"youtube.com", "", ""},
		{"i.ytimg.com", "", ""},
		{"www.bing.com", bing, bing},
		{"edgeservices.bing.com", bing, bing},
		{"bing.com", "", ""},
		{"duckduckgo.com", ddg, ddg},
		{"www.duckduckgo.com", ddg, ddg},
		{"start.duckduckgo.com", ddg, ddg},
		{"links.duckduckgo.com", "", ""},
		{"search.brave.com", "safesearch.brave.com", "safesearch.brave.com"},
		{"www.ecosia.org", "strict-safe-search.ecosia.org", "strict-safe-search.ecosia.org"},
		{"", "", ""},
		{".", "", ""},
	} {
		for _, lv := range []struct{ level, want string }{
			{SafeSearchModerate, tc.moderate}, {SafeSearchStrict, tc.strict}, {SafeSearchOff, ""},
		} {
			got, ok := newSafeSearch(lv.level).target(tc.name)
			if got != lv.want || ok != (lv.want != "") {
				t.Errorf("%s: target(%q) = %q, %v; want %q", lv.level, tc.name, got, ok, lv.want)
			}
		}
	}
	var off *safeSearch
	if got, ok := off.target("www.google.com"); ok || got != "" {
		t.Errorf("nil target = %q, %v", got, ok)
	}
}

// TestSafeSearchNoChains: a target is never itself rewritten, or a client
// would follow a loop, and every mapped name and target is a plain
// lowercase name without a trailing dot.
func TestSafeSearchNoChains(t *testing.T) {
	for _, level := range []string{SafeSearchModerate, SafeSearchStrict} {
		s := newSafeSearch(level)
		if len(s.targets) < 200 {
			t.Errorf("%s: only %d names", level, len(s.targets))
		}
		for name, target := range s.targets {
			if _, ok := s.targets[target]; ok {
				t.Errorf("%s: %s -> %s, which is rewritten again", level, name, target)
			}
			for _, n := range []string{name, target} {
				if n != strings.ToLower(n) || strings.HasSuffix(n, ".") || strings.Count(n, ".") < 1 {
					t.Errorf("%s: bad name %q", level, n)
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range googleSuffixes {
		if seen[s] {
			t.Errorf("Google suffix %q listed twice", s)
		}
		seen[s] = true
	}
}

func TestSafeSearchTargetAllocs(t *testing.T) {
	s := newSafeSearch(SafeSearchStrict)
	var off *safeSearch
	for _, name := range []string{"www.google.co.uk", "www.google.co.uk.", "www.youtube.com.", "example.com."} {
		if n := testing.AllocsPerRun(100, func() {
			s.target(name)
			off.target(name)
		}); n != 0 {
			t.Errorf("target(%q) allocates %v times", name, n)
		}
	}
}

// TestSafeSearchCrossCheck reads the rewrites AdGuard publishes (shared
// test data, GPL-3.0, never copied into the product) and checks that every
// name they rewrite for Google, YouTube, Bing, DuckDuckGo, Brave and Ecosia
// is rewritten by us to the same target. AdGuard's YouTube rewrites are the
// moderate ones; strict sends the same names to restrict.youtube.com.
func TestSafeSearchCrossCheck(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "safesearch")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s is absent", dir)
	}
	files := []string{
		"adguardhome-rules/google.txt", "adguardhome-rules/youtube.txt", "adguardhome-rules/bing.txt",
		"adguardhome-rules/duckduckgo.txt", "adguardhome-rules/ecosia.txt",
		"adguard-hostlistsregistry-engines_safe_search.txt", "adguard-hostlistsregistry-youtube_safe_search.txt",
	}
	engines := []string{"google.", "youtube", "bing.com", "duckduckgo.com", "brave.com", "ecosia.org"}
	moderate, strict := newSafeSearch(SafeSearchModerate), newSafeSearch(SafeSearchStrict)
	theirs := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(data), "\n") {
			// |www.google.ad^$dnsrewrite=NOERROR;CNAME;forcesafesearch.google.com
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), "|")
			if !ok {
				continue
			}
			name, rewrite, ok := strings.Cut(rest, "^$dnsrewrite=NOERROR;CNAME;")
			if !ok || !mentionsEngine(name, engines) {
				continue
			}
			n++
			theirs[name] = true
			if got, _ := moderate.target(name); got != rewrite {
				t.Errorf("%s: moderate %s -> %q, AdGuard says %s", f, name, got, rewrite)
			}
			want := rewrite
			if rewrite == "restrictmoderate.youtube.com" {
				want = "restrict.youtube.com"
			}
			if got, _ := strict.target(name); got != want {
				t.Errorf("%s: strict %s -> %q, want %s", f, name, got, want)
			}
		}
		if n == 0 {
			t.Errorf("%s: no rewrites read", f)
		}
	}
	var extra []string
	for name := range moderate.targets {
		if !theirs[name] {
			extra = append(extra, name)
		}
	}
	t.Logf("%d of AdGuard's names checked; %d of ours are not in its lists: %v", len(theirs), len(extra), extra)
}

func mentionsEngine(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
