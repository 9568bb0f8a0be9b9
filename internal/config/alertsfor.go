package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/internal/suggest"
)

// alertsFor checks alerts.for: each key is a group or a person of the file
// (not both), and its blocked names are catalogue categories or services,
// or the categories of configured lists.
func (c Config) alertsFor() []error {
	var errs []error
	people := map[string]bool{}
	for _, p := range c.Policy.People {
		people[p.Name] = true
	}
	var names []string
	for g := range c.Policy.Groups {
		names = append(names, g)
	}
	names = append(names, slices.Collect(maps.Keys(people))...)
	for _, who := range slices.Sorted(maps.Keys(c.Alerts.For)) {
		key := "alerts.for." + who
		_, group := c.Policy.Groups[who]
		switch {
		case group && people[who]:
			errs = append(errs, fielderr.New(key, "%q is both a group and a person: rename one of them", who))
		case !group && !people[who]:
			msg := fmt.Sprintf("%q is neither a group nor a person", who)
			if best := suggest.Closest(who, names); best != "" {
				msg += fmt.Sprintf("; did you mean %q?", best)
			}
			errs = append(errs, fielderr.New(key, "%s", msg))
		}
		o := c.Alerts.For[who]
		if o.Blocked == nil {
			continue
		}
		for i, name := range *o.Blocked {
			if slices.Contains(c.ListCategories(), name) {
				continue
			}
			if _, _, err := blocklists.Builtin().Lookup(name); err != nil {
				errs = append(errs, fielderr.New(fmt.Sprintf("%s.blocked[%d]", key, i), "%v", err))
			}
		}
	}
	return errs
}
