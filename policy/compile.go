package policy

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/internal/suggest"
	"github.com/hearth-dns/hearth/policy/schedule"
)

// Block responses (blocking.response, groups.*.block_response). A value that
// is neither is one or two addresses of a local page.
const (
	ResponseNullIP   = "null_ip"
	ResponseNXDomain = "nxdomain"
	ResponseRefused  = "refused"
)

// ResponseKind is how a blocked name is answered.
type ResponseKind uint8

const (
	RespondNXDomain ResponseKind = iota
	RespondNullIP
	RespondRefused
	RespondAddress // V4 for A, V6 for AAAA (either may be invalid: no data)
)

var responseKindNames = [...]string{RespondNXDomain: ResponseNXDomain, RespondNullIP: ResponseNullIP, RespondRefused: ResponseRefused, RespondAddress: "address"}

func (k ResponseKind) String() string { return responseKindNames[k] }

// Response is a parsed block response.
type Response struct {
	Kind   ResponseKind
	V4, V6 netip.Addr
}

// ParseResponse parses a block response setting.
func ParseResponse(s string) (Response, error) {
	switch s {
	case ResponseNXDomain:
		return Response{Kind: RespondNXDomain}, nil
	case ResponseNullIP:
		return Response{Kind: RespondNullIP}, nil
	case ResponseRefused:
		return Response{Kind: RespondRefused}, nil
	}
	r := Response{Kind: RespondAddress}
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return Response{}, fmt.Errorf("%q: use nxdomain, null_ip, refused, or one IPv4 and/or one IPv6 address", s)
	}
	for _, p := range parts {
		a, err := netip.ParseAddr(strings.TrimSpace(p))
		if err != nil {
			return Response{}, fmt.Errorf("%q: use nxdomain, null_ip, refused, or the address of a local page (like 192.168.1.2)", s)
		}
		a = a.Unmap()
		switch {
		case a.Is4() && !r.V4.IsValid():
			r.V4 = a
		case a.Is6() && !r.V6.IsValid():
			r.V6 = a
		default:
			return Response{}, fmt.Errorf("%q: at most one IPv4 and one IPv6 address", s)
		}
	}
	return r, nil
}

// Validate returns every problem in c, each a *fielderr.Error naming its key
// ("groups.kids.rules[1].outside[0]"). listCategories are the categories of
// the configured lists, which rules may name like catalogue categories.
func (c Config) Validate(cat *blocklists.Catalogue, listCategories []string) []error {
	_, errs := compile(c, cat, listCategories)
	return errs
}

// Categories returns the catalogue categories the configuration blocks
// anywhere (household, groups, devices, bypass protection), whose public
// lists must therefore be downloaded. The bypass protection of a first
// start (Config.FirstStart) downloads nothing: it is written nowhere, so it
// is not counted here, and it blocks the catalogue's bypass services and
// Firefox's canary only.
func (c Config) Categories(cat *blocklists.Catalogue) []string {
	var out []string
	add := func(names []string) {
		for _, name := range names {
			if category, ok := cat.Category(name); ok && !slices.Contains(out, category.ID) {
				out = append(out, category.ID)
			}
		}
	}
	add(c.Blocking.Block)
	for _, name := range sortedGroupNames(c.Groups) {
		g := c.Groups[name]
		for _, r := range g.Rules {
			add(r.Block)
		}
		if g.BypassProtection {
			add([]string{bypassCategory, vpnCategory})
		}
	}
	for _, d := range c.Devices {
		add(d.Block)
	}
	return out
}

