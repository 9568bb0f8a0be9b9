package policy

import (
	"slices"
	"strings"
	"testing"
)

// TestHelpData checks that the embedded help.yaml loads and holds the
// services families in the UK must always be able to reach.
func TestHelpData(t *testing.T) {
	t.Parallel()
	h, err := parseHelp(helpYAML)
	if err != nil {
		t.Fatalf("embedded help.yaml:\n%v", err)
	}
	if builtinHelp() != builtinHelp() {
		t.Error("help.yaml is parsed more than once")
	}
	gb := map[string]string{}
	for _, s := range h.byCountry["gb"] {
		for _, d := range s.Domains {
			gb[d] = s.ID
		}
	}
	for _, want := range []struct{ id, domain string }{
		{"childline", "childline.org.uk"}, {"ceop", "ceop.police.uk"}, {"nspcc", "nspcc.org.uk"},
		{"samaritans", "samaritans.org"}, {"crimestoppers", "crimestoppers-uk.org"},
		{"thinkuknow", "thinkuknow.co.uk"},
	} {
		if gb[want.domain] != want.id {
			t.Errorf("gb: %s is not in service %q (got %q)", want.domain, want.id, gb[want.domain])
		}
	}
	for _, c := range h.countries {
		for _, s := range h.byCountry[c] {
			if s.Country != c {
				t.Errorf("%s/%s: Country = %q", c, s.ID, s.Country)
			}
		}
		t.Logf("%s: %d services", c, len(h.byCountry[c]))
	}
}

func TestHelpCountries(t *testing.T) {
	t.Parallel()
	got := HelpCountries()
	if !slices.IsSorted(got) || !slices.Contains(got, "gb") {
		t.Errorf("HelpCountries() = %v", got)
	}
	got[0] = "zz"
	if HelpCountries()[0] == "zz" {
		t.Error("HelpCountries returns the shared slice")
	}
}

func TestHelpServices(t *testing.T) {
	t.Parallel()
	svcs, err := HelpServices([]string{" GB ", "ie", "gb"})
	if err != nil {
		t.Fatal(err)
	}
	var countries []string
	for _, s := range svcs {
		if len(countries) == 0 || countries[len(countries)-1] != s.Country {
			countries = append(countries, s.Country)
		}
	}
	if !slices.Equal(countries, []string{"gb", "ie"}) {
		t.Errorf("countries in order %v, want [gb ie] (each once, in the order asked)", countries)
	}
	if svcs[0].ID != "childline" || svcs[0].Phone != "0800 1111" || svcs[0].Name == "" || svcs[0].Description == "" {
		t.Errorf("first gb service = %+v", svcs[0])
	}
	svcs[0].Domains[0] = "changed.example"
	if again, _ := HelpServices([]string{"gb"}); again[0].Domains[0] != "childline.org.uk" {
		t.Error("HelpServices returns the shared domain slices")
	}
	if svcs, err := HelpServices(nil); err != nil || len(svcs) != 0 {
		t.Errorf("HelpServices(nil) = %v, %v", svcs, err)
	}

	known := strings.Join(HelpCountries(), ", ")
	for _, tc := range []struct{ in, want string }{
		{"gbr", `unknown country "gbr"; known: ` + known + ` (did you mean "gb"?)`},
		{"uk", `unknown country "uk"; known: ` + known + ` (did you mean "gb"?)`},
		{"USA", `unknown country "USA"; known: ` + known + ` (did you mean "us"?)`},
		{"irl", `unknown country "irl"; known: ` + known + ` (did you mean "ie"?)`},
		{"fr", `unknown country "fr"; known: ` + known},
		{"", `unknown country ""; known: ` + known},
	} {
		svcs, err := HelpServices([]string{"gb", tc.in})
		if err == nil || err.Error() != tc.want {
			t.Errorf("HelpServices(gb, %q): error %v\nwant %s", tc.in, err, tc.want)
		}
		if len(svcs) == 0 || svcs[0].Country != "gb" {
			t.Errorf("HelpServices(gb, %q) dropped gb's services", tc.in)
		}
	}
}

func TestParseHelpErrors(t *testing.T) {
	t.Parallel()
	const ok = "    - {id: a, name: A, description: D, domains: [a.example]}\n"
	for _, tc := range []struct {
		name string
		yaml string
		want []string // substrings, each in one of the joined errors
	}{
		{"unknown top key", "countrys: {}\n", []string{"field countrys not found"}},
		{"unknown service key", "countries:\n  gb:\n    - {id: a, name: A, description: D, domains: [a.example], url: x}\n",
			[]string{"field url not found"}},
		{"no countries", "countries: {}\n", []string{"help: countries: none"}},
		{"bad country", "countries:\n  UK:\n" + ok + "  gbr:\n" + ok,
			[]string{`country "UK": use a lowercase ISO 3166`, `country "gbr": use a lowercase ISO 3166`}},
		{"no services", "countries:\n  gb: []\n", []string{`country "gb": no services`}},
		{"duplicate id", "countries:\n  gb:\n" + ok + "    - {id: a, name: B, description: D, domains: [b.example]}\n",
			[]string{"gb/a: id used twice"}},
		{"bad id", "countries:\n  gb:\n    - {id: Child_Line, name: A, description: D, domains: [a.example]}\n",
			[]string{`id "Child_Line": use lowercase`}},
		{"missing fields", "countries:\n  gb:\n    - {phone: '0800 x'}\n",
			[]string{"gb #1: no id", "gb #1: no name", "gb #1: no description", `phone "0800 x"`, "gb #1: no domains"}},
		{"bad domains", "countries:\n  gb:\n    - {id: a, name: A, description: D, domains: " +
			"[Childline.org.uk, .a.example, '*.b.example', c.example., uk, 'd..example', 1.2.3.4, 'ä.example']}\n",
			[]string{`"Childline.org.uk": not lowercase`, `".a.example": leading dot`, `"*.b.example": wildcard`,
				`"c.example.": trailing dot`, `"uk": a single label`, `"d..example": empty label`,
				`"1.2.3.4": numeric top-level label`, `label "ä": use a-z`}},
		{"duplicate domain", "countries:\n  gb:\n" + ok + "    - {id: b, name: B, description: D, domains: [a.example]}\n",
			[]string{`gb/b: domain "a.example" is also listed for a`}},
		{"covered domain", "countries:\n  gb:\n" + ok + "    - {id: b, name: B, description: D, domains: [www.a.example]}\n",
			[]string{`gb/b: domain "www.a.example" is already covered by "a.example" (a)`}},
	} {
		_, err := parseHelp([]byte(tc.yaml))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not mention %q:\n%v", tc.name, w, err)
			}
		}
	}
	// The same domain in two countries is fine (Samaritans serve the UK
	// and Ireland).
	if _, err := parseHelp([]byte("countries:\n  gb:\n" + ok + "  ie:\n" + ok)); err != nil {
		t.Errorf("same service in two countries: %v", err)
	}
}

func TestHelpPhone(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"0800 1111": true, "116 123": true, "1-800-843-5678": true, "+44 800 1111": true, "988": true,
		"": false, "+": false, "0800  1111": false, "0800 ": false, "-1": false, "0800 x": false, "(0800)": false,
	} {
		if got := isHelpPhone(s); got != want {
			t.Errorf("isHelpPhone(%q) = %v, want %v", s, got, want)
		}
	}
}
