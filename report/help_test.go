package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/policy"
)

func TestHelpGB(t *testing.T) {
	t.Parallel()
	help, err := helpFor(nil) // the default: gb
	if err != nil {
		t.Fatal(err)
	}
	if len(help) != 1 || help[0].Country != "gb" {
		t.Fatalf("default help = %+v, want gb", help)
	}
	type entry struct{ name, phone, web string }
	var got []entry
	for _, e := range help[0].Entries {
		got = append(got, entry{e.Name, e.Phone, e.Web})
		if e.Description == "" {
			t.Errorf("%s has no description", e.Name)
		}
	}
	want := []entry{
		{"Emergency", "999", ""},
		{"Police, not an emergency", "101", ""},
		{"Crimestoppers", "0800 555 111", "crimestoppers-uk.org"},
		{"Childline", "0800 1111", "childline.org.uk"},
		{"CEOP Safety Centre", "", "ceop.police.uk"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("gb help:\n got %v\nwant %v", got, want)
	}
	if !help[0].Entries[0].Emergency || help[0].Entries[1].Emergency {
		t.Error("only 999 should be marked as the emergency number")
	}
}

func TestHelpCountries(t *testing.T) {
	t.Parallel()
	help, err := helpFor([]string{"ie", " GB ", "uk", "us", "au"})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, h := range help {
		codes = append(codes, h.Country)
		if len(h.Entries) < 2 || !h.Entries[0].Emergency {
			t.Errorf("%s: want an emergency number first, then help: %+v", h.Country, h.Entries)
		}
	}
	if want := []string{"ie", "gb", "us", "au"}; !slices.Equal(codes, want) {
		t.Errorf("countries = %v, want %v (in the order asked, each once)", codes, want)
	}
	if _, err := helpFor([]string{"fr"}); err == nil || !strings.Contains(err.Error(), "known: au, gb, ie, us") {
		t.Errorf("unknown country: %v, want an error listing the known ones", err)
	}
	// Every country with report help has policy's help sites too, so the
	// sites the report points at stay reachable at bedtime.
	for _, h := range help {
		if !slices.Contains(policy.HelpCountries(), h.Country) {
			t.Errorf("%s has report help but no policy help sites", h.Country)
		}
	}
}

func TestParseHelpErrors(t *testing.T) {
	t.Parallel()
	const bad = `
countries:
  gb:
    name: the UK
    help:
      - service: no-such-service
      - name: Police
        description: no number
      - service: childline
        phone: "123"
  zz:
    name: Nowhere
    help: []
`
	_, err := parseHelp([]byte(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`gb #1: service "no-such-service" is not in policy/help.yaml`,
		"gb #2: needs a service, or a name, phone and description",
		`gb #3: service "childline": give either a service`,
		`zz: unknown country "zz"`,
		"zz: no help",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nhas no %q", err, want)
		}
	}
	if _, err := parseHelp([]byte("countries:\n  gb:\n    name: x\n    colour: red\n")); err == nil {
		t.Error("unknown key: no error")
	}
}