func sortedGroupNames(m map[string]GroupConfig) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func indexKey(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

// bypassCategory is the catalogue category that bypass_protection blocks.
const bypassCategory = "bypass"

// vpnCategory is the catalogue's VPN and proxy apps, which bypass_protection
// blocks too.
const vpnCategory = "vpn"

// canaryDomain: Firefox keeps its own DNS-over-HTTPS off when this name does
// not resolve (it must be NXDOMAIN, not 0.0.0.0).
const canaryDomain = "use-application-dns.net"

// compiler gathers the problems of one configuration while building its plan.
type compiler struct {
	cat      *blocklists.Catalogue
	listCats []string
	errs     []error
	dom      *blocklists.Builder
	nextDom  int
	domInfo  []string // per dom SourceID: the config key of its names
}

func (c *compiler) fail(key, format string, args ...any) {
	c.errs = append(c.errs, fielderr.New(key, format, args...))
}

// compile checks cfg and builds its plan. The plan is usable (nil only if
// the zone cannot be loaded) even when there are errors, but callers must
// not run with a configuration that has any.
func compile(cfg Config, cat *blocklists.Catalogue, listCats []string) (*plan, []error) {
	c := &compiler{cat: cat, listCats: listCats, dom: blocklists.NewBuilder(64)}
	p := &plan{cfg: cfg, groups: map[string]*group{}, byMAC: map[string]*device{}}

	loc, err := time.LoadLocation(cfg.Timezone)
	if cfg.Timezone == "" || cfg.Timezone == "Local" || err != nil {
		c.fail("timezone", "%q is not a time zone: use an IANA name like Europe/London or America/New_York", cfg.Timezone)
		loc = time.UTC
	}
	p.loc = loc
	p.cal = schedule.NewCalendar(loc)
	for i, h := range cfg.Calendar.Holidays {
		key := indexKey("calendar.holidays", i)
		spec, label, _ := strings.Cut(strings.TrimSpace(h), " ")
		r, err := schedule.ParseDateRange(spec)
		if err != nil {
			c.fail(key, "%v; write a range like 2026-12-19..2027-01-04, optionally followed by a label", err)
			continue
		}
		_ = p.cal.Add(strings.TrimSpace(label), r)
	}

	p.help = c.newDomSource("help")
	p.canary = c.newDomSource("bypass_protection")
	c.dom.Add(p.canary, blocklists.Entry{Name: canaryDomain, Subdomains: true})
	services, err := HelpServices(cfg.Help.Countries)
	if err != nil {
		c.fail("help.countries", "%v", err)
	}
	for _, s := range services {
		for _, d := range s.Domains {
			c.dom.Add(p.help, blocklists.Entry{Name: d, Subdomains: true})
		}
	}
	for i, d := range cfg.Help.Domains {
		name, err := normaliseDomain(d)
		if err != nil {
			c.fail(indexKey("help.domains", i), "%v", err)
			continue
		}
		c.dom.Add(p.help, blocklists.Entry{Name: name, Subdomains: true})
	}

	b := cfg.Blocking
	if p.response, err = ParseResponse(b.Response); err != nil {
		c.fail("blocking.response", "%v", err)
	}
	if b.TTL < 0 || b.TTL > time.Hour {
		c.fail("blocking.ttl", "%s is outside 0s..1h", b.TTL)
	}
	p.ttl = uint32(b.TTL / time.Second)
	if len(b.Block) > 0 {
		p.household = &rule{key: "blocking.block", mode: always, block: c.names("blocking.block", b.Block, true)}
		p.household.text = "block " + strings.Join(b.Block, ", ") + " for every device"
	}

	c.identify(p, cfg.Identify)

	groupNames := sortedGroupNames(cfg.Groups)
	if !slices.Contains(groupNames, DefaultGroup) {
		groupNames = append([]string{DefaultGroup}, groupNames...)
	}
	p.firstStart = cfg.FirstStart()
	for _, name := range groupNames {
		gc := cfg.Groups[name]
		if p.firstStart && name == DefaultGroup {
			gc.BypassProtection = true // see Config.FirstStart
		}
		g := c.group(p, name, gc)
		g.idx = len(p.groupList)
		p.groupList = append(p.groupList, g)
		p.groups[name] = g
	}
	p.deflt = p.groups[DefaultGroup]
	p.unknown = p.deflt
	if ng := cfg.NewDevices.Group; ng != "" && ng != DefaultGroup {
		if g, ok := p.groups[ng]; ok {
			p.unknown = g
		} else {
			c.fail("new_devices.group", "no group %q: the groups are %s", ng, strings.Join(groupNames, ", "))
		}
	}

	owners := c.people(p, cfg, groupNames)
	c.devices(p, cfg.Devices, groupNames, owners)

	if c.nextDom > blocklists.MaxSources {
		c.fail("devices", "too many separate domain lists (%d, at most %d): move domains into fewer groups", c.nextDom, blocklists.MaxSources)
		return p, c.errs
	}
	p.dom = c.dom.Build()
	p.domInfo = c.domInfo
	return p, c.errs
}

func (c *compiler) newDomSource(key string) blocklists.SourceID {
	id := blocklists.SourceID(c.nextDom % blocklists.MaxSources)
	c.nextDom++
	c.domInfo = append(c.domInfo, key)
	return id
}

func (c *compiler) identify(p *plan, id IdentifyConfig) {
	if id.Refresh < time.Second || id.Refresh > time.Hour {
		c.fail("identify.refresh", "%s is outside 1s..1h", id.Refresh)
	}
	for i, f := range id.Forwarders {
		pre, err := parsePrefix(f)
		if err != nil {
			c.fail(indexKey("identify.forwarders", i), "%v", err)
			continue
		}
		p.forwarders = append(p.forwarders, pre)
	}
}

// parsePrefix parses an address (as a single-address prefix) or a prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		pre, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or prefix (like 192.168.1.40 or fd00::/64)", s)
		}
		if pre.Addr().Is4In6() {
			pre = netip.PrefixFrom(pre.Addr().Unmap(), pre.Bits()-96)
		}
		return pre.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or prefix (like 192.168.1.40 or fd00::/64)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// names resolves a list of category, service and domain names. Domains go
