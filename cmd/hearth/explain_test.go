package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/state"
)

// explainFixture is the household of the issue: Europe/London, two kids'
// devices, gaming and chat on windows, bedtime, an allow entry, holidays.
type explainFixture struct {
	path, stateDir string
}

func newExplainFixture(t *testing.T) *explainFixture {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	path := writeFile(t, fmt.Sprintf(`state_dir: %s
timezone: Europe/London
calendar:
  holidays: ["2026-12-19..2027-01-04"]
help:
  countries: [gb]
  domains: [help.example.net]
devices:
  - { name: alex-tablet, mac: "3c:22:fb:12:34:56", group: kids }
  - { name: sam-switch, ip: 192.168.1.40, group: kids }
groups:
  kids:
    rules:
      - { block: [gaming], except: [minecraft], outside: ["mon-fri 16:00-19:00", "sat,sun 10:00-20:00"], holidays: ["daily 10:00-20:00"] }
      - { block: [chat], outside: ["daily 07:00-21:00"] }
    bedtime: ["sun-thu 21:30-07:00", "fri,sat 22:30-08:00"]
    allow: [school.example.org]
    safe_search: strict
`, state))
	if err := os.MkdirAll(state, 0o700); err != nil { // as serve leaves it
		t.Fatal(err)
	}
	return &explainFixture{path: path, stateDir: state}
}

func (f *explainFixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, stdout, stderr := testApp()
	code := execute(context.Background(), a, append([]string{"explain", "--config", f.path}, args...))
	return code, stdout.String(), stderr.String()
}

// addOverride writes ov to the state directory's overrides.json as the
// server would, with the server's clock at now.
func (f *explainFixture) addOverride(t *testing.T, now time.Time, ov state.Override) state.Override {
	t.Helper()
	store, err := state.OpenOverrides(filepath.Join(f.stateDir, "overrides.json"), clocktest.New(now))
	if err != nil {
		t.Fatal(err)
	}
	ov, err = store.Add(ov)
	if err != nil {
		t.Fatal(err)
	}
	return ov
}

