package blocklists

// Loading, validating and querying the catalogue (the types are in
// catalogue.go, the data in catalogue.yaml).

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/hearth-dns/hearth/internal/suggest"

	"go.yaml.in/yaml/v3"
)

//go:embed catalogue.yaml
var catalogueYAML []byte

var builtin struct {
	once sync.Once
	cat  *Catalogue
}

// Builtin returns the catalogue embedded in the binary, parsed on first use.
// Callers must not modify it. It panics only if the embedded file is broken,
// which TestBuiltinCatalogue prevents.
func Builtin() *Catalogue {
	builtin.once.Do(func() {
		c, err := ParseCatalogue(catalogueYAML)
		if err != nil {
			panic("blocklists: embedded catalogue.yaml: " + err.Error())
		}
		builtin.cat = c
	})
	return builtin.cat
}

// ParseCatalogue decodes a catalogue strictly (unknown keys are errors) and
// validates it. The error joins every problem found, each naming the
// category or service it concerns.
func ParseCatalogue(data []byte) (*Catalogue, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// validate returns every problem in c, joined.
func (c *Catalogue) validate() error {
	var errs []error
	add := func(kind, id, format string, args ...any) {
		errs = append(errs, fmt.Errorf("catalogue: %s %q: %s", kind, id, fmt.Sprintf(format, args...)))
	}
	if len(c.Categories) == 0 {
		errs = append(errs, errors.New("catalogue: no categories"))
	}
	categories := make(map[string]bool, len(c.Categories))
	for i, cat := range c.Categories {
		id := cat.ID
		if id == "" {
			id = fmt.Sprintf("#%d", i+1)
		}
		if err := CheckID(cat.ID); err != nil {
			add("category", id, "%v", err)
		}
		if categories[cat.ID] {
			add("category", id, "id used twice")
		}
		categories[cat.ID] = true
		if strings.TrimSpace(cat.Name) == "" {
			add("category", id, "no name")
		}
		for j, l := range cat.Lists {
			name := l.Name
			if name == "" {
				name = fmt.Sprintf("#%d", j+1)
				add("category", id, "list %s: no name", name)
			}
			if err := checkHTTPS(l.URL); err != nil {
				add("category", id, "list %s: url: %v", name, err)
			}
			if l.Homepage == "" {
				add("category", id, "list %s: no homepage", name)
			} else if u, err := url.Parse(l.Homepage); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				add("category", id, "list %s: homepage %q is not a web address", name, l.Homepage)
			}
			if strings.TrimSpace(l.License) == "" {
				add("category", id, "list %s: no license", name)
			}
		}
	}
	services := make(map[string]bool, len(c.Services))
	for i, svc := range c.Services {
		id := svc.ID
		if id == "" {
			id = fmt.Sprintf("#%d", i+1)
		}
		if err := CheckID(svc.ID); err != nil {
			add("service", id, "%v", err)
		}
		if services[svc.ID] {
			add("service", id, "id used twice")
		}
		if categories[svc.ID] {
			add("service", id, "id is also a category id")
		}
		services[svc.ID] = true
		if strings.TrimSpace(svc.Name) == "" {
			add("service", id, "no name")
		}
		if len(svc.Categories) == 0 {
			add("service", id, "no categories")
		}
		seenCat := make(map[string]bool, len(svc.Categories))
		for _, cid := range svc.Categories {
			switch {
			case !categories[cid]:
				add("service", id, "category %q does not exist", cid)
			case seenCat[cid]:
				add("service", id, "category %q listed twice", cid)
			}
			seenCat[cid] = true
		}
		if len(svc.Domains) == 0 {
			add("service", id, "no domains")
		}
		seen := make(map[string]bool, len(svc.Domains))
		for _, d := range svc.Domains {
			if err := CheckDomain(d); err != nil {
				add("service", id, "domain %q: %v", d, err)
				continue
			}
			if seen[d] {
				add("service", id, "domain %q listed twice", d)
			}
			seen[d] = true
		}
		for _, d := range svc.Domains {
			for p := parentDomain(d); p != ""; p = parentDomain(p) {
				if seen[p] {
					add("service", id, "domain %q is already covered by %q", d, p)
					break
				}
			}
		}
		bg := make(map[string]bool, len(svc.Background))
		for _, h := range svc.Background {
			if err := CheckDomain(h); err != nil {
				add("service", id, "background %q: %v", h, err)
				continue
			}
			if bg[h] {
				add("service", id, "background %q listed twice", h)
			}
			bg[h] = true
			covered := false
			for p := h; p != "" && !covered; p = parentDomain(p) {
				covered = seen[p]
			}
			if !covered {
				add("service", id, "background %q is not under one of the service's domains", h)
			}
		}
		if len(svc.Sources) == 0 {
			add("service", id, "no sources")
		}
		for _, s := range svc.Sources {
			if strings.TrimSpace(s) == "" {
				add("service", id, "empty source")
			}
		}
	}
	return errors.Join(errs...)
}