// into a dom source of their own.
func (c *compiler) names(key string, list []string, categoriesOK bool) nameSet {
	var ns nameSet
	var domID blocklists.SourceID
	haveDom := false
	for i, raw := range list {
		k := indexKey(key, i)
		name := strings.ToLower(strings.TrimSpace(raw))
		if strings.Contains(name, ".") {
			d, err := normaliseDomain(name)
			if err != nil {
				c.fail(k, "%v", err)
				continue
			}
			if !haveDom {
				domID, haveDom = c.newDomSource(key), true
			}
			c.dom.Add(domID, blocklists.Entry{Name: d, Subdomains: true})
			ns.domains = append(ns.domains, d)
			continue
		}
		if slices.Contains(c.listCats, name) {
			ns.categories = append(ns.categories, name)
			continue
		}
		services, category, err := c.cat.Lookup(name)
		if err != nil {
			c.fail(k, "%v (a domain needs a dot, like example.com)", err)
			continue
		}
		if category != nil {
			if !categoriesOK {
				c.fail(k, "%q is a whole category; name services or domains here", name)
				continue
			}
			ns.categories = append(ns.categories, category.ID)
			continue
		}
		for _, s := range services {
			ns.services = append(ns.services, s.ID)
		}
	}
	if haveDom {
		ns.dom.Add(domID)
	}
	return ns
}

// normaliseDomain checks a domain entry written by a parent: any case, a
// leading "*." or a trailing dot are accepted and dropped.
func normaliseDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "*."), ".")
	if err := blocklists.CheckDomain(d); err != nil {
		return "", fmt.Errorf("%q is not a domain name like school.example.org: %v", s, err)
	}
	return d, nil
}

