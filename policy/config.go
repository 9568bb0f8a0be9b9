package policy

import (
	"time"
)

// Config is the policy part of hearth.yaml: the household's zone and
// calendar, who the devices are, and what each group may do when. It is
// squashed into the top level of the file (timezone:, devices:, groups:, ...).
type Config struct {
	// Timezone is the household's IANA zone ("Europe/London"); every window
	// is read on its wall clock. The zone data is built in.
	Timezone string         `mapstructure:"timezone"`
	Calendar CalendarConfig `mapstructure:"calendar"`
	// Blocking is what every device has blocked, whatever its group, and
	// how blocked names are answered unless a group says otherwise.
	Blocking BlockingConfig `mapstructure:"blocking"`
	Help     HelpConfig     `mapstructure:"help"`
	Identify IdentifyConfig `mapstructure:"identify"`
	Devices  []DeviceConfig `mapstructure:"devices"`
	// People are the children (or anyone) who own devices: budgets count
	// per person across their devices.
	People []PersonConfig `mapstructure:"people"`
	// Groups by name (lowercase). "default" always exists: unknown devices
	// and devices without a group are in it.
	Groups map[string]GroupConfig `mapstructure:"groups"`
	// NewDevices says what devices nobody has named yet get.
	NewDevices NewDevicesConfig `mapstructure:"new_devices"`
	// Unfiltered says that a configuration which blocks nothing for anyone
	// is meant: without it, a running Hearth that filters refuses to reload
	// into one (an emptied or truncated file must not switch filtering off
	// for the children without a word).
	Unfiltered bool `mapstructure:"unfiltered"`
}

// Filters reports whether the configuration blocks or rewrites anything
// for anyone: a household block, a group's rules, bedtime, safe search or
// bypass protection, or a device's own block entries. (Help sites and allow
// entries only ever let names through.)
func (c *Config) Filters() bool {
	if len(c.Blocking.Block) > 0 {
		return true
	}
	for _, d := range c.Devices {
		if len(d.Block) > 0 {
			return true
		}
	}
	for _, p := range c.People {
		if len(p.Budgets) > 0 {
			return true
		}
	}
	for _, g := range c.Groups {
		if len(g.Rules) > 0 || len(g.Bedtime) > 0 || len(g.BedtimeHolidays) > 0 || g.BypassProtection || len(g.Budgets) > 0 ||
			g.SafeSearch != "" && g.SafeSearch != "off" {
			return true
		}
	}
	return false
}

// FirstStart reports whether the configuration chooses nothing to block
// and does not say `unfiltered: true`: a plain `hearth serve` with no file,
// the file `hearth config default` writes, or any file before the parent
// has finished setup. Such a configuration is not left open: the default
// group gets bypass protection (the catalogue's public DNS-over-HTTPS
// resolvers, iCloud Private Relay and Firefox's canary name), which needs
// no download, so that a device cannot leave the home's DNS before the
// parent has chosen what to block. The long-tail list of the bypass
// category is not fetched for it (see Categories).
func (c *Config) FirstStart() bool { return !c.Unfiltered && !c.Filters() }

// NewDevicesConfig is the household's setting for devices nobody has named
// yet (a new phone, a friend's tablet, a child's device with a new private
// address).
type NewDevicesConfig struct {
	// Group is the group whose rules they get: "default" (or "") is the
	// default group; a strict family picks "kids", so that a child who
	// changes address is still filtered. It must be a group of the file.
	Group string `mapstructure:"group"`
}

// CalendarConfig is the household calendar.
type CalendarConfig struct {
	// Holidays are date ranges ("2026-12-19..2027-01-04", or one day
	// "2027-05-31"), optionally followed by a label:
	// "2026-12-19..2027-01-04 christmas". On those days rules with holiday
	// windows use them.
	Holidays []string `mapstructure:"holidays"`
}

// BlockingConfig is the `blocking:` section.
type BlockingConfig struct {
	// Block names catalogue categories ("adult") and services ("tiktok"),
	// the categories of configured lists ("ads"), and domains, blocked for
	// every device at every hour.
	Block []string `mapstructure:"block"`
	// Response is how a blocked name is answered unless the device's group
	// sets block_response: "nxdomain", "null_ip" (0.0.0.0 and ::, other
	// types empty), "refused", or one or two addresses ("192.168.1.2",
	// "192.168.1.2,fd00::2") of a local page.
	Response string `mapstructure:"response"`
	// TTL of blocked answers: short, so a change of rules takes effect
	// quickly on devices that cache. A blocked answer for a name that a
	// window will allow later is given at most the time until then.
	TTL time.Duration `mapstructure:"ttl"`
}

// HelpConfig is the child-help allow list: names reachable from every device
// at every hour, whatever rule, bedtime or pause applies, and never journaled.
type HelpConfig struct {
	// Countries whose built-in help services are included ("gb", ...);
	// `hearth help-sites` lists them.
	Countries []string `mapstructure:"countries"`
	// Domains are further help sites (each with its subdomains).
	Domains []string `mapstructure:"domains"`
}