func explainLondon(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestExplain(t *testing.T) {
	t.Parallel()
	f := newExplainFixture(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings, in this order
		stderr []string
	}{
		{
			name: "gaming outside its windows", code: 1,
			args: []string{"--device", "alex-tablet", "--at", "2026-11-26 19:30", "roblox.com"},
			stdout: []string{"blocked\n", "device:   alex-tablet, group kids\n", "at:       Thu 2026-11-26 19:30 GMT\n",
				"why:      a rule of group kids blocks it\n",
				"rule:     groups.kids.rules[0]: block gaming except minecraft outside weekdays 16:00-19:00, weekends 10:00-20:00\n",
				"matched:  roblox (gaming), entry ||roblox.com^\n",
				"next:     changes at Thu 2026-11-26 21:30 GMT (in 2h)\n"},
		},
		{
			name: "except minecraft", code: 0,
			args:   []string{"--device", "alex-tablet", "--at", "2026-11-26 19:30", "minecraft.net"},
			stdout: []string{"allowed\n", "why:", "no rule blocks it\n", "next:", "changes at Thu 2026-11-26 21:30 GMT (in 2h)\n"},
		},
		{
			name: "device name in any case, trailing dot", code: 0,
			args:   []string{"--device", "Alex-Tablet", "--at", "2026-11-26 19:30", "MineCraft.NET."},
			stdout: []string{"allowed\n", "alex-tablet, group kids"},
		},
		{
			name: "by client address, inside the window", code: 0,
			args: []string{"--client", "192.168.1.40", "--at", "2026-11-26T17:30", "www.roblox.com"},
			stdout: []string{"allowed\n", "sam-switch, group kids (client 192.168.1.40)\n",
				"a rule blocks it at other times; its windows allow it now\n", "groups.kids.rules[0]",
				"changes at Thu 2026-11-26 19:00 GMT (in 1h30m)\n"},
		},
		{
			name: "by client address, blocked", code: 1,
			args:   []string{"--client", "192.168.1.40", "--at", "2026-11-26T19:30:00Z", "www.roblox.com"},
			stdout: []string{"blocked\n", "sam-switch, group kids (client 192.168.1.40)\n", "roblox (gaming)"},
		},
		{
			name: "unknown client", code: 0,
			args: []string{"--client", "192.168.1.77", "--at", "2026-11-26 19:30", "www.roblox.com"},
			stdout: []string{"allowed\n", "unknown device, group default (client 192.168.1.77)\n",
				"note:", "no device is configured with address 192.168.1.77", "note:", "MAC address", "--device NAME"},
		},
		{
			name: "bedtime", code: 1,
			args: []string{"--device", "alex-tablet", "--at", "2026-11-26 22:00", "example.com"},
			stdout: []string{"blocked\n", "bedtime: everything but allowed and help sites is blocked\n",
				"groups.kids.bedtime\n", "windows:", "22:30-08:00", "changes at Fri 2026-11-27 07:00 GMT (in 9h)\n"},
		},
		{
			name: "allowed at bedtime", code: 0,
			args:   []string{"--device", "alex-tablet", "--at", "2026-11-26 23:00", "www.school.example.org"},
			stdout: []string{"allowed\n", "on the allow list of group kids", "groups.kids.allow\n", "||school.example.org^"},
		},
		{
			name: "help site at bedtime", code: 0,
			args: []string{"--device", "alex-tablet", "--at", "2026-11-26 23:00", "www.childline.org.uk"},
			stdout: []string{"allowed\n", "why:", "a help site: always reachable, never logged\n",
				"help site:", "Childline (gb, 0800 1111): childline.org.uk\n"},
		},
		{
			name: "household help domain", code: 0,
			args:   []string{"--device", "sam-switch", "--at", "2026-11-26 23:00", "help.example.net"},
			stdout: []string{"allowed\n", "a help site", "help.domains in hearth.yaml: help.example.net\n"},
		},
		{
			name: "holiday windows", code: 1,
			args:   []string{"--device", "alex-tablet", "--at", "2026-12-21 09:00", "roblox.com"},
			stdout: []string{"blocked\n", "windows:", "daily 10:00-20:00", "changes at Mon 2026-12-21 10:00 GMT (in 1h)\n"},
		},
		{
			name: "safe search", code: 0,
			args:   []string{"--device", "alex-tablet", "--at", "2026-11-26 12:00", "www.google.com"},
			stdout: []string{"rewritten to forcesafesearch.google.com\n", "safe search", "groups.kids.safe_search"},
		},
		{
			name: "summer time", code: 1,
			args:   []string{"--device", "alex-tablet", "--at", "2026-07-01 22:00", "discord.com"},
			stdout: []string{"blocked\n", "Wed 2026-07-01 22:00 BST"},
		},
		{
			name: "unknown device", code: 2,
			args:   []string{"--device", "bob-phone", "example.com"},
			stderr: []string{`hearth: no device "bob-phone" in the configuration`, "Known devices:\n", "  alex-tablet (group kids)\n", "  sam-switch (group kids)\n"},
		},
		{
			name: "bad time", code: 2,
			args:   []string{"--device", "alex-tablet", "--at", "tomorrow", "example.com"},
			stderr: []string{`--at "tomorrow"`, "Europe/London", "RFC 3339"},
		},
		{
			name: "impossible date", code: 2,
			args:   []string{"--device", "alex-tablet", "--at", "2026-02-30 10:00", "example.com"},
			stderr: []string{`--at "2026-02-30 10:00"`},
		},
		{
			name: "no device nor client", code: 2,
			args:   []string{"example.com"},
			stderr: []string{"--device NAME, --client ADDRESS or --person NAME"},
		},
		{
			name: "device and client", code: 2,
			args:   []string{"--device", "alex-tablet", "--client", "192.168.1.40", "example.com"},
			stderr: []string{"--device NAME, --client ADDRESS or --person NAME"},
		},
		{
			name: "bad client", code: 2,
			args:   []string{"--client", "192.168.1", "example.com"},
			stderr: []string{`--client "192.168.1" is not an IP address`},
		},
		{
			name: "bad name", code: 2,
			args:   []string{"--device", "alex-tablet", "a..b"},
			stderr: []string{`"a..b" is not a domain name`},
		},
		{
			name: "no name", code: 2,
			args:   []string{"--device", "alex-tablet"},
			stderr: []string{"accepts 1 arg(s), received 0"},
		},
		{
			name: "unknown flag", code: 2,
			args:   []string{"--device", "alex-tablet", "--when", "21:00", "example.com"},
			stderr: []string{"unknown flag: --when"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := f.run(t, tt.args...)
			if code != tt.code {
				t.Errorf("status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			explainInOrder(t, "stdout", out, tt.stdout)
			containsAll(t, "stderr", errOut, tt.stderr...)
			if tt.code == 2 && out != "" {
				t.Errorf("stdout on failure:\n%s", out)
			}
		})
	}
}

// explainInOrder checks that out holds parts, each after the one before.
func explainInOrder(t *testing.T, what, out string, parts []string) {
	t.Helper()
	rest := out
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("%s lacks %q (in order):\n%s", what, p, out)
			return
		}
		rest = rest[i+len(p):]
	}
}

func TestExplainJSON(t *testing.T) {
	t.Parallel()
	f := newExplainFixture(t)
	code, out, errOut := f.run(t, "--device", "alex-tablet", "--at", "2026-11-26 19:30", "--json", "www.roblox.com")
	if code != 1 {
		t.Fatalf("status %d, want 1: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := map[string]any{
		"name": "www.roblox.com", "at": "2026-11-26T19:30:00Z", "action": "block", "reason": "rule",
		"device": "alex-tablet", "group": "kids", "rule": "groups.kids.rules[0]",
		"rule_text": "block gaming except minecraft outside weekdays 16:00-19:00, weekends 10:00-20:00",
		"category":  "gaming", "service": "roblox", "entry": "||roblox.com^",
		"window": "weekdays 16:00-19:00, weekends 10:00-20:00", "next": "2026-11-26T21:30:00Z",
		"response": "nxdomain", "ttl": 10.0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if s, _ := got["summary"].(string); !strings.Contains(s, "gaming/roblox") {
		t.Errorf("summary %q", s)
	}
	for k := range got {
		if k != strings.ToLower(k) || strings.Contains(k, "-") {
			t.Errorf("field %q is not lowercase snake_case", k)
		}
	}

	// A help site: allowed, quiet, named; in summer the times carry +01:00.
	code, out, _ = f.run(t, "--device", "alex-tablet", "--at", "2026-07-01 23:30", "--json", "www.childline.org.uk")
	if code != 0 {
		t.Fatalf("help site: status %d", code)
	}
	got = nil
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got["action"] != "allow" || got["reason"] != "help" || got["quiet"] != true ||
		got["help"] != "Childline (gb, 0800 1111)" || got["at"] != "2026-07-01T23:30:00+01:00" {
		t.Errorf("help site: %s", out)
	}
	if _, ok := got["response"]; ok {
		t.Errorf("an allowed name has a response: %s", out)
	}
}

func TestExplainOverrides(t *testing.T) {
	t.Parallel()
	f := newExplainFixture(t)
	// Thursday afternoon, the server's clock; a parent pauses the kids
	// until 20:00 and gives alex-tablet gaming bonus time until 21:00.
	now := explainLondon(t, "2026-11-26 18:00")
	pause := f.addOverride(t, now, state.Override{Kind: state.OverridePause, Group: "kids",
		Until: explainLondon(t, "2026-11-26 20:00"), By: "cli"})

	code, out, errOut := f.run(t, "--device", "sam-switch", "--at", "2026-11-26 19:00", "example.com")
	if code != 1 {
		t.Fatalf("paused: status %d, want 1\n%s%s", code, out, errOut)
	}
	explainInOrder(t, "paused", out, []string{"blocked\n", "why:", "paused until Thu 20:00",
		"pause:", pause.ID + ", group kids, until Thu 2026-11-26 20:00 GMT, set by cli\n",
		"changes at Thu 2026-11-26 20:00 GMT (in 1h)\n"})

	// The pause lets help and allowed sites through, and is over at 20:00.
	if code, out, _ := f.run(t, "--device", "sam-switch", "--at", "2026-11-26 19:00", "www.childline.org.uk"); code != 0 {
		t.Errorf("help site while paused: status %d\n%s", code, out)
	}
	if code, out, _ := f.run(t, "--device", "sam-switch", "--at", "2026-11-26 20:00", "example.com"); code != 0 || strings.Contains(out, "paused") {
		t.Errorf("after the pause: status %d\n%s", code, out)
	}
	// Before the pause was set it did not apply either.
	if code, out, _ := f.run(t, "--device", "sam-switch", "--at", "2026-11-26 17:00", "example.com"); code != 0 {
		t.Errorf("before the pause: status %d\n%s", code, out)
	}

	bonus := f.addOverride(t, now, state.Override{Kind: state.OverrideBonus, Device: "alex-tablet", What: "gaming",
		Until: explainLondon(t, "2026-11-26 21:00"), By: "dashboard"})
	code, out, _ = f.run(t, "--device", "alex-tablet", "--at", "2026-11-26 20:30", "www.roblox.com")
	if code != 0 {
		t.Errorf("bonus time: status %d, want 0\n%s", code, out)
	}
	explainInOrder(t, "bonus", out, []string{"allowed\n", "bonus time lifts the rule", "groups.kids.rules[0]",
		"bonus:", bonus.ID + " for gaming, device alex-tablet, until Thu 2026-11-26 21:00 GMT, set by dashboard\n",
		"changes at Thu 2026-11-26 21:00 GMT (in 30m)\n"})

	// explain only reads the store: the file still holds both overrides.
	store, err := state.OpenOverrides(filepath.Join(f.stateDir, "overrides.json"), clocktest.New(now))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(store.Snapshot()); n != 2 {
		t.Errorf("overrides.json holds %d overrides, want 2", n)
	}
}

func TestExplainDamagedOverrides(t *testing.T) {
	t.Parallel()
	f := newExplainFixture(t)
	path := filepath.Join(f.stateDir, "overrides.json")
	if err := os.MkdirAll(f.stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := f.run(t, "--device", "alex-tablet", "--at", "2026-11-26 12:00", "example.com")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errOut)
	}
	containsAll(t, "stdout", out, "note:", "overrides.json cannot be parsed: pauses and bonus time were not taken into account")
	if got, err := os.ReadFile(path); err != nil || string(got) != "{not json" {
		t.Errorf("explain changed overrides.json: %q, %v", got, err)
	}
}

func TestExplainBadConfig(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "timezone: Mars/Olympus\n")
	a, stdout, stderr := testApp()
	code := execute(context.Background(), a, []string{"explain", "--config", path, "--client", "127.0.0.1", "example.com"})
	if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "timezone") {
		t.Errorf("status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestParseExplainAt(t *testing.T) {
	t.Parallel()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Late on 2026-11-26 in New York is already the 27th in UTC.
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		loc  *time.Location
		want string // RFC 3339; "" for an error
	}{
		{"2026-11-26T21:45:00Z", london, "2026-11-26T21:45:00Z"},
		{"2026-11-26T21:45:00+01:00", london, "2026-11-26T20:45:00Z"},
		{"2026-11-26 21:45", london, "2026-11-26T21:45:00Z"},
		{"2026-11-26T21:45", london, "2026-11-26T21:45:00Z"},
		{"2026-07-01 21:45", london, "2026-07-01T21:45:00+01:00"},
		{" 2026-07-01 21:45:30 ", london, "2026-07-01T21:45:30+01:00"},
		{"21:45", london, "2026-11-27T21:45:00Z"},
		{"21:45", newYork, "2026-11-26T21:45:00-05:00"}, // today in the household's zone
		{"2026-11-26 21:45", newYork, "2026-11-26T21:45:00-05:00"},
		// DST: 01:30 on the autumn Sunday happens twice (the first, in
		// summer time, is taken); on the spring Sunday it never happens.
		{"2026-10-25 01:30", london, "2026-10-25T01:30:00+01:00"},
		{"2026-03-29 01:30", london, ""},
		{"2026-03-29 02:00", london, "2026-03-29T02:00:00+01:00"},
		{"tomorrow", london, ""},
		{"25:00", london, ""},
		{"2026-11-26", london, ""},
		{"", london, ""},
	}
	for _, tt := range tests {
		got, err := parseExplainAt(tt.in, now, tt.loc)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%q: %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if s := got.Format(time.RFC3339); s != tt.want {
			t.Errorf("%q in %s: %s, want %s", tt.in, tt.loc, s, tt.want)
		}
	}
}

func TestExplainUntilText(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 400 * time.Millisecond: "1s", 45 * time.Minute: "45m",
		time.Hour: "1h", 75 * time.Minute: "1h15m", 20*time.Hour + 30*time.Minute: "20h30m",
		50 * time.Hour: "2d2h", 72 * time.Hour: "3d",
	} {
		if got := explainUntilText(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
