package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/suggest"
	"github.com/hearth-dns/hearth/policy/identity"
)

// People and budgets, compiled: who owns which device, which daily budgets
// each device's lookups count against, and whose counter they count in.
//
// A person's group is what their devices get unless a device names a group
// itself; a device naming a different group from its person's is an error.
// Budgets: the device's group's, with the person's own replacing a group
// budget for the same what. Counting is per owner (the person, the device
// when nobody owns it, or one owner for all the devices nobody named, per
// group) and per budget id, so a minute used on two of a child's devices
// counts once.

type person struct {
	idx     int
	name    string
	key     string // "people[0]"
	group   *group // nil: each device's own
	budgets []*budget
	devices []*device
}

// owner is whose minutes a budget counts: "person:alex", "device:tv",
// "new-devices:kids".
type owner struct {
	key    string
	name   string // "alex", "tv", "kids"
	kind   string // "person", "device", "new-devices"
	person *person
	device *device
}

// budget is one compiled budget of a group or a person.
type budget struct {
	key     string // "groups.kids.budgets[0]", "people[1].budgets[0]"
	what    string // as written: "youtube, tiktok"
	id      string // the ids, sorted: "tiktok,youtube"
	ids     []string
	names   nameSet
	minutes [4]int // by dayKind; -1: not set
}

// dayKind is which amount of a budget a household day uses.
type dayKind uint8

const (
	dayDaily dayKind = iota
	daySchool
	dayWeekend
	dayHoliday
)

var dayKindNames = [...]string{dayDaily: "daily", daySchool: "school day", dayWeekend: "weekend", dayHoliday: "holiday"}

// today returns the minutes the budget allows on a day of kind k, and
// which amount that is; -1 if the day is not budgeted.
func (b *budget) today(k dayKind) (int, dayKind) {
	switch {
	case k == dayHoliday && b.minutes[dayHoliday] >= 0:
		return b.minutes[dayHoliday], dayHoliday
	case k == dayWeekend && b.minutes[dayWeekend] >= 0:
		return b.minutes[dayWeekend], dayWeekend
	case k == daySchool && b.minutes[daySchool] >= 0:
		return b.minutes[daySchool], daySchool
	}
	return b.minutes[dayDaily], dayDaily
}

// budgets compiles a budgets list at key ("groups.kids.budgets").
func (c *compiler) budgets(key string, list []BudgetConfig) []*budget {
	var out []*budget
	seen := map[string]string{}
	for i, bc := range list {
		k := indexKey(key, i)
		b := &budget{key: k, minutes: [4]int{-1, -1, -1, -1}}
		if len(bc.What) == 0 {
			c.fail(k+".what", "a budget needs categories or services, like what: [gaming]")
			continue
		}
		for j, raw := range bc.What {
			name := strings.ToLower(strings.TrimSpace(raw))
			if strings.Contains(name, ".") {
				c.fail(indexKey(k+".what", j), "%q: a budget counts categories and services (see `hearth services`), not domains", raw)
				continue
			}
			if slices.Contains(b.ids, name) {
				c.fail(indexKey(k+".what", j), "%q is listed twice", raw)
				continue
			}
			before := len(c.errs)
			ns := c.names(indexKey(k+".what", j), []string{name}, true)
			if len(c.errs) > before {
				continue
			}
			b.ids = append(b.ids, name)
			b.names.categories = append(b.names.categories, ns.categories...)
			b.names.services = append(b.names.services, ns.services...)
		}
		b.what = strings.Join(b.ids, ", ")
		sorted := slices.Clone(b.ids)
		slices.Sort(sorted)
		b.id = strings.Join(sorted, ",")
		set, bad := false, false
		for kind, d := range []*time.Duration{bc.Daily, bc.SchoolDays, bc.Weekends, bc.Holidays} {
			if d == nil {
				continue
			}
			field := [...]string{"daily", "school_days", "weekends", "holidays"}[kind]
			switch {
			case *d < 0 || *d > 24*time.Hour:
				c.fail(k+"."+field, "%s is outside 0m..24h", *d)
				bad = true
			case *d%time.Minute != 0:
				c.fail(k+"."+field, "%s: budgets count whole minutes (like 90m)", *d)
				bad = true
			default:
				b.minutes[kind] = int(*d / time.Minute)
				set = true
			}
		}
		if !set && !bad {
			c.fail(k, "a budget needs minutes: daily, school_days, weekends or holidays (like daily: 60m)")
		}
		if b.id == "" {
			continue
		}
		if other, dup := seen[b.id]; dup {
			c.fail(k+".what", "%s already has a budget for %s (%s): one budget per what", key, b.what, other)
			continue
		}
		seen[b.id] = k
		out = append(out, b)
	}
	return out
}

