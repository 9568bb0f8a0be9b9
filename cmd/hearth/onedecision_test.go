package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
)

// oneDecisionConfig is a family: two children in "kids" (bedtime, game
// time after school and at weekends, game time all day in the holidays,
// chat and ads always blocked; one of them also has TikTok blocked on the
// device itself), a teenager whose social apps are blocked in school hours,
// and unknown devices with no rules.
const oneDecisionConfig = `listen: ["127.0.0.1:0"]
allow_clients: ["127.0.0.0/8"]
state_dir: %q
upstreams: {servers: [%q]}
timezone: Europe/London
identify: {neighbours: false}
calendar: {holidays: ["2026-12-19..2027-01-04 christmas"]}
lists:
  sources:
    - {name: my-ads, category: ads, domains: ["||ads.example^"]}
devices:
  - {name: alex-tablet, ip: 127.0.0.2, group: kids}
  - {name: sam-switch, ip: 127.0.0.3, group: kids, block: [tiktok]}
  - {name: teen-phone, ip: 127.0.0.4, group: teens}
groups:
  kids:
    bedtime: ["sun-thu 21:30-07:00", "fri,sat 22:30-08:00"]
    rules:
      - {block: [gaming], outside: ["mon-fri 16:00-19:00", "sat,sun 10:00-20:00"], holidays: ["daily 10:00-20:00"]}
      - {block: [chat, ads]}
  teens:
    rules:
      - {block: [social], during: ["mon-fri 09:00-15:30"]}
    budgets:
      - {what: [tiktok], daily: 0m}
web: {enabled: false}
`