// IdentifyConfig says how queries are matched to devices.
type IdentifyConfig struct {
	// Neighbours: learn MAC addresses from the kernel's neighbour tables
	// (IPv4 ARP, IPv6 NDP), so a device keeps its identity across
	// changing addresses.
	Neighbours bool `mapstructure:"neighbours"`
	// Refresh is how often the neighbour tables and the lease file are
	// read again.
	Refresh time.Duration `mapstructure:"refresh"`
	// Leases is a dnsmasq lease file whose host names label devices
	// ("" for none).
	Leases string `mapstructure:"leases"`
	// Forwarders are the addresses of routers that forward their clients'
	// queries to Hearth with an EDNS0 MAC option (dnsmasq --add-mac) or
	// client subnet. Only their claims are believed: any other client
	// could put a MAC address in its query.
	Forwarders []string `mapstructure:"forwarders"`
}

// DeviceConfig is one device the family named.
type DeviceConfig struct {
	Name string `mapstructure:"name"`
	// IP holds addresses and prefixes ("192.168.1.40", "fd00::/64").
	IP []string `mapstructure:"ip"`
	// MAC holds hardware addresses ("3c:22:fb:12:34:56").
	MAC []string `mapstructure:"mac"`
	// Group is the device's group; "" is "default".
	Group string `mapstructure:"group"`
	// Allow and Block are the device's own entries (domains, services,
	// categories). Allow wins over every block of the group.
	Allow []string `mapstructure:"allow"`
	Block []string `mapstructure:"block"`
}

// GroupConfig is one group's policy.
type GroupConfig struct {
	// Rules are checked in order; the first that blocks the name decides.
	Rules []RuleConfig `mapstructure:"rules"`
	// Bedtime windows block everything except Allow and the help list.
	Bedtime []string `mapstructure:"bedtime"`
	// BedtimeHolidays replace Bedtime on holiday days, if set.
	BedtimeHolidays []string `mapstructure:"bedtime_holidays"`
	// Allow entries (domains, services) are never blocked for the group,
	// not by a rule, bedtime or a pause.
	Allow []string `mapstructure:"allow"`
	// SafeSearch: "off", "moderate" or "strict" (YouTube's two levels;
	// Google, Bing and DuckDuckGo are safe at both).
	SafeSearch string `mapstructure:"safe_search"`
	// BypassProtection blocks the ways round a DNS filter that DNS can
	// stop: browsers' own DNS-over-HTTPS, public DoH resolvers, iCloud
	// Private Relay.
	BypassProtection bool `mapstructure:"bypass_protection"`
	// BlockResponse overrides blocking.response for the group.
	BlockResponse string `mapstructure:"block_response"`
	// LogAllowed journals the group's allowed lookups too (off: only
	// blocked ones are kept). Help sites are never journaled.
	LogAllowed bool `mapstructure:"log_allowed"`
	// Budgets are daily minutes for categories or services, counted per
	// person (or per device nobody owns).
	Budgets []BudgetConfig `mapstructure:"budgets"`
}

// PersonConfig is one person (a child) and the devices they own.
type PersonConfig struct {
	// Name is a slug: lowercase letters, digits and '-'.
	Name string `mapstructure:"name"`
	// Devices are names of devices (hearth.yaml's or the dashboard's).
	Devices []string `mapstructure:"devices"`
	// Group is the group the person's devices get unless a device names
	// one itself (the same one: two different groups are an error); ""
	// leaves each device's own.
	Group string `mapstructure:"group"`
	// Budgets replace the group's budget for the same what.
	Budgets []BudgetConfig `mapstructure:"budgets"`
}

// BudgetConfig is daily minutes for some categories or services. Amounts
// are durations in whole minutes, 0 to 24h; a day uses the first that is
// set of holidays (a calendar holiday), weekends (Saturday, Sunday) or
// school_days (other days), then daily. A day with none set is not
// budgeted.
type BudgetConfig struct {
	What       []string       `mapstructure:"what"`
	Daily      *time.Duration `mapstructure:"daily"`
	SchoolDays *time.Duration `mapstructure:"school_days"`
	Weekends   *time.Duration `mapstructure:"weekends"`
	Holidays   *time.Duration `mapstructure:"holidays"`
}

// RuleConfig is one rule of a group.
type RuleConfig struct {
	// Block names categories, services, list categories and domains.
	Block []string `mapstructure:"block"`
	// Except names services and domains the rule leaves alone
	// ("gaming except minecraft").
	Except []string `mapstructure:"except"`
	// Outside: blocked except inside these windows. During: blocked only
	// inside these windows. Neither: blocked always. Not both.
	Outside []string `mapstructure:"outside"`
	During  []string `mapstructure:"during"`
	// Holidays replace Outside or During on the calendar's holiday days.
	Holidays []string `mapstructure:"holidays"`
}

// DefaultGroup is the group of named devices without a group, and of
// unknown devices unless new_devices.group names another.
const DefaultGroup = "default"
