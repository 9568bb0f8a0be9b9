package report

// "Where to get help": emergency and police numbers from help.yaml, and the
// help services policy/help.yaml already describes, referred to by id.

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/policy"
)

//go:embed help.yaml
var helpYAML []byte

// HelpCountry is where to get help in one country.
type HelpCountry struct {
	Country string      `json:"country"` // "gb"
	Name    string      `json:"name"`    // "the UK"
	Entries []HelpEntry `json:"entries"`
}

// HelpEntry is one place to get help.
type HelpEntry struct {
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
	Web         string `json:"web,omitempty"` // a domain: "childline.org.uk"
	Description string `json:"description"`
	Emergency   bool   `json:"emergency,omitempty"`
}

// defaultHelpCountry is used when Options.HelpCountries is empty.
const defaultHelpCountry = "gb"

// helpFile is the shape of help.yaml.
type helpFile struct {
	Countries map[string]struct {
		Name string `yaml:"name"`
		Help []struct {
			Service     string `yaml:"service"`
			Name        string `yaml:"name"`
			Phone       string `yaml:"phone"`
			Description string `yaml:"description"`
			Emergency   bool   `yaml:"emergency"`
		} `yaml:"help"`
	} `yaml:"countries"`
}

// builtinHelp is help.yaml, parsed and joined with policy's help services.
var builtinHelp = sync.OnceValues(func() (map[string]HelpCountry, error) {
	return parseHelp(helpYAML)
})

// parseHelp decodes help data strictly and resolves its service references,
// naming every problem at once.
func parseHelp(data []byte) (map[string]HelpCountry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f helpFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("report: help: %w", err)
	}
	var errs []error
	fail := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("report: help: %s: %s", where, fmt.Sprintf(format, args...)))
	}
	out := make(map[string]HelpCountry, len(f.Countries))
	for code, c := range f.Countries {
		services, err := policy.HelpServices([]string{code})
		if err != nil {
			fail(code, "%v", err)
		}
		if strings.TrimSpace(c.Name) == "" {
			fail(code, "no name")
		}
		if len(c.Help) == 0 {
			fail(code, "no help")
		}
		hc := HelpCountry{Country: code, Name: c.Name}
		for i, e := range c.Help {
			where := fmt.Sprintf("%s #%d", code, i+1)
			if e.Service != "" {
				if e.Name != "" || e.Phone != "" || e.Description != "" || e.Emergency {
					fail(where, "service %q: give either a service or a name, phone and description", e.Service)
				}
				j := slices.IndexFunc(services, func(s policy.HelpService) bool { return s.ID == e.Service })
				if j < 0 {
					fail(where, "service %q is not in policy/help.yaml for %s", e.Service, code)
					continue
				}
				s := services[j]
				hc.Entries = append(hc.Entries, HelpEntry{
					Name: s.Name, Phone: s.Phone, Web: s.Domains[0], Description: s.Description,
				})
				continue
			}
			if strings.TrimSpace(e.Name) == "" || strings.TrimSpace(e.Phone) == "" || strings.TrimSpace(e.Description) == "" {
				fail(where, "needs a service, or a name, phone and description")
			}
			hc.Entries = append(hc.Entries, HelpEntry{
				Name: e.Name, Phone: e.Phone, Description: e.Description, Emergency: e.Emergency,
			})
		}
		out[code] = hc
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// helpFor returns the help of the given countries, in order, each once.
func helpFor(countries []string) ([]HelpCountry, error) {
	all, err := builtinHelp()
	if err != nil {
		return nil, err
	}
	if len(countries) == 0 {
		countries = []string{defaultHelpCountry}
	}
	var (
		out  []HelpCountry
		errs []error
		seen = make(map[string]bool)
	)
	for _, c := range countries {
		key := strings.ToLower(strings.TrimSpace(c))
		if key == "uk" {
			key = "gb"
		}
		hc, ok := all[key]
		if !ok {
			known := make([]string, 0, len(all))
			for k := range all {
				known = append(known, k)
			}
			slices.Sort(known)
			errs = append(errs, fmt.Errorf("report: no help for country %q; known: %s", c, strings.Join(known, ", ")))
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		hc.Entries = slices.Clone(hc.Entries)
		out = append(out, hc)
	}
	return out, errors.Join(errs...)
}
