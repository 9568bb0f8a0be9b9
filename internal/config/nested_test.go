package config

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/policy"
)

// issueExample is the shape of configuration that devices and groups were
// made for: flow style, single values for lists, a map of groups.
const issueExample = `timezone: Europe/London
calendar: { holidays: ["2026-12-19..2027-01-04"] }
devices:
  - { name: alex-tablet, mac: "3c:22:fb:12:34:56", group: kids }
  - { name: sam-switch, ip: 192.168.1.40, group: kids }
groups:
  default: {}
  kids:
    rules:
      - { block: [adult, gambling] }
      - { block: [gaming], except: [minecraft], outside: ["mon-fri 16:00-19:00", "sat,sun 10:00-20:00"], holidays: ["daily 10:00-20:00"] }
    bedtime: ["sun-thu 21:30-07:00", "fri,sat 22:30-08:00"]
    allow: [school.example.org]
    safe_search: strict
    bypass_protection: true
    block_response: nxdomain
`

// decodeFile loads content as hearth.yaml up to, not including,
// validation (policy validation is tested in package policy), and returns
// the result with the problems as strings, the temporary directory removed.
func decodeFile(t *testing.T, content string, environ ...string) (layered, []string) {
	t.Helper()
	path := writeConfig(t, content)
	l, err := loadLayers(LoadOptions{File: path, Environ: env(environ...)})
	if err != nil {
		t.Fatalf("loadLayers: %v", err)
	}
	var ps []string
	for _, p := range l.problems {
		ps = append(ps, strings.ReplaceAll(p.Error(), filepath.Dir(path)+string(filepath.Separator), ""))
	}
	return l, ps
}

func TestIssueExampleDecodes(t *testing.T) {
	t.Parallel()
	l, ps := decodeFile(t, issueExample)
	if len(ps) != 0 || l.cfg == nil {
		t.Fatalf("problems: %v", ps)
	}
	p := l.cfg.Policy
	eq(t, "timezone", p.Timezone, "Europe/London")
	eq(t, "calendar.holidays", p.Calendar.Holidays, []string{"2026-12-19..2027-01-04"})
	eq(t, "devices", len(p.Devices), 2)
	eq(t, "devices[0].name", p.Devices[0].Name, "alex-tablet")
	eq(t, "devices[0].mac", p.Devices[0].MAC, []string{"3c:22:fb:12:34:56"})
	eq(t, "devices[0].group", p.Devices[0].Group, "kids")
	eq(t, "devices[1].ip", p.Devices[1].IP, []string{"192.168.1.40"})
	eq(t, "groups", len(p.Groups), 2)
	eq(t, "groups.default", p.Groups["default"], policy.GroupConfig{})
	kids := p.Groups["kids"]
	eq(t, "groups.kids.rules", len(kids.Rules), 2)
	eq(t, "groups.kids.rules[0].block", kids.Rules[0].Block, []string{"adult", "gambling"})
	eq(t, "groups.kids.rules[1].except", kids.Rules[1].Except, []string{"minecraft"})
	eq(t, "groups.kids.rules[1].outside", kids.Rules[1].Outside, []string{"mon-fri 16:00-19:00", "sat,sun 10:00-20:00"})
	eq(t, "groups.kids.rules[1].holidays", kids.Rules[1].Holidays, []string{"daily 10:00-20:00"})
	eq(t, "groups.kids.bedtime", kids.Bedtime, []string{"sun-thu 21:30-07:00", "fri,sat 22:30-08:00"})
	eq(t, "groups.kids.allow", kids.Allow, []string{"school.example.org"})
	eq(t, "groups.kids.safe_search", kids.SafeSearch, "strict")
	eq(t, "groups.kids.bypass_protection", kids.BypassProtection, true)
	eq(t, "groups.kids.block_response", kids.BlockResponse, "nxdomain")

	// The whole of Load adds policy validation, which is not this
	// package's; show what it says without failing on it.
	if _, _, err := Load(LoadOptions{File: writeConfig(t, issueExample), Environ: env()}); err != nil {
		t.Logf("policy validation of the example (not checked here):\n%v", err)
	}
}