// CheckID accepts lowercase ids: a-z 0-9 in words joined by single hyphens.
func CheckID(id string) error {
	if id == "" {
		return errors.New("no id")
	}
	if len(id) > 63 {
		return fmt.Errorf("id %q is longer than 63 characters", id)
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		switch {
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9':
		case b == '-' && i > 0 && i < len(id)-1 && id[i-1] != '-':
		default:
			return fmt.Errorf("id %q: use lowercase a-z, 0-9 and single inner hyphens", id)
		}
	}
	return nil
}

// CheckDomain accepts a lowercase DNS name of at least two labels, written
// in ASCII (punycode for international names): labels of a-z 0-9 and inner
// hyphens, at most 63 bytes each and 253 in all, the last not numeric.
func CheckDomain(d string) error {
	switch {
	case d == "":
		return errors.New("empty")
	case len(d) > 253:
		return errors.New("longer than 253 bytes")
	case strings.HasPrefix(d, "."):
		return errors.New("leading dot: a domain already covers its subdomains")
	case strings.HasSuffix(d, "."):
		return errors.New("trailing dot")
	case strings.Contains(d, "*"):
		return errors.New("wildcard: a domain already covers its subdomains")
	case strings.ToLower(d) != d:
		return errors.New("not lowercase")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return errors.New("a single label (a whole TLD) is not a service domain")
	}
	for _, l := range labels {
		if l == "" {
			return errors.New("empty label")
		}
		if len(l) > 63 {
			return fmt.Errorf("label %q is longer than 63 bytes", l)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			if b := l[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return fmt.Errorf("label %q: use a-z, 0-9 and hyphens (punycode for international names)", l)
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return errors.New("numeric top-level label (an address is not a domain)")
	}
	return nil
}

func checkHTTPS(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q: want an https:// address", raw)
	}
	return nil
}

// parentDomain returns d without its first label, or "" for a single label.
func parentDomain(d string) string {
	if i := strings.IndexByte(d, '.'); i >= 0 {
		return d[i+1:]
	}
	return ""
}

// Category returns the category with the given id.
func (c *Catalogue) Category(id string) (*Category, bool) {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i], true
		}
	}
	return nil, false
}

// Service returns the service with the given id.
func (c *Catalogue) Service(id string) (*Service, bool) {
	for i := range c.Services {
		if c.Services[i].ID == id {
			return &c.Services[i], true
		}
	}
	return nil, false
}

// ServicesIn returns the services in a category, in catalogue order: none
// for an unknown category or one made only of public lists.
func (c *Catalogue) ServicesIn(category string) []*Service {
	var out []*Service
	for i := range c.Services {
		for _, id := range c.Services[i].Categories {
			if id == category {
				out = append(out, &c.Services[i])
				break
			}
		}
	}
	return out
}

// ServiceFor returns the service one of whose domains is name or a parent
// of name (the first, in catalogue order). name is lowercase, without a
// trailing dot.
func (c *Catalogue) ServiceFor(name string) (*Service, bool) {
	for d := name; d != ""; d = parentDomain(d) {
		for i := range c.Services {
			for _, sd := range c.Services[i].Domains {
				if sd == d {
					return &c.Services[i], true
				}
			}
		}
	}
	return nil, false
}

// UnknownNameError is Lookup's error for a name that is neither a category
// nor a service.
type UnknownNameError struct {
	Name       string
	Suggestion string // the closest category or service id; "" if none is close
}

func (e *UnknownNameError) Error() string {
	msg := fmt.Sprintf("%q is not a catalogue category or service", e.Name)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}

// Lookup resolves a name a parent writes: a category id gives the category
// and its services (none for a category of public lists only), a service id
// gives that one service and a nil category. Case and surrounding blanks are
// ignored. An unknown name gives an *UnknownNameError suggesting the closest
// id.
func (c *Catalogue) Lookup(name string) (services []*Service, category *Category, err error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if cat, ok := c.Category(key); ok {
		return c.ServicesIn(key), cat, nil
	}
	if svc, ok := c.Service(key); ok {
		return []*Service{svc}, nil, nil
	}
	return nil, nil, &UnknownNameError{Name: name, Suggestion: c.suggest(key)}
}

// suggest returns the id a mistyped or informal name most likely means:
// the service owning a domain ("discord.gg" -> discord), one whose name has
// the word ("fortnite" -> epic-games), else the id nearest in edit
// distance, if it is near enough to be a typo.
func (c *Catalogue) suggest(key string) string {
	if key == "" {
		return ""
	}
	if svc, ok := c.ServiceFor(strings.TrimSuffix(key, ".")); ok {
		return svc.ID
	}
	word := alnum(key)
	for i := range c.Services {
		for _, w := range strings.FieldsFunc(strings.ToLower(c.Services[i].Name), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '+')
		}) {
			if len(word) >= 3 && alnum(w) == word {
				return c.Services[i].ID
			}
		}
	}
	ids := make([]string, 0, len(c.Categories)+len(c.Services))
	for _, cat := range c.Categories {
		ids = append(ids, cat.ID)
	}
	for _, svc := range c.Services {
		ids = append(ids, svc.ID)
	}
	return suggest.Closest(key, ids)
}

// alnum keeps the letters and digits of s.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