// TestOneDecisionEverywhere checks, for a grid of devices x names x
// instants (school days and weekends, bedtime, midnight, a holiday, both
// DST changes, a pause), that the DNS answer, `hearth explain`, GET
// /api/status and the dashboard's Now page tell the same story:
//   - DNS blocks a name exactly when `hearth explain` says blocked, and the
//     EDE text is explain's summary;
//   - the Now page shows each device in the state /api/status gives it;
//   - that state agrees with DNS: paused or bedtime blocks every name but
//     help sites; open blocks none; whatever a rule or the device blocks
//     is in the status's "blocked" list.
func TestOneDecisionEverywhere(t *testing.T) {
	up := dnstest.NewServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, oneDecisionConfig, dir, "udp://"+up.Addr), 0o600); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	local := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}

	// The running pieces, as internal/app puts them together, on one fake
	// clock; the state lives in state_dir, where explain reads it too.
	clk := clocktest.New(local("2026-03-27 12:00"))
	overrides, err := state.OpenOverrides(filepath.Join(dir, state.OverridesFile), clk)
	if err != nil {
		t.Fatal(err)
	}
	_, engine, srv := startStack(t, path, clk, policy.Options{Overrides: overrides})
	dnsAddr := srv.Addrs()[0].String()

	const password = "one-decision-secret"
	get := startDashboard(t, engine, dir, clk, password).get

	devices := []struct{ name, addr string }{
		{"alex-tablet", "127.0.0.2"}, {"sam-switch", "127.0.0.3"}, {"teen-phone", "127.0.0.4"}, {"", "127.0.0.9"},
	}
	names := []string{"www.roblox.com", "discord.com", "www.tiktok.com", "ads.example", "example.org", "www.childline.org.uk"}
	instants := []struct {
		what  string
		at    time.Time
		pause string          // a device paused for the half hour from the instant
		add   []state.Request // asked for at the instant, as the dashboard asks
	}{
		{"before the spring DST change", utc("2026-03-29T00:59:00Z"), "", nil},
		{"after the spring DST change (Sunday 02:00 BST)", utc("2026-03-29T01:00:00Z"), "", nil},
		{"first 01:30 of the autumn DST change (BST)", utc("2026-10-25T00:30:00Z"), "", nil},
		{"second 01:30 of the autumn DST change (GMT)", utc("2026-10-25T01:30:00Z"), "", nil},
		{"school morning", local("2026-11-30 10:00"), "", nil},
		{"game time", local("2026-11-30 17:00"), "", nil},
		{"game time, one child paused", local("2026-11-30 17:20"), "alex-tablet", nil},
		{"a device pause overlapping the group's", local("2026-11-30 18:00"), "", []state.Request{
			{Kind: state.OverridePause, Device: "alex-tablet", Minutes: 45},
			{Kind: state.OverridePause, Group: "kids", Minutes: 20},
		}},
		{"18:55, bonus time before the 19:00 cut-off", local("2026-11-30 18:55"), "", []state.Request{
			{Kind: state.OverrideBonus, Device: "sam-switch", What: "gaming", Minutes: 30},
		}},
		{"19:10, after the cut-off, in the bonus time", local("2026-11-30 19:10"), "", nil},
		{"evening before bedtime", local("2026-11-30 21:00"), "", nil},
		{"three minutes before bedtime", local("2026-11-30 21:27"), "", nil},
		{"bedtime", local("2026-11-30 21:45"), "", nil},
		{"midnight", local("2026-12-01 00:00"), "", nil},
		{"Thursday 21:40, bedtime 30 minutes later", local("2026-12-03 21:40"), "", []state.Request{
			{Kind: state.OverrideLaterBedtime, Group: "kids", Minutes: 30},
		}},
		{"Thursday 21:50, an early bedtime for the teen", local("2026-12-03 21:50"), "", []state.Request{
			{Kind: state.OverrideEarlyBedtime, Device: "teen-phone"},
		}},
		{"Friday late, bedtime later", local("2026-12-04 22:00"), "", nil},
		{"Saturday morning", local("2026-12-05 10:30"), "", nil},
		{"holiday Monday morning", local("2026-12-21 10:30"), "", nil},
	}

	states := map[string]int{}   // how often each state was seen: the grid must cover them all
	outcomes := map[string]int{} // explain's action x reason
	nowCard := regexp.MustCompile(`<section class="card state-([a-z]+)" id="dev-\d+" aria-labelledby="[^"]+">\s*<h2 id="[^"]+">([^<]+)</h2>\s*<p class="meta">[^<]*</p>\s*<p class="state"><span class="badge">([^<]+)</span>`)
	for _, in := range instants {
		clk.Set(in.at)
		if in.pause != "" {
			if _, err := engine.Overrides().Add(state.Override{Kind: state.OverridePause, Device: in.pause, Until: in.at.Add(30 * time.Minute), By: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, req := range in.add {
			ov, err := engine.CheckOverride(req, in.at)
			if err == nil {
				_, err = engine.Overrides().Add(ov)
			}
			if err != nil {
				t.Fatalf("%s: %+v: %v", in.what, req, err)
			}
		}
		// /api/status and the Now page, once per instant.
		var status struct {
			Devices []policy.DeviceStatus `json:"devices"`
		}
		if err := json.Unmarshal(get("/api/status"), &status); err != nil {
			t.Fatal(err)
		}
		api := map[string]policy.DeviceStatus{}
		for _, d := range status.Devices {
			api[d.Name] = d
		}
		page, badge := map[string]string{}, map[string]string{}
		for _, m := range nowCard.FindAllStringSubmatch(string(get("/now")), -1) {
			name := m[2]
			if name == "Unknown devices" {
				name = ""
			}
			page[name], badge[name] = m[1], m[3]
		}

		for _, dev := range devices {
			label := dev.name
			if label == "" {
				label = "an unknown device"
			}
			st, ok := api[dev.name]
			if !ok {
				t.Fatalf("%s: /api/status has no %s", in.what, label)
			}
			states[st.State]++
			if page[dev.name] != st.State {
				t.Errorf("%s, %s: the Now page says %q, /api/status %q", in.what, label, page[dev.name], st.State)
			}
			// Paused or at bedtime, the status's end is the instant DNS's
			// decision changes (explain's next), and the Now page says it.
			if st.State == "paused" || st.State == "bedtime" {
				x, _ := explainJSON(t, path, dev.addr, in.at, "example.org")
				if x.Next == nil || !x.Next.Equal(st.Until) {
					t.Errorf("%s, %s: %s until %v, but explain's next change is %v (%s)", in.what, label, st.State, st.Until, x.Next, x.Summary)
				}
				if want := st.Until.In(loc).Format("15:04"); !strings.Contains(badge[dev.name], want) {
					t.Errorf("%s, %s: the Now page says %q, want the end %s", in.what, label, badge[dev.name], want)
				}
			}
			blockedAny := false
			for _, name := range names {
				what := fmt.Sprintf("%s, %s, %s", in.what, label, name)
				m := askFrom(t, dev.addr, dnsAddr, dns.Fqdn(name))
				ede := edeText(m)
				dnsBlocked := ede != ""

				x, code := explainJSON(t, path, dev.addr, in.at, name)
				if explainBlocked := code == exitBlocked; explainBlocked != dnsBlocked {
					t.Errorf("%s: DNS blocked %v (rcode %s, EDE %q), explain %s (%s)", what, dnsBlocked, dns.RcodeToString[m.Rcode], ede, x.Action, x.Summary)
					continue
				}
				if dnsBlocked && ede != "hearth: "+x.Summary {
					t.Errorf("%s: EDE %q, explain's summary %q", what, ede, x.Summary)
				}
				if x.Device != dev.name || x.Group != st.Group {
					t.Errorf("%s: explain decided for %q in %q, the status is of %q in %q", what, x.Device, x.Group, st.Name, st.Group)
				}
				// No answer outlives the decision: an allowed answer's TTL
				// stops at explain's next change (bedtime, a window).
				if !dnsBlocked && st.Group == "kids" && x.Reason != "help" && in.at.Equal(local("2026-11-30 21:27")) &&
					(x.Next == nil || !x.Next.Equal(local("2026-11-30 21:30"))) {
					t.Errorf("%s: allowed three minutes before bedtime, next change %v, want 21:30", what, x.Next)
				}
				if !dnsBlocked && x.Next != nil {
					limit := uint32((x.Next.Sub(in.at) + time.Second - 1) / time.Second)
					for _, rr := range m.Answer {
						if rr.Header().Ttl > limit {
							t.Errorf("%s: TTL %d outlives the next change at %v (%ds)", what, rr.Header().Ttl, x.Next, limit)
						}
					}
				}
				blockedAny = blockedAny || dnsBlocked
				outcomes[x.Action+" "+x.Reason]++
				switch {
				case (st.State == "paused" || st.State == "bedtime") && !dnsBlocked && x.Reason != "help":
					t.Errorf("%s: state %s, yet DNS answered (%s)", what, st.State, x.Summary)
				case dnsBlocked && (x.Reason == "rule" || x.Reason == "device") && !slices.ContainsFunc(st.Blocked, func(w string) bool {
					return w == x.Category || w == x.Service || w == strings.TrimSuffix(strings.TrimPrefix(x.Entry, "||"), "^")
				}):
					t.Errorf("%s: blocked by %s (%s), but /api/status lists only %v as blocked", what, x.Rule, x.Summary, st.Blocked)
				}
			}
			if st.State == "open" && blockedAny {
				t.Errorf("%s, %s: the status says open, yet DNS blocked a name", in.what, label)
			}
		}
	}
	for _, s := range []string{"paused", "bedtime", "limited", "open"} {
		if states[s] == 0 {
			t.Errorf("no device was %s at any instant of the grid: %v", s, states)
		}
	}
	for _, o := range []string{"block pause", "block bedtime", "block rule", "block device", "allow window", "allow none", "allow help", "allow bonus", "block budget"} {
		if outcomes[o] == 0 {
			t.Errorf("no lookup of the grid was %q: %v", o, outcomes)
		}
	}
	t.Logf("states %v; outcomes %v", states, outcomes)
}

// explainJSON runs `hearth explain --json` for the client at the instant,
// in process, and returns what it printed and its exit status.
func explainJSON(t *testing.T, path, addr string, at time.Time, name string) (explained, int) {
	t.Helper()
	a, stdout, stderr := testApp()
	code := execute(context.Background(), a, []string{"explain", "--config", path, "--client", addr, "--at", at.Format(time.RFC3339), "--json", name})
	var x explained
	if code == exitExplainFail || json.Unmarshal(stdout.Bytes(), &x) != nil {
		t.Fatalf("explain --client %s --at %s %s: exit %d\n%s%s", addr, at.Format(time.RFC3339), name, code, stdout, stderr)
	}
	return x, code
}
