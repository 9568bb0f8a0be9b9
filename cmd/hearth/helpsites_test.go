package main

import (
	"context"
	"strings"
	"testing"
)

func TestHelpSites(t *testing.T) {
	t.Parallel()
	withDomains := writeFile(t, "help:\n  countries: [gb]\n  domains: [help.example.net, kids-help.example.org]\n")
	none := writeFile(t, "help:\n  countries: []\n")
	tests := []struct {
		name   string
		args   []string // after help-sites
		code   int
		stdout []string // substrings, in this order
		stderr []string
		not    []string // substrings stdout must not hold
	}{
		{
			name: "configured countries and domains", code: 0,
			args: []string{"--config", withDomains},
			stdout: []string{"always reachable", "never logged", "COUNTRY", "NAME", "PHONE", "DOMAINS\n",
				"gb ", "Childline ", "0800 1111 ", "childline.org.uk\n",
				"gb ", "Crimestoppers ", "crimestoppers-uk.org, fearless.org\n",
				"help.domains (from hearth.yaml):\n", "  help.example.net\n", "  kids-help.example.org\n"},
			not: []string{"ie ", "not in help.countries"},
		},
		{
			name: "built-in default: gb", code: 0,
			stdout: []string{"gb ", "Childline ", "Samaritans ", "116 123 ", "help.domains: none"},
		},
		{
			name: "another country", code: 0,
			args: []string{"--config", withDomains, "--country", "IE"},
			stdout: []string{"ie ", "Childline (ISPCC) ", "childline.ie\n",
				"not in help.countries, so not yet allowed: ie", "  help.example.net\n"},
			not: []string{"childline.org.uk"},
		},
		{
			name: "a configured country asked for", code: 0,
			args:   []string{"--config", withDomains, "--country", "gb"},
			stdout: []string{"Childline "},
			not:    []string{"not in help.countries"},
		},
		{
			name: "several countries", code: 0,
			args:   []string{"--config", withDomains, "--country", "gb,ie"},
			stdout: []string{"gb ", "childline.org.uk", "ie ", "childline.ie", "not yet allowed: ie"},
		},
		{
			name: "no countries configured", code: 0,
			args:   []string{"--config", none},
			stdout: []string{"help.countries is empty: no built-in help sites (countries that have them: ", "gb", "help.domains: none"},
			not:    []string{"COUNTRY"},
		},
		{
			name: "unknown country", code: 2,
			args:   []string{"--country", "uk"},
			stderr: []string{`hearth: unknown country "uk"; known: `, `(did you mean "gb"?)`},
		},
		{
			name: "bad config", code: 1,
			args:   []string{"--config", writeFile(t, "help:\n  countries: [xx]\n")},
			stderr: []string{"help.countries"},
		},
		{
			name: "no arguments", code: 2,
			args:   []string{"gb"},
			stderr: []string{"unknown command"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := testApp()
			code := execute(context.Background(), a, append([]string{"help-sites"}, tt.args...))
			out, errOut := stdout.String(), stderr.String()
			if code != tt.code {
				t.Errorf("status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			explainInOrder(t, "stdout", out, tt.stdout)
			containsAll(t, "stderr", errOut, tt.stderr...)
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("stdout holds %q:\n%s", n, out)
				}
			}
		})
	}
}
