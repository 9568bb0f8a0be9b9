package blocklists

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Config is the `lists:` section of hearth.yaml.
type Config struct {
	// Refresh is how often downloaded lists are fetched again; each wait
	// adds up to 10% at random so a house of Hearths does not arrive at
	// once. The default (24h) is in the embedded default.yaml.
	Refresh time.Duration  `mapstructure:"refresh"`
	Sources []SourceConfig `mapstructure:"sources"`
}

// SourceConfig is one configured list: a URL, a local file or inline
// entries, counted under one category.
type SourceConfig struct {
	// Name is unique among sources, made of [a-z0-9._-].
	Name string `mapstructure:"name"`
	// Category is what blocking.block calls this list: "ads", "adult",
	// "malware", or a catalogue category.
	Category string `mapstructure:"category"`
	// Exactly one of URL (http or https), File (a local path) and Domains
	// (entries written as list lines) says where the entries come from.
	URL     string   `mapstructure:"url"`
	File    string   `mapstructure:"file"`
	Domains []string `mapstructure:"domains"`
	// Subdomains widens exact entries (hosts-file and plain-domain lines)
	// to cover their subdomains too.
	Subdomains bool `mapstructure:"subdomains"`
	// AllowShrink accepts a download with fewer than half the entries of
	// the last good copy (normally rejected as a probable breakage).
	AllowShrink bool `mapstructure:"allow_shrink"`
}

// MinRefresh is the shortest refresh interval accepted: list maintainers
// ask for restraint, and lists rarely change faster.
const MinRefresh = time.Minute

// Validate returns every problem in c, each a *fielderr.Error whose key
// starts with prefix (e.g. "lists.sources[2].url"). It reads the file
// system: a file source must name an existing regular file. The limit of
// MaxSources, which catalogue services share, is checked by New.
func (c Config) Validate(prefix string) []error {
	var errs []error
	if c.Refresh < MinRefresh {
		errs = append(errs, fielderr.New(prefix+".refresh", "%s is too short; use %s or more", c.Refresh, MinRefresh))
	}
	if len(c.Sources) > MaxSources {
		errs = append(errs, fielderr.New(prefix+".sources", "%d sources; at most %d (catalogue services included)", len(c.Sources), MaxSources))
	}
	seen := map[string]int{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("%s.sources[%d]", prefix, i)
		errs = append(errs, s.validate(key)...)
		if s.Name == "" {
			continue
		}
		if j, dup := seen[s.Name]; dup {
			errs = append(errs, fielderr.New(key+".name", "%q is already the name of sources[%d]", s.Name, j))
			continue
		}
		seen[s.Name] = i
	}
	return errs
}

func (s SourceConfig) validate(key string) []error {
	var errs []error
	switch {
	case s.Name == "":
		errs = append(errs, fielderr.New(key+".name", "missing; every source needs a name"))
	case !validID(s.Name):
		errs = append(errs, fielderr.New(key+".name", "%q: use only a-z, 0-9, '.', '_' and '-'", s.Name))
	}
	switch {
	case s.Category == "":
		errs = append(errs, fielderr.New(key+".category", "missing; say what this list counts as, e.g. ads or adult"))
	case !validID(s.Category):
		errs = append(errs, fielderr.New(key+".category", "%q: use only a-z, 0-9, '.', '_' and '-'", s.Category))
	}
	n := 0
	for _, set := range []bool{s.URL != "", s.File != "", len(s.Domains) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, fielderr.New(key, "set exactly one of url, file and domains (%d set)", n))
	}
	if s.URL != "" {
		if err := checkURL(s.URL); err != nil {
			errs = append(errs, fielderr.New(key+".url", "%q: %v", s.URL, err))
		}
	}
	if s.File != "" {
		if fi, err := os.Stat(s.File); err != nil {
			errs = append(errs, fielderr.New(key+".file", "%v", err))
		} else if !fi.Mode().IsRegular() {
			errs = append(errs, fielderr.New(key+".file", "%s is not a regular file", s.File))
		}
	}
	if len(s.Domains) > 0 {
		stats, _ := Parse(strings.NewReader(strings.Join(s.Domains, "\n")), func(Entry) {})
		for _, line := range stats.SkippedLines {
			if line < 1 || line > len(s.Domains) {
				continue // an item holding a newline; nothing better to point at
			}
			errs = append(errs, fielderr.New(fmt.Sprintf("%s.domains[%d]", key, line-1),
				"%q is not a domain or a rule Hearth understands", s.Domains[line-1]))
		}
	}
	return errs
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http or https URL")
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	return nil
}

// validID reports whether s is made only of [a-z0-9._-].
func validID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
