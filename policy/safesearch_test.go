package policy

import (
	"strings"
	"testing"
)

func TestSafeSearchLevels(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
