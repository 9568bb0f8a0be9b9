package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/termsafe"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/words"
)

// `hearth explain`: what the policy decides for one name, for one device, at
// one time, and why, as the running server would decide it: the same
// configuration, the cached copies of the lists (never downloaded here) and
// the pauses and bonus time the server keeps in state_dir/overrides.json.

// explain's exit statuses. Here 1 means "blocked", so a script can ask
// `hearth explain ... && echo reachable`; everything that keeps explain from
// answering (the command line, the configuration, the state) is 2.
const (
	exitBlocked     = 1
	exitExplainFail = 2
)

// atLayouts are the local forms --at accepts besides RFC 3339, read in the
// household's zone.
var atLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

func newExplainCmd(a *app) *cobra.Command {
	var (
		file, device, client, at, person string
		asJSON                           bool
	)
	cmd := &cobra.Command{
		Use:   "explain (--device NAME | --client ADDRESS | --person NAME) [--at TIME] [--json] NAME",
		Short: "Tell whether a device may reach a name now (or at a given time), and why",
		Long: "explain decides NAME for a device as the running server would: the device's\n" +
			"group, its rules and windows, bedtime, allow and help sites, and the pauses and\n" +
			"bonus time in state_dir/overrides.json and the minutes used of daily budgets in\n" +
			"state_dir/budgets.json (read, never changed). Lists are read\n" +
			"from their cached copies; nothing is downloaded and no DNS is sent.\n\n" +
			"The device is its configured name (--device) or a client address (--client),\n" +
			"matched to the devices' ip entries. Devices known only by MAC address are\n" +
			"recognised by the server through the neighbour table, which explain does not\n" +
			"read: use --device for them. --person explains for each device of a person\n" +
			"(people: in hearth.yaml), one after another.\n\n" +
			"--at is the time to decide at, in the household's time zone unless it says\n" +
			"otherwise: \"2026-11-26 21:45\", \"2026-11-26T21:45\", \"21:45\" (today), or\n" +
			"RFC 3339 (\"2026-11-26T21:45:00Z\"). Default: now.\n\n" +
			"Exit status: 0 allowed (or rewritten to a safe-search endpoint), 1 blocked,\n" +
			"2 when explain cannot answer (command line, configuration, unknown device).",
		Example: "  hearth explain --device alex-tablet www.roblox.com\n" +
			"  hearth explain --client 192.168.1.40 --at \"2026-11-26 21:45\" example.com\n" +
			"  hearth explain --device alex-tablet --json discord.com\n" +
			"  hearth explain --person alex www.roblox.com",
		Args: cobra.ExactArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "config", "c", "",
		"configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml, else built-in defaults)")
	fl.StringVarP(&device, "device", "d", "", "the device, by its configured name")
	fl.StringVar(&client, "client", "", "the device, by the address its queries come from (e.g. 192.168.1.40)")
	fl.StringVar(&person, "person", "", "each device of a person (people: in hearth.yaml), with their daily budgets")
	fl.StringVar(&at, "at", "", "decide at this time (\"2026-11-26 21:45\", \"21:45\", RFC 3339); default now")
	fl.BoolVar(&asJSON, "json", false, "print the decision as JSON")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		fail := func(format string, v ...any) error {
			fmt.Fprintf(a.stderr, "hearth: "+format+"\n", v...)
			return exitStatus(exitExplainFail)
		}
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(args[0])), ".")
		if _, ok := dns.IsDomainName(name); !ok || name == "" {
			return fail("%q is not a domain name", args[0])
		}
		if n := btoi(device != "") + btoi(client != "") + btoi(person != ""); n != 1 {
			return fail("say whose query to explain: --device NAME, --client ADDRESS or --person NAME (one of them)")
		}
		var addr netip.Addr
		if client != "" {
			var err error
			if addr, err = netip.ParseAddr(strings.TrimSpace(client)); err != nil {
				return fail("--client %q is not an IP address", client)
			}
			addr = addr.Unmap()
		}

		// The lists, as serve compiles them from the cache.
		ls, cfg, err := a.openLists(a.loadOptions(file, nil))
		if err != nil {
			return exitStatus(exitExplainFail) // openLists has said what is wrong
		}
		compiled, err := ls.Compile()
		if err != nil {
			return fail("%v", err)
		}
		var notes []string
		for _, st := range ls.Status() {
			if st.URL != "" && st.LastUpdate.IsZero() {
				notes = append(notes, fmt.Sprintf("list %s has not been downloaded yet (hearth lists update): its entries were not checked", st.Name))
			}
		}

		// The time, on the household's clock.
		loc, err := time.LoadLocation(cfg.Policy.Timezone)
		if err != nil { // config.Load has validated it
			return fail("timezone: %v", err)
		}
		when := time.Now().In(loc)
		if at != "" {
			if when, err = parseExplainAt(at, when, loc); err != nil {
				return fail("%v", err)
			}
		}

		// The overrides as of that time: those that ended before it do not
		// matter, whatever the real clock says.
		overrides, err := state.OpenOverridesReadOnly(filepath.Join(cfg.StateDirectory(), state.OverridesFile), explainClock(when))
		if overrides == nil {
			return fail("pauses and bonus time: %v", err)
		}
		if err != nil {
			notes = append(notes, err.Error())
		}
		// The devices named on the dashboard, read the same way.
		assigned, err := state.OpenAssignmentsReadOnly(filepath.Join(cfg.StateDirectory(), state.AssignmentsFile))
		if assigned == nil {
			return fail("devices named on the dashboard: %v", err)
		}
		if err != nil {
			notes = append(notes, err.Error())
		}
		// The minutes used of daily budgets, read the same way.
		budgets, err := state.OpenBudgetsReadOnly(filepath.Join(cfg.StateDirectory(), state.BudgetsFile))
		if budgets == nil {
			return fail("daily budgets: %v", err)
		}
		if err != nil {
			notes = append(notes, err.Error())
		}
		engine, err := policy.NewEngine(cfg.Policy, policy.Options{
			Clock:          explainClock(when),
			Catalogue:      blocklists.Builtin(),
			ListCategories: cfg.ListCategories(),
			Overrides:      overrides,
			Assignments:    assigned,
			Budgets:        budgets,
		})
		if err != nil {
			return fail("%v", err)
		}
		engine.SetLists(compiled)

		// The device, then the decision.
		if client != "" {
			info := engine.Lookup(identity.ClientInfo{Addr: addr, Remote: addr})
			device = info.Device
			if device == "" {
				notes = append(notes, fmt.Sprintf("no device is configured with address %s: decided as an unknown device, in group %s", addr, info.Group))
				if devicesByMAC(cfg) {
					notes = append(notes, "the server also knows devices by MAC address, from the neighbour table, which explain cannot read: for those use --device NAME")
				}
			}
		} else if person != "" {
			devices, err := engine.PersonDevices(person)
			if err != nil {
				return fail("%v", err)
			}
			if len(devices) == 0 {
				return fail("%s has no devices (people: in hearth.yaml)", person)
			}
			return explainEach(a, engine, name, when, devices, cfg, overrides, notes, asJSON)
		} else if _, known := engine.HasDevice(device); !known {
			fmt.Fprintf(a.stderr, "hearth: no device %q in the configuration\n%s", device, knownDevices(cfg))
			return exitStatus(exitExplainFail)
		}
		d, err := engine.DecideFor(name, device, when)
		if err != nil {
			return fail("%v", err)
		}

		x := newExplained(name, when, addr, &d, cfg, overrides, notes)
		x.Budgets = engine.DecisionBudgets(&d, when)
		if asJSON {
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(x); err != nil {
				return fail("%v", err)
			}
		} else {
			x.print(termsafe.NewWriter(a.stdout), &d) // names come from the network: no terminal escapes
		}
		if d.Action == policy.Block {
			return exitStatus(exitBlocked)
		}
		return nil
	}
	return cmd
}