func (c *compiler) group(p *plan, name string, gc GroupConfig) *group {
	key := "groups." + name
	g := &group{name: name, response: p.response, ttl: p.ttl, bypass: gc.BypassProtection, logAll: gc.LogAllowed,
		allowKey: key + ".allow", bedtimeKey: key + ".bedtime", safeKey: key + ".safe_search"}
	if !validGroupName(name) {
		c.fail(key, "group name %q: use lowercase letters, digits and hyphens", name)
	}
	for i, rc := range gc.Rules {
		if r := c.rule(p, indexKey(key+".rules", i), rc); r != nil {
			g.rules = append(g.rules, r)
		}
	}
	if gc.BypassProtection {
		r := &rule{key: key + ".bypass_protection", mode: always, forceNX: true,
			block: nameSet{categories: []string{bypassCategory, vpnCategory}, dom: sourcesOf(p.canary)},
			text:  "bypass protection: public DNS-over-HTTPS resolvers, iCloud Private Relay, Firefox's canary, VPN and proxy apps"}
		if p.firstStart {
			r.text = "bypass protection until setup is finished: public DNS-over-HTTPS resolvers, iCloud Private Relay, Firefox's canary, VPN and proxy apps"
		}
		g.rules = append([]*rule{r}, g.rules...)
	}
	if len(gc.Bedtime) > 0 || len(gc.BedtimeHolidays) > 0 {
		g.bedtime = c.schedule(p, key+".bedtime", gc.Bedtime, key+".bedtime_holidays", gc.BedtimeHolidays)
	}
	g.allow = c.names(key+".allow", gc.Allow, true)
	g.budgets = c.budgets(key+".budgets", gc.Budgets)
	if !validSafeSearch(gc.SafeSearch) {
		c.fail(key+".safe_search", "%q: use off, moderate or strict", gc.SafeSearch)
	}
	g.safe = newSafeSearch(gc.SafeSearch)
	if gc.BlockResponse != "" {
		r, err := ParseResponse(gc.BlockResponse)
		if err != nil {
			c.fail(key+".block_response", "%v", err)
		}
		g.response = r
	}
	return g
}

func sourcesOf(id blocklists.SourceID) blocklists.Sources {
	var s blocklists.Sources
	s.Add(id)
	return s
}

func validGroupName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, ch := range s {
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

func (c *compiler) rule(p *plan, key string, rc RuleConfig) *rule {
	r := &rule{key: key}
	if len(rc.Block) == 0 {
		c.fail(key+".block", "a rule needs something to block: categories, services or domains")
		return nil
	}
	r.block = c.names(key+".block", rc.Block, true)
	r.except = c.names(key+".except", rc.Except, true)
	text := "block " + strings.Join(rc.Block, ", ")
	if len(rc.Except) > 0 {
		text += " except " + strings.Join(rc.Except, ", ")
	}
	switch {
	case len(rc.Outside) > 0 && len(rc.During) > 0:
		c.fail(key+".during", "a rule has outside or during windows, not both: split it into two rules")
		return nil
	case len(rc.Outside) > 0:
		r.mode = outside
		r.sched = c.schedule(p, key+".outside", rc.Outside, key+".holidays", rc.Holidays)
		text += " outside " + r.sched.text
	case len(rc.During) > 0:
		r.mode = during
		r.sched = c.schedule(p, key+".during", rc.During, key+".holidays", rc.Holidays)
		text += " during " + r.sched.text
	case len(rc.Holidays) > 0:
		c.fail(key+".holidays", "holiday windows replace outside or during windows; this rule has neither")
		return nil
	}
	r.text = text
	return r
}

// schedule parses a window list and its holiday replacement.
func (c *compiler) schedule(p *plan, key string, list []string, hkey string, hlist []string) *liveSchedule {
	ws := c.windows(key, list)
	s := schedule.NewSchedule(p.loc, ws)
	ls := &liveSchedule{list: ws, text: windowsText(ws)}
	if len(hlist) > 0 {
		hw := c.windows(hkey, hlist)
		s = s.WithHoliday(p.cal, hw)
		ls.holidayText = "holidays " + windowsText(hw)
		ls.cal = p.cal
	}
	ls.s = s
	return ls
}

func windowsText(ws []schedule.Window) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.String()
	}
	return strings.Join(parts, ", ")
}

