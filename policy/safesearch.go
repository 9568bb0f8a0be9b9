package policy

// Safe search: a group's search engines are sent to their safe endpoints by
// answering the engine's host with a CNAME to the host that enforces safe
// results. The engines document these hosts for schools and families:
// Google (forcesafesearch.google.com), YouTube (restrict.youtube.com and
// restrictmoderate.youtube.com), Bing (strict.bing.com), DuckDuckGo
// (safe.duckduckgo.com), Brave Search (safesearch.brave.com) and Ecosia
// (strict-safe-search.ecosia.org). TestSafeSearchCrossCheck compares the
// table with the rewrites AdGuard publishes.

import (
	"strings"
	"sync"
)

// Safe search levels (groups.*.safe_search). Only YouTube has two levels;
// the other engines are safe at both.
const (
	SafeSearchOff      = "off"
	SafeSearchModerate = "moderate"
	SafeSearchStrict   = "strict"
)

// safeSearch maps the hosts of search engines to their safe endpoints for
// one level. It is built once per level and shared read-only.
type safeSearch struct {
	level   string
	targets map[string]string // name -> target, both lowercase without a trailing dot
}

// safeEngine is one engine's hosts and where each level sends them.
type safeEngine struct {
	name             string
	hosts            []string
	moderate, strict string
}

// googleSuffixes are the domains after "www.google." of Google's search
// sites: google.com and one per country or territory. Google answers for
// each of them at forcesafesearch.google.com.
var googleSuffixes = strings.Fields(`
	com cat co
	ad ae al am as at az ba be bf bg bi bj bs bt by ca cd cf cg ch ci cl cm cn cv cz
	de dj dk dm dz ee es fi fm fr ga ge gg gl gm gp gr gy hn hr ht hu ie im iq is it
	je jo kg ki kz la li lk lt lu lv md me mg mk ml mn ms mu mv mw ne nl no nr nu pl
	pn ps pt ro rs ru rw sc se sh si sk sm sn so sr st td tg tk tl tm tn to tt vg vu
	ws
	co.ao co.bw co.ck co.cr co.id co.il co.in co.jp co.ke co.kr co.ls co.ma co.mz
	co.nz co.th co.tz co.ug co.uk co.uz co.ve co.vi co.za co.zm co.zw
	com.af com.ag com.ai com.ar com.au com.bd com.bh com.bn com.bo com.br com.bz
	com.co com.cu com.cy com.do com.ec com.eg com.et com.fj com.gh com.gi com.gt
	com.hk com.jm com.kh com.kw com.lb com.ly com.mm com.mt com.mx com.my com.na
	com.nf com.ng com.ni com.np com.om com.pa com.pe com.pg com.ph com.pk com.pr
	com.py com.qa com.sa com.sb com.sg com.sl com.sv com.tj com.tr com.tw com.ua
	com.uy com.vc com.vn
`)

// safeEngines is the table every level is built from.
func safeEngines() []safeEngine {
	google := make([]string, len(googleSuffixes))
	for i, s := range googleSuffixes {
		google[i] = "www.google." + s
	}
	return []safeEngine{
		{name: "google", hosts: google,
			moderate: "forcesafesearch.google.com", strict: "forcesafesearch.google.com"},
		// YouTube's site, its apps' API hosts and the embedded player.
		{name: "youtube", hosts: []string{"www.youtube.com", "m.youtube.com", "youtubei.googleapis.com",
			"youtube.googleapis.com", "www.youtube-nocookie.com"},
			moderate: "restrictmoderate.youtube.com", strict: "restrict.youtube.com"},
		// edgeservices.bing.com serves Bing inside the Edge browser.
		{name: "bing", hosts: []string{"www.bing.com", "edgeservices.bing.com"},
			moderate: "strict.bing.com", strict: "strict.bing.com"},
		{name: "duckduckgo", hosts: []string{"duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com"},
			moderate: "safe.duckduckgo.com", strict: "safe.duckduckgo.com"},
		{name: "brave", hosts: []string{"search.brave.com"},
			moderate: "safesearch.brave.com", strict: "safesearch.brave.com"},
		{name: "ecosia", hosts: []string{"www.ecosia.org"},
			moderate: "strict-safe-search.ecosia.org", strict: "strict-safe-search.ecosia.org"},
	}
}

// safeSearchLevels builds the two levels' maps on first use.
var safeSearchLevels = sync.OnceValue(func() map[string]*safeSearch {
	engines := safeEngines()
	levels := map[string]*safeSearch{
		SafeSearchModerate: {level: SafeSearchModerate, targets: make(map[string]string)},
		SafeSearchStrict:   {level: SafeSearchStrict, targets: make(map[string]string)},
	}
	for _, e := range engines {
		for _, h := range e.hosts {
			levels[SafeSearchModerate].targets[h] = e.moderate
			levels[SafeSearchStrict].targets[h] = e.strict
		}
	}
	return levels
})

// validSafeSearch reports whether level is a safe_search setting: "" (the
// same as off), off, moderate or strict.
func validSafeSearch(level string) bool {
	switch level {
	case "", SafeSearchOff, SafeSearchModerate, SafeSearchStrict:
		return true
	}
	return false
}

// newSafeSearch returns the shared table of a level: nil for "" and off
// (and for a level validSafeSearch rejects).
func newSafeSearch(level string) *safeSearch {
	return safeSearchLevels()[level]
}

// target returns the host name should be answered with as a CNAME, without
// a trailing dot. name is lowercase, with or without a trailing dot. It does
// not allocate. A nil s (safe search off) has no targets.
func (s *safeSearch) target(name string) (string, bool) {
	if s == nil {
		return "", false
	}
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	t, ok := s.targets[name]
	return t, ok
}