// explainEach explains name for each of a person's devices, one after
// another (as a JSON array with --json); blocked on any is exit status 1.
func explainEach(a *app, engine *policy.Engine, name string, when time.Time, devices []string, cfg *config.Config,
	overrides *state.Overrides, notes []string, asJSON bool) error {
	var xs []*explained
	blocked := false
	for i, dev := range devices {
		d, err := engine.DecideFor(name, dev, when)
		if err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitExplainFail)
		}
		x := newExplained(name, when, netip.Addr{}, &d, cfg, overrides, notes)
		x.Budgets = engine.DecisionBudgets(&d, when)
		xs = append(xs, x)
		blocked = blocked || d.Action == policy.Block
		if !asJSON {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			x.print(termsafe.NewWriter(a.stdout), &d)
		}
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(xs); err != nil {
			fmt.Fprintf(a.stderr, "hearth: %v\n", err)
			return exitStatus(exitExplainFail)
		}
	}
	if blocked {
		return exitStatus(exitBlocked)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseExplainAt reads --at: RFC 3339, or a local date and time ("2026-11-26 21:45",
// with T or a space, seconds optional) or a time of day ("21:45", today) in
// loc. now is the current time, for "today". A local time the clocks skip
// (spring forward) is an error; one they pass twice (autumn) is the first.
func parseExplainAt(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	var wall time.Time // the fields, read as UTC
	ok := false
	for _, layout := range atLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			wall, ok = t, true
			break
		}
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); !ok && err == nil {
			y, m, d := now.In(loc).Date()
			wall, ok = time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC), true
		}
	}
	if !ok {
		return time.Time{}, fmt.Errorf("--at %q: use \"2026-11-26 21:45\" or \"21:45\" (in %s), or RFC 3339 like \"2026-11-26T21:45:00Z\"", s, loc)
	}
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc)
	same := func(c time.Time) bool {
		return c.Day() == wall.Day() && c.Hour() == wall.Hour() && c.Minute() == wall.Minute()
	}
	if !same(t) {
		return time.Time{}, fmt.Errorf("--at %q: there is no such time in %s (the clocks go forward then)", s, loc)
	}
	// Go picks either instant of a repeated wall time: take the earlier.
	for _, back := range []time.Duration{2 * time.Hour, time.Hour, 30 * time.Minute} {
		if c := t.Add(-back); same(c) {
			return c, nil
		}
	}
	return t, nil
}

