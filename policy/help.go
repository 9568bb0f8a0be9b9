package policy

// The built-in child-help services (help.yaml): sites that stay reachable
// from every device at every hour. The group's rules, bedtime and pauses
// never block them (see HelpConfig).

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/suggest"
)

//go:embed help.yaml
var helpYAML []byte

// HelpService is one built-in child-help service of a country.
type HelpService struct {
	Country     string // ISO 3166-1 alpha-2, lowercase ("gb")
	ID          string // unique within the country ("childline")
	Name        string
	Description string
	Phone       string // "" where there is no well-known number
	// Domains are registrable domains or the service's own hosts; each
	// covers its subdomains.
	Domains []string
}

// helpData is help.yaml, parsed: services by country, in file order.
type helpData struct {
	byCountry map[string][]HelpService
	countries []string // sorted
}

// helpFile is the shape of help.yaml.
type helpFile struct {
	Countries map[string][]struct {
		ID          string   `yaml:"id"`
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		Phone       string   `yaml:"phone"`
		Domains     []string `yaml:"domains"`
	} `yaml:"countries"`
}

// builtinHelp parses the embedded help.yaml on first use. It panics only if
// the embedded file is broken, which TestHelpData prevents.
var builtinHelp = sync.OnceValue(func() *helpData {
	h, err := parseHelp(helpYAML)
	if err != nil {
		panic("policy: embedded help.yaml: " + err.Error())
	}
	return h
})

// HelpCountries returns the codes of the countries that have built-in help
// services, sorted.
func HelpCountries() []string {
	return slices.Clone(builtinHelp().countries)
}

// HelpServices returns the built-in help services of the given countries
// (codes as in HelpCountries; case and surrounding blanks are ignored), in
// the order the countries are given, each country once. An unknown country
// is an error naming the known ones; the services of the known countries
// are returned with it.
func HelpServices(countries []string) ([]HelpService, error) {
	h := builtinHelp()
	var (
		out  []HelpService
		errs []error
		seen = make(map[string]bool, len(countries))
	)
	for _, c := range countries {
		key := strings.ToLower(strings.TrimSpace(c))
		svcs, ok := h.byCountry[key]
		if !ok {
			errs = append(errs, h.unknownCountry(c, key))
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		for _, s := range svcs {
			s.Domains = slices.Clone(s.Domains)
			out = append(out, s)
		}
	}
	return out, errors.Join(errs...)
}

// countryAliases are codes people write for a known country: the alpha-3
// code, or "uk".
var countryAliases = map[string]string{
	"uk": "gb", "gbr": "gb", "irl": "ie", "usa": "us", "aus": "au",
}

// unknownCountry is the error for a country code without help services,
// suggesting the code the user probably meant.
func (h *helpData) unknownCountry(raw, key string) error {
	msg := fmt.Sprintf("unknown country %q; known: %s", raw, strings.Join(h.countries, ", "))
	want := countryAliases[key]
	if _, ok := h.byCountry[want]; !ok {
		want = ""
	}
	// Every two-letter code is within two edits of every other, so the
	// distance only helps for longer mistakes ("gbb").
	if want == "" && len(key) > 2 {
		for _, c := range h.countries {
			if suggest.Distance(key, c) == 1 {
				want = c
				break
			}
		}
	}
	if want != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", want)
	}
	return errors.New(msg)
}

// parseHelp decodes help data strictly (unknown keys are errors) and
// validates it, naming every problem at once.
func parseHelp(data []byte) (*helpData, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f helpFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("help: %w", err)
	}
	var errs []error
	fail := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("help: %s: %s", where, fmt.Sprintf(format, args...)))
	}
	h := &helpData{byCountry: make(map[string][]HelpService, len(f.Countries))}
	if len(f.Countries) == 0 {
		fail("countries", "none")
	}
	for country, entries := range f.Countries {
		if !isHelpCountry(country) {
			fail(fmt.Sprintf("country %q", country), "use a lowercase ISO 3166 alpha-2 code (the UK is \"gb\")")
		}
		if len(entries) == 0 {
			fail(fmt.Sprintf("country %q", country), "no services")
		}
		ids := make(map[string]bool, len(entries))
		domains := make(map[string]string)
		svcs := make([]HelpService, 0, len(entries))
		for i, e := range entries {
			where := fmt.Sprintf("%s #%d", country, i+1)
			if e.ID != "" {
				where = country + "/" + e.ID
			}
			if err := blocklists.CheckID(e.ID); err != nil {
				fail(where, "%v", err)
			}
			if ids[e.ID] {
				fail(where, "id used twice")
			}
			ids[e.ID] = true
			if strings.TrimSpace(e.Name) == "" {
				fail(where, "no name")
			}
			if strings.TrimSpace(e.Description) == "" {
				fail(where, "no description")
			} else if strings.Contains(e.Description, "\n") {
				fail(where, "description is more than one line")
			}
			if e.Phone != "" && !isHelpPhone(e.Phone) {
				fail(where, "phone %q: use digits, spaces and hyphens, optionally after a +", e.Phone)
			}
			if len(e.Domains) == 0 {
				fail(where, "no domains")
			}
			for _, d := range e.Domains {
				if err := blocklists.CheckDomain(d); err != nil {
					fail(where, "domain %q: %v", d, err)
					continue
				}
				if other, ok := domains[d]; ok {
					fail(where, "domain %q is also listed for %s", d, other)
				}
				domains[d] = e.ID
			}
			svcs = append(svcs, HelpService{
				Country: country, ID: e.ID, Name: e.Name, Description: e.Description,
				Phone: e.Phone, Domains: e.Domains,
			})
		}
		// A domain under another already listed for the country adds
		// nothing and hides a mistake.
		for d, id := range domains {
			for p := helpParent(d); p != ""; p = helpParent(p) {
				if other, ok := domains[p]; ok {
					fail(country+"/"+id, "domain %q is already covered by %q (%s)", d, p, other)
					break
				}
			}
		}
		h.byCountry[country] = svcs
		h.countries = append(h.countries, country)
	}
	if len(errs) > 0 {
		// Sorted: map order made the order of the problems random.
		return nil, helpSortedJoin(errs)
	}
	slices.Sort(h.countries)
	return h, nil
}

// helpSortedJoin joins errs in the order of their text.
func helpSortedJoin(errs []error) error {
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func isHelpCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

// isHelpPhone accepts digits in groups separated by single spaces or hyphens,
// optionally after a leading "+".
func isHelpPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	prevDigit := false
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9':
			prevDigit = true
		case (b == ' ' || b == '-') && prevDigit && i < len(s)-1:
			prevDigit = false
		default:
			return false
		}
	}
	return prevDigit
}

// helpParent returns d without its first label, or "" for a single label.
func helpParent(d string) string {
	if i := strings.IndexByte(d, '.'); i >= 0 {
		return d[i+1:]
	}
	return ""
}
