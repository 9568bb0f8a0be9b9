package config

import (
	"fmt"
	"sort"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy/identity"
)

// nameWarnings warns about the devices and groups of the file whose name
// is not a slug (identity.IsSlug), the rule for names set on the dashboard and API.
// Such a name still works, so that a file from before the rule loads as it
// did; the warning suggests the name to write, which is the same on a
// phone, in a URL and after --device.
func nameWarnings(c *Config, src Source) []string {
	var out []string
	for i, d := range c.Policy.Devices {
		if d.Name == "" || identity.IsSlug(d.Name) {
			continue // no name: Validate says so
		}
		key := fmt.Sprintf("devices[%d].name", i)
		msg := fmt.Sprintf("%q is not a slug (lowercase letters, digits and '-', at most %d); it still works, but new names must be", d.Name, identity.MaxSlug)
		if s := identity.Slug(d.Name); s != "" {
			msg += fmt.Sprintf(": write %q", s)
		}
		err := error(&Error{Where: src.Where(key), Err: fielderr.New(key, "%s", msg)})
		out = append(out, err.Error())
	}
	// Group names: the same rule (the compile rule also allows '_' and a
	// leading or trailing '-'; such a group still works).
	names := make([]string, 0, len(c.Policy.Groups))
	for name := range c.Policy.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if identity.IsSlug(name) {
			continue
		}
		key := "groups." + name
		msg := fmt.Sprintf("group name %q is not a slug (lowercase letters, digits and '-', at most %d); it still works, but new names must be", name, identity.MaxSlug)
		if s := identity.Slug(name); s != "" {
			msg += fmt.Sprintf(": write %q (rename it on the Rules page)", s)
		}
		err := error(&Error{Where: src.Where(key), Err: fielderr.New(key, "%s", msg)})
		out = append(out, err.Error())
	}
	return out
}
