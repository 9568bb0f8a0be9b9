//go:build shareddata

package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Run by scripts/shared-data-checks.sh: the rewrites AdGuard publishes are
// GPL-3.0 and stay outside the repository ($HEARTH_SHARED_TESTDATA, else
// ../shared/testdata beside it).

// TestSafeSearchCrossCheck reads the rewrites AdGuard publishes (shared
// test data, GPL-3.0, never copied into the product) and checks that every
// name they rewrite for Google, YouTube, Bing, DuckDuckGo, Brave and Ecosia
// is rewritten by us to the same target. AdGuard's YouTube rewrites are the
// moderate ones; strict sends the same names to restrict.youtube.com.
func TestSafeSearchCrossCheck(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata")
	if d := os.Getenv("HEARTH_SHARED_TESTDATA"); d != "" {
		dir = d
	}
	dir = filepath.Join(dir, "safesearch")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared test data missing: %v (set HEARTH_SHARED_TESTDATA to the directory holding SOURCES.md, or run scripts/shared-data-checks.sh)", err)
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