func (c *compiler) windows(key string, list []string) []schedule.Window {
	var ws []schedule.Window
	var keys []string
	for i, s := range list {
		k := indexKey(key, i)
		w, err := schedule.ParseWindow(s)
		if err != nil {
			c.fail(k, "%v", err)
			continue
		}
		ws = append(ws, w)
		keys = append(keys, k)
	}
	for i := range ws {
		for j := i + 1; j < len(ws); j++ {
			if day, minute, ok := schedule.Overlap(ws[i], ws[j]); ok {
				c.fail(keys[j], "window %q overlaps %q (both cover %s %02d:%02d): merge them into one", ws[j], ws[i],
					schedule.DayName(day), minute/60, minute%60)
			}
		}
	}
	return ws
}

func (c *compiler) devices(p *plan, list []DeviceConfig, groups []string, owners map[string]*person) {
	names := map[string]int{}
	ips := map[netip.Prefix]int{}
	for i, dc := range list {
		key := indexKey("devices", i)
		d := &device{idx: i, name: dc.Name, key: key, allowKey: key + ".allow", blockKey: key + ".block"}
		switch {
		case dc.Name == "":
			c.fail(key+".name", "a device needs a name")
		case strings.ContainsAny(dc.Name, "\n\r\t"):
			c.fail(key+".name", "%q: a name on one line", dc.Name)
		default:
			if j, dup := names[strings.ToLower(dc.Name)]; dup {
				c.fail(key+".name", "device %q is listed twice (also devices[%d]): one entry per device, in one group", dc.Name, j)
			}
			names[strings.ToLower(dc.Name)] = i
		}
		gname, groupOK := dc.Group, true
		if pr := owners[strings.ToLower(dc.Name)]; pr != nil && dc.Name != "" {
			d.person = pr
			pr.devices = append(pr.devices, d)
			gname, groupOK = c.ownerGroup(key, dc.Group, pr)
		}
		if gname == "" {
			gname = DefaultGroup
		}
		if g, ok := p.groups[gname]; ok {
			d.group = g
		} else if !groupOK { // reported by ownerGroup
			d.group = p.groups[DefaultGroup]
		} else {
			msg := fmt.Sprintf("no group %q", gname)
			if hint := suggest.Closest(gname, groups); hint != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", hint)
			}
			c.fail(key+".group", "%s; groups: %s", msg, strings.Join(groups, ", "))
			d.group = p.groups[DefaultGroup]
		}
		// A device with neither ip nor mac is known by its name alone, over
		// DNS-over-TLS or DNS-over-HTTPS (deviceid.go); internal/config
		// refuses one when no encrypted listener is configured.
		for j, s := range dc.IP {
			k := indexKey(key+".ip", j)
			pre, err := parsePrefix(s)
			if err != nil {
				c.fail(k, "%v", err)
				continue
			}
			if other, dup := ips[pre]; dup {
				c.fail(k, "%s is also devices[%d]'s address: a device can be in one group only", pre, other)
				continue
			}
			ips[pre] = i
			p.byIP = append(p.byIP, ipDevice{pre, d})
		}
		for j, s := range dc.MAC {
			k := indexKey(key+".mac", j)
			mac, err := net.ParseMAC(strings.TrimSpace(s))
			if err != nil || len(mac) != 6 {
				c.fail(k, "%q is not a MAC address (like 3c:22:fb:12:34:56)", s)
				continue
			}
			if other, dup := p.byMAC[string(mac)]; dup {
				c.fail(k, "%s is also %s's MAC address: a device can be in one group only", mac, other.key)
				continue
			}
			p.byMAC[string(mac)] = d
			d.macs = append(d.macs, mac)
		}
		d.allow = c.names(key+".allow", dc.Allow, true)
		d.block = c.names(key+".block", dc.Block, true)
		p.devices = append(p.devices, d)
	}
	// Most specific prefix first, so 192.168.1.40 wins over 192.168.1.0/24.
	slices.SortStableFunc(p.byIP, func(a, b ipDevice) int { return b.prefix.Bits() - a.prefix.Bits() })
}