// explainClock is a clock stopped at the instant being explained.
type explainClock time.Time

func (c explainClock) Now() time.Time { return time.Time(c) }

// devicesByMAC reports whether some device is configured by MAC address.
func devicesByMAC(cfg *config.Config) bool {
	for _, d := range cfg.Policy.Devices {
		if len(d.MAC) > 0 {
			return true
		}
	}
	return false
}

// knownDevices lists the configured devices, one a line, for an error.
func knownDevices(cfg *config.Config) string {
	if len(cfg.Policy.Devices) == 0 {
		return "No devices are configured (devices: in hearth.yaml); use --client ADDRESS for an unknown device.\n"
	}
	var b strings.Builder
	b.WriteString("Known devices:\n")
	for _, d := range cfg.Policy.Devices {
		g := d.Group
		if g == "" {
			g = policy.DefaultGroup
		}
		fmt.Fprintf(&b, "  %s (group %s)\n", d.Name, g)
	}
	return b.String()
}

// explained is a Decision as `hearth explain --json` prints it.
type explained struct {
	Name     string             `json:"name"`
	At       time.Time          `json:"at"`
	Client   string             `json:"client,omitempty"`
	Action   string             `json:"action"` // allow, block, rewrite
	Reason   string             `json:"reason"` // policy.Reason's name: rule, bedtime, help...
	Summary  string             `json:"summary"`
	Device   string             `json:"device,omitempty"`
	Group    string             `json:"group"`
	Rule     string             `json:"rule,omitempty"`
	RuleText string             `json:"rule_text,omitempty"`
	Category string             `json:"category,omitempty"`
	Service  string             `json:"service,omitempty"`
	List     string             `json:"list,omitempty"`
	Entry    string             `json:"entry,omitempty"` // as a list writes it: "||roblox.com^"
	Window   string             `json:"window,omitempty"`
	Next     *time.Time         `json:"next,omitempty"` // in the household's zone
	Override *explainedOverride `json:"override,omitempty"`
	Target   string             `json:"target,omitempty"`   // rewrite: the safe endpoint
	Response string             `json:"response,omitempty"` // block: nxdomain, null_ip, refused or addresses
	TTL      uint32             `json:"ttl,omitempty"`      // block: seconds
	Quiet    bool               `json:"quiet,omitempty"`    // never logged (help sites)
	Help     string             `json:"help,omitempty"`     // help sites: the service
	// Budgets are the daily budgets the name counts against now: the one
	// used up (reason budget), or those running.
	Budgets []policy.BudgetStatus `json:"budgets,omitempty"`
	Notes   []string              `json:"notes,omitempty"`
}

// explainedOverride is the pause or bonus that decided.
type explainedOverride struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	Target string    `json:"target"`
	What   string    `json:"what,omitempty"`
	Until  time.Time `json:"until"`
	By     string    `json:"by,omitempty"`
}