func TestNestedLines(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, issueExample+`lists:
  sources:
    - {name: a, category: ads, domains: [a.example]}
    - name: b
      category: ads
      domains:
        - b.example
        - c.example
    - name: c
      category: ads
      url: https://example.org/list.txt
`)
	_, src, err := Load(LoadOptions{File: path, Environ: env()})
	if src.File != path {
		t.Fatalf("Load: %v", err)
	}
	for key, line := range map[string]int{
		"calendar.holidays[0]":             2,
		"devices[0]":                       4,
		"devices[0].mac":                   4,
		"devices[0].mac[0]":                4, // a single value: the key's line
		"devices[1].ip":                    5,
		"groups.default":                   7,
		"groups.kids":                      8,
		"groups.kids.rules":                9,
		"groups.kids.rules[0].block[1]":    10,
		"groups.kids.rules[1]":             11,
		"groups.kids.rules[1].outside[0]":  11,
		"groups.kids.rules[1].holidays[0]": 11,
		"groups.kids.rules[2]":             9, // no such item: its list
		"groups.kids.bedtime[1]":           12,
		"groups.kids.block_response":       16,
		"lists.sources[0].domains[0]":      19,
		"lists.sources[1]":                 20,
		"lists.sources[1].category":        21,
		"lists.sources[1].domains[1]":      24,
		"lists.sources[2].url":             27,
	} {
		want := path + ":" + strconv.Itoa(line)
		if got := src.Where(key); got != want {
			t.Errorf("Where(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestNestedLinesForgotten checks that when a later layer replaces a key,
// the file lines of what was inside its value are forgotten too.
func TestNestedLinesForgotten(t *testing.T) {
	t.Parallel()
	where := map[string]string{
		"groups":                    "f:1",
		"groups.kids":               "f:2",
		"groups.kids.rules[0]":      "f:3",
		"groups.kids.rules[0].x[1]": "f:3",
		"groups_other":              "f:9",
		"listen":                    "f:4",
		"listen[0]":                 "f:5",
	}
	clearItems(where, "groups")
	eq(t, "left", where, map[string]string{"groups": "f:1", "groups_other": "f:9", "listen": "f:4", "listen[0]": "f:5"})

	path := writeConfig(t, "listen:\n  - 127.0.0.1:1053\n  - 127.0.0.1:2053\n")
	_, src, err := Load(LoadOptions{File: path, Environ: env(), Flags: flags(t, "--listen", "127.0.0.1:3053,127.0.0.1:4053")})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Where(listen[1])", src.Where("listen[1]"), "flag --listen")
}

func TestSingleStringIsAList(t *testing.T) {
	t.Parallel()
	l, ps := decodeFile(t, `devices:
  - { name: a, ip: 192.168.1.40, mac: "3c:22:fb:12:34:56", allow: nintendo, block: roblox }
groups:
  kids:
    rules:
      - { block: gaming, except: minecraft, outside: "mon-fri 16:00-19:00" }
    bedtime: "sun-thu 21:30-07:00"
calendar:
  holidays: 2027-05-31
`)
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	d := l.cfg.Policy.Devices[0]
	eq(t, "ip", d.IP, []string{"192.168.1.40"})
	eq(t, "mac", d.MAC, []string{"3c:22:fb:12:34:56"})
	eq(t, "allow", d.Allow, []string{"nintendo"})
	eq(t, "block", d.Block, []string{"roblox"})
	r := l.cfg.Policy.Groups["kids"].Rules[0]
	eq(t, "rule", r, policy.RuleConfig{Block: []string{"gaming"}, Except: []string{"minecraft"}, Outside: []string{"mon-fri 16:00-19:00"}})
	eq(t, "bedtime", l.cfg.Policy.Groups["kids"].Bedtime, []string{"sun-thu 21:30-07:00"})
	eq(t, "holidays", l.cfg.Policy.Calendar.Holidays, []string{"2027-05-31"})
}

func TestNestedProblems(t *testing.T) {
	t.Parallel()
	const devices = "name, ip, mac, group, allow, block"
	const group = "rules, bedtime, bedtime_holidays, allow, safe_search, bypass_protection, block_response, log_allowed, budgets"
	const rule = "block, except, outside, during, holidays"
	tests := []struct {
		name string
		file string
		env  []string
		want []string // in order, exactly
	}{
		{
			name: "unknown key deep inside, with a suggestion",
			file: strings.Replace(issueExample, "], outside:", "], outsde:", 1),
			want: []string{`hearth.yaml:11: unknown key "groups.kids.rules[1].outsde" (did you mean "outside"?)`},
		},
		{
			name: "unknown key, nothing close",
			file: "devices:\n  - name: a\n    colour: red\n",
			want: []string{`hearth.yaml:3: unknown key "devices[0].colour"`},
		},
		{
			name: "keys inside items are case-sensitive",
			file: "devices:\n  - Name: a\n",
			want: []string{`hearth.yaml:2: unknown key "devices[0].Name" (did you mean "name"?)`},
		},
		{
			name: "unknown key in a list source",
			file: "lists:\n  sources:\n    - {name: a, category: ads, urll: https://example.org/a}\n",
			want: []string{`hearth.yaml:3: unknown key "lists.sources[0].urll" (did you mean "url"?)`},
		},
		{
			name: "list for a string",
			file: "devices:\n  - name: a\n    group: [kids]\n",
			want: []string{`hearth.yaml:3: devices[0].group: want a string, got ["kids"]`},
		},
		{
			name: "number for a string",
			file: "groups:\n  kids:\n    block_response: 5\n",
			want: []string{`hearth.yaml:3: groups.kids.block_response: want a string (put it in quotes), got 5`},
		},
		{
			name: "yes for a boolean",
			file: "groups:\n  kids: {bypass_protection: yes}\n",
			want: []string{`hearth.yaml:2: groups.kids.bypass_protection: want true or false, got "yes"`},
		},
		{
			name: "number for a list of strings",
			file: "devices:\n  - {name: a, ip: 5}\n",
			want: []string{`hearth.yaml:2: devices[0].ip: want a list of strings, such as [a, b], got 5`},
		},
		{
			name: "number in a list of strings",
			file: "devices:\n  - name: a\n    mac:\n      - 3c:22:fb:12:34:56\n      - 7\n",
			want: []string{`hearth.yaml:5: devices[0].mac[1]: want a string (put it in quotes), got 7`},
		},
		{
			name: "map for a list of strings",
			file: "groups:\n  kids:\n    rules:\n      - block: [gaming]\n        during: {mon: 1}\n",
			want: []string{`hearth.yaml:5: groups.kids.rules[0].during: want a list of strings, such as [a, b], got a map of mon`},
		},
		{
			name: "string for an item",
			file: "devices:\n  - alex-tablet\n",
			want: []string{`hearth.yaml:2: devices[0]: want a map of keys (` + devices + `), got "alex-tablet"`},
		},
		{
			name: "string for a list of rules",
			file: "groups:\n  kids:\n    rules: gaming\n",
			want: []string{`hearth.yaml:3: groups.kids.rules: want a list, each item a map of keys (` + rule + `), got "gaming"`},
		},
		{
			name: "number for a group",
			file: "groups:\n  kids: 5\n",
			want: []string{`hearth.yaml:2: groups.kids: want a map of keys (` + group + `), got 5`},
		},
		{
			name: "list for the groups",
			file: "groups: [kids]\n",
			want: []string{`hearth.yaml:1: groups: want a map of names, each to a map of keys (` + group + `), got ["kids"]`},
		},
		{
			name: "map for the devices",
			file: "devices:\n  alex: {ip: 10.0.0.2}\n",
			want: []string{`hearth.yaml:1: devices: want a list, each item a map of keys (` + devices + `), got a map of alex`},
		},
		{
			name: "group names are lowercase",
			file: "groups:\n  default: {}\n  Kids:\n    allow: [school.example.org]\n",
			want: []string{`hearth.yaml:3: groups.Kids: group names are lowercase (write kids)`},
		},
		{
			name: "key set twice inside an item",
			file: "devices:\n  - name: a\n    group: kids\n    name: b\n",
			want: []string{`hearth.yaml:4: devices[0].name is set twice (first on line 2)`},
		},
		{
			name: "group set twice",
			file: "groups:\n  kids: {}\n  kids: {}\n",
			want: []string{`hearth.yaml:3: groups.kids is set twice (first on line 2)`},
		},
		{
			name: "a group containing itself",
			file: "groups: &g\n  kids: *g\n",
			want: []string{`hearth.yaml:2: groups.kids contains itself (an alias of an enclosing anchor)`},
		},
		{
			name: "a group merging itself",
			file: "groups:\n  kids: &k\n    <<: *k\n",
			want: []string{`hearth.yaml:3: a map merges itself (<<: alias of its own anchor)`},
		},
		{
			name: "several, each once, at its own line",
			file: `devices:
  - { name: a, group: [kids] }
  - { name: b, mac: 7, colr: red }
groups:
  kids:
    rules:
      - { block: [adult] }
      - { block: [gaming, 5], outsde: [x] }
    safe_search: [strict]
`,
			want: []string{
				`hearth.yaml:3: unknown key "devices[1].colr"`,
				`hearth.yaml:8: unknown key "groups.kids.rules[1].outsde" (did you mean "outside"?)`,
				`hearth.yaml:2: devices[0].group: want a string, got ["kids"]`,
				`hearth.yaml:3: devices[1].mac: want a list of strings, such as [a, b], got 7`,
				`hearth.yaml:8: groups.kids.rules[1].block[1]: want a string (put it in quotes), got 5`,
				`hearth.yaml:9: groups.kids.safe_search: want a string, got ["strict"]`,
			},
		},
		{
			name: "no variable for devices, groups or lists.sources",
			file: "devices:\n  - {name: a, ip: 10.0.0.2}\n",
			env:  []string{"HEARTH_GROUPS=kids", "HEARTH_DEVICES=", "HEARTH_LISTS_SOURCES=x"},
			want: []string{
				`env HEARTH_GROUPS: groups: cannot be set by an environment variable; set it in the configuration file`,
				`env HEARTH_DEVICES: devices: cannot be set by an environment variable; set it in the configuration file`,
				`env HEARTH_LISTS_SOURCES: lists.sources: cannot be set by an environment variable; set it in the configuration file`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := decodeFile(t, tt.file, tt.env...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestNestedProblemsKeepTheRest checks that a wrong part is dropped (decoded
// as its zero value, indices kept) and everything else decoded, for
// validation to check.
func TestNestedProblemsKeepTheRest(t *testing.T) {
	t.Parallel()
	l, ps := decodeFile(t, `devices:
  - { name: a, group: [kids], ip: 10.0.0.2 }
  - just-a-name
  - { name: c, mac: [3c:22:fb:12:34:56, 7], colr: red }
groups:
  kids:
    rules:
      - { block: [adult] }
      - { block: [gaming], outside: {mon: 1}, except: [minecraft] }
    safe_search: [strict]
    allow: school.example.org
`, "HEARTH_DEVICES=x")
	if len(ps) != 7 {
		t.Errorf("problems: %v", ps)
	}
	p := l.cfg.Policy
	eq(t, "devices", p.Devices, []policy.DeviceConfig{
		{Name: "a", IP: []string{"10.0.0.2"}},
		{},
		{Name: "c", MAC: []string{"3c:22:fb:12:34:56", ""}},
	})
	kids := p.Groups["kids"]
	eq(t, "rules", kids.Rules, []policy.RuleConfig{
		{Block: []string{"adult"}},
		{Block: []string{"gaming"}, Except: []string{"minecraft"}},
	})
	eq(t, "safe_search", kids.SafeSearch, "")
	eq(t, "allow", kids.Allow, []string{"school.example.org"})
	eq(t, "default group kept", p.Groups["default"], policy.GroupConfig{})
	for _, key := range []string{"devices[0].group", "devices[1]", "devices[2].mac[1]", "groups.kids.rules[1].outside", "groups.kids.safe_search"} {
		if !l.bad[key] {
			t.Errorf("%s not among the wrong parts %v", key, l.bad)
		}
	}
}

// TestValidationSkipsWrongParts checks that a problem validation finds in a
// part already reported (and dropped) as a wrong type, or in the item that
// holds it, is not reported again.
func TestValidationSkipsWrongParts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ file, want string }{
		{ // not also "name: missing"
			"lists:\n  sources:\n    - {name: [a], category: ads, domains: [a.example]}\n",
			`hearth.yaml:3: lists.sources[0].name: want a string, got ["a"]`,
		},
		{ // not also "lists.sources[0]: set exactly one of url, file and domains"
			"lists:\n  sources:\n    - {name: a, category: ads, url: 5}\n",
			`hearth.yaml:3: lists.sources[0].url: want a string (put it in quotes), got 5`,
		},
	} {
		path := writeConfig(t, tt.file)
		_, _, err := Load(LoadOptions{File: path, Environ: env()})
		if got := problems(err, filepath.Dir(path)); !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("problems %q, want %q", got, tt.want)
		}
	}

	bad := map[string]bool{"devices[1]": true, "groups.kids.safe_search": true, "lists.sources": true}
	for key, want := range map[string]bool{
		"devices[1]":              true,
		"devices[1].name":         true,
		"devices[1].mac[0]":       true,
		"devices[10]":             false,
		"devices":                 false, // a schema key: its problems are its own
		"groups.kids.safe_search": true,
		"groups.kids":             true, // holds a dropped part
		"groups.teens":            false,
		"groups":                  false,
		"lists.sources[0]":        true,
		"lists":                   false,
	} {
		if got := followsFromBad(key, bad); got != want {
			t.Errorf("followsFromBad(%q) = %v", key, got)
		}
	}
}

func TestDatesAreText(t *testing.T) {
	t.Parallel()
	l, ps := decodeFile(t, "calendar:\n  holidays: [2027-05-31, \"2027-06-01..2027-06-02\", 2027-07-01 summer]\n")
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	eq(t, "holidays", l.cfg.Policy.Calendar.Holidays, []string{"2027-05-31", "2027-06-01..2027-06-02", "2027-07-01 summer"})
}