// people compiles cfg.People before the devices: it returns the people
// and, by lowercase device name, the person who owns it. Device names are
// checked against the file's devices.
func (c *compiler) people(p *plan, cfg Config, groupNames []string) map[string]*person {
	deviceNames := make([]string, 0, len(cfg.Devices))
	known := map[string]bool{}
	for _, d := range cfg.Devices {
		deviceNames = append(deviceNames, d.Name)
		known[strings.ToLower(d.Name)] = true
	}
	owners := map[string]*person{}
	byName := map[string]string{}
	for i, pc := range cfg.People {
		key := indexKey("people", i)
		pr := &person{idx: i, name: pc.Name, key: key}
		switch {
		case !identity.IsSlug(pc.Name):
			msg := fmt.Sprintf("%q: a person's name is lowercase letters, digits and '-', at most %d", pc.Name, identity.MaxSlug)
			if s := identity.Slug(pc.Name); s != "" && s != pc.Name {
				msg += fmt.Sprintf(" (like %q)", s)
			}
			c.fail(key+".name", "%s", msg)
		case byName[pc.Name] != "":
			c.fail(key+".name", "person %q is listed twice (also %s)", pc.Name, byName[pc.Name])
		case known[pc.Name] && !slices.Contains(pc.Devices, pc.Name):
			c.fail(key+".name", "%q is also a device's name: name the person differently (or list that device under them)", pc.Name)
		}
		byName[pc.Name] = key
		if pc.Group != "" {
			if g, ok := p.groups[pc.Group]; ok {
				pr.group = g
			} else {
				msg := fmt.Sprintf("no group %q", pc.Group)
				if hint := suggest.Closest(pc.Group, groupNames); hint != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", hint)
				}
				c.fail(key+".group", "%s; groups: %s", msg, strings.Join(groupNames, ", "))
			}
		}
		for j, dn := range pc.Devices {
			k := indexKey(key+".devices", j)
			l := strings.ToLower(strings.TrimSpace(dn))
			switch {
			case !known[l]:
				msg := fmt.Sprintf("no device %q in devices", dn)
				if hint := suggest.Closest(l, deviceNames); hint != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", hint)
				}
				c.fail(k, "%s", msg)
			case owners[l] != nil && owners[l] != pr:
				c.fail(k, "device %q already belongs to %s (%s): a device has one owner", dn, owners[l].name, owners[l].key)
			case owners[l] == pr:
				c.fail(k, "device %q is listed twice", dn)
			default:
				owners[l] = pr
			}
		}
		pr.budgets = c.budgets(key+".budgets", pc.Budgets)
		p.people = append(p.people, pr)
	}
	return owners
}

// ownerGroup settles a device's group with its owner's: the person's group
// unless the device names one; both named and different is an error.
func (c *compiler) ownerGroup(key, deviceGroup string, pr *person) (string, bool) {
	if pr == nil || pr.group == nil {
		return deviceGroup, true
	}
	if deviceGroup != "" && deviceGroup != pr.group.name {
		c.fail(key+".group", "%q, but its owner %s (%s) is in group %q: leave one of them out, or make them the same",
			deviceGroup, pr.name, pr.key, pr.group.name)
		return deviceGroup, false
	}
	return pr.group.name, true
}