func newExplained(name string, when time.Time, client netip.Addr, d *policy.Decision, cfg *config.Config,
	ovs *state.Overrides, notes []string) *explained {
	f := d.Facts()
	x := &explained{
		Name: name, At: when, Action: d.Action.String(), Reason: d.Reason.String(), Summary: words.Short(&f),
		Device: d.Device, Group: d.Group, Rule: d.Rule, RuleText: d.RuleText,
		Category: d.Category, Service: d.Service, List: d.List, Entry: d.EntryText(), Window: d.Window,
		Target: d.Target, Quiet: d.Quiet, Notes: notes,
	}
	if client.IsValid() {
		x.Client = client.String()
	}
	if !d.Next.IsZero() {
		next := d.Next.In(when.Location())
		x.Next = &next
	}
	if d.Action == policy.Block {
		x.TTL = d.TTL
		if d.Response != nil {
			x.Response = blockResponseText(*d.Response)
		}
	}
	if d.Override != "" && ovs != nil {
		for _, o := range ovs.Snapshot() {
			if o.ID == d.Override {
				x.Override = &explainedOverride{ID: o.ID, Kind: string(o.Kind), Target: o.Target(), What: o.What,
					Until: o.Until.In(when.Location()), By: o.By}
			}
		}
	}
	if d.Reason == policy.ReasonHelp {
		x.Help = helpSiteOf(d.Entry, cfg)
	}
	return x
}

// blockResponseText is a block response as blocking.response writes it.
func blockResponseText(r policy.Response) string {
	switch r.Kind {
	case policy.RespondNXDomain:
		return policy.ResponseNXDomain
	case policy.RespondNullIP:
		return policy.ResponseNullIP
	case policy.RespondRefused:
		return policy.ResponseRefused
	}
	var addrs []string
	for _, a := range []netip.Addr{r.V4, r.V6} {
		if a.IsValid() {
			addrs = append(addrs, a.String())
		}
	}
	return strings.Join(addrs, ",")
}

// helpSiteOf names the help service that entry (a help domain) belongs to:
// "Childline (gb, 0800 1111)", or "help.domains" for the household's own.
func helpSiteOf(entry string, cfg *config.Config) string {
	svcs, _ := policy.HelpServices(cfg.Policy.Help.Countries)
	for _, s := range svcs {
		for _, dom := range s.Domains {
			if dom == entry {
				if s.Phone != "" {
					return fmt.Sprintf("%s (%s, %s)", s.Name, s.Country, s.Phone)
				}
				return fmt.Sprintf("%s (%s)", s.Name, s.Country)
			}
		}
	}
	return "help.domains in hearth.yaml"
}

// print writes the decision for a parent: the outcome, then labelled lines.
func (x *explained) print(w io.Writer, d *policy.Decision) {
	f := d.Facts()
	fmt.Fprintln(w, words.Outcome(d.Action, d.Target))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(label, text string) {
		if text != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", label, text)
		}
	}
	who := "unknown device, group " + d.Group
	if d.Device != "" {
		who = d.Device + ", group " + d.Group
	}
	if x.Client != "" {
		who += " (client " + x.Client + ")"
	}
	line("device", who)
	line("at", x.At.Format("Mon 2006-01-02 15:04 MST"))
	line("why", words.Why(&f))
	line("rule", words.RuleLine(&f))
	if d.Window != "" && !strings.Contains(d.RuleText, d.Window) {
		line("windows", d.Window)
	}
	if d.Reason == policy.ReasonHelp {
		line("help site", x.Help+": "+d.Entry)
	} else {
		line("matched", words.Matched(&f))
	}
	if o := x.Override; o != nil {
		by := ""
		if o.By != "" {
			by = ", set by " + o.By
		}
		what := ""
		if o.What != "" {
			what = " for " + o.What
		}
		line(o.Kind, fmt.Sprintf("%s%s, %s, until %s%s", o.ID, what, o.Target, o.Until.Format("Mon 2006-01-02 15:04 MST"), by))
	}
	for _, b := range x.Budgets {
		text := fmt.Sprintf("%s (%s, %s; %d used, %d left", b.Text, b.Key, b.Day, b.Used, b.Left)
		if b.Bonus > 0 {
			text += fmt.Sprintf(", %d extra minutes", b.Bonus)
		}
		line("budget", text+fmt.Sprintf("; counts again from %s)", b.Until.In(x.At.Location()).Format("Mon 15:04")))
	}
	if x.Next != nil {
		line("next", fmt.Sprintf("changes at %s (in %s)", x.Next.Format("Mon 2006-01-02 15:04 MST"), explainUntilText(x.Next.Sub(x.At))))
	} else {
		line("next", "no scheduled change")
	}
	for _, n := range x.Notes {
		line("note", n)
	}
	_ = tw.Flush()
}

// explainUntilText is a duration as a parent reads it: 45s, 1h15m, 2d3h.
func explainUntilText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}
