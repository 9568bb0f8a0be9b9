package alerts

import "time"

// Household says who is who, for alerts.for and for batching by owner:
// each configured device's person and group, and each person's group. The
// app hands it over at start and after every reload (SetHousehold).
type Household struct {
	Devices map[string]Member // by device name
	People  map[string]string // person -> group ("" none)
}

// Member is a configured device's person ("" nobody's) and group.
type Member struct {
	Person, Group string
}

// route is what the query path needs for one configured device: its
// events, precomputed, and the owner its lookups are batched under.
type route struct {
	filter *eventFilter
	owner  string // the person, else the device's name
}

// routes is the events of every configured device, group and person,
// made once per configuration (never on the query path).
type routes struct {
	household *eventFilter
	byDevice  map[string]route
	byGroup   map[string]*eventFilter
	byPerson  map[string]*eventFilter
}

func newRoutes(cfg Config, h Household) *routes {
	r := &routes{household: newEventFilter(cfg.Events), byDevice: map[string]route{},
		byGroup: map[string]*eventFilter{}, byPerson: map[string]*eventFilter{}}
	groupEvents := func(g string) EventsConfig {
		e := cfg.Events
		if o, ok := cfg.For[g]; ok && g != "" {
			e = o.Apply(e)
		}
		return e
	}
	personEvents := func(p, g string) EventsConfig {
		e := groupEvents(g)
		if o, ok := cfg.For[p]; ok && p != "" {
			e = o.Apply(e)
		}
		return e
	}
	for g := range cfg.For {
		if _, person := h.People[g]; !person {
			r.byGroup[g] = newEventFilter(groupEvents(g))
		}
	}
	for p, g := range h.People {
		r.byPerson[p] = newEventFilter(personEvents(p, g))
	}
	for name, m := range h.Devices {
		rt := route{owner: name}
		switch {
		case m.Person != "":
			rt.owner = m.Person
			rt.filter = newEventFilter(personEvents(m.Person, m.Group))
		default:
			rt.filter = newEventFilter(groupEvents(m.Group))
		}
		r.byDevice[name] = rt
	}
	return r
}

// forLookup returns the events and the owner for a lookup (no allocation):
// a configured device's own; a device not configured goes by its group,
// and is its own owner.
func (r *routes) forLookup(l *Lookup) (*eventFilter, string) {
	if rt, ok := r.byDevice[l.Device]; ok && l.Device != "" {
		return rt.filter, rt.owner
	}
	if f, ok := r.byGroup[l.Group]; ok {
		return f, l.Device
	}
	return r.household, l.Device
}

// forOwner returns the events of an alert's owner: a device's, a person's,
// a group's (a budget of the devices nobody named), else the household's.
func (r *routes) forOwner(owner string) *eventFilter {
	if owner == "" {
		return r.household
	}
	if rt, ok := r.byDevice[owner]; ok {
		return rt.filter
	}
	if f, ok := r.byPerson[owner]; ok {
		return f
	}
	if f, ok := r.byGroup[owner]; ok {
		return f
	}
	return r.household
}

// SetHousehold gives the service the household's devices and people (at
// start and after a reload): alerts.for is applied through it, and blocked
// lookups are batched per person across their devices.
func (s *Service) SetHousehold(h Household) {
	s.routes.Store(newRoutes(s.cfg, h))
}

// SilentAfter is alerts.events.silent_device for a configured device (with
// alerts.for applied): how long it must not ask, online, to be told of (0:
// off). With device "" it is the longest of any, so 0 means the check is
// off for everyone.
func (s *Service) SilentAfter(device string) time.Duration {
	r := s.routes.Load()
	if device != "" {
		return r.forOwner(device).silentAfter
	}
	longest := r.household.silentAfter
	for _, rt := range r.byDevice {
		longest = max(longest, rt.filter.silentAfter)
	}
	return longest
}
