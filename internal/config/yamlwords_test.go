package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSyntaxErrorsInPlainWords: the three slips a parent makes in an editor
// are named, on the line where they are, with what to do.
func TestSyntaxErrorsInPlainWords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, file, want string
	}{
		{
			name: "tab",
			file: "schema_version: 1\ngroups:\n  kids:\n\trules: []\n",
			want: "hearth.yaml:4: line 4 is indented with a tab: YAML needs spaces, so replace the tab with spaces lined up with the lines above (yaml: found character that cannot start any token)",
		},
		{
			name: "tab at the top",
			file: "schema_version: 1\n\tlisten: [\":53\"]\n",
			want: "hearth.yaml:2: line 2 is indented with a tab: YAML needs spaces, so replace the tab with spaces lined up with the lines above (yaml: found a tab character that violates indentation)",
		},
		{
			name: "missing bracket",
			file: "schema_version: 1\nlisten: [\":53\", \":5353\"\ncache:\n  size: 100\n",
			want: "hearth.yaml:2: the list opened with [ on line 2 is not closed: add the missing ] at its end, and commas between its items (yaml: did not find expected ',' or ']')",
		},
		{
			name: "missing brace",
			file: "schema_version: 1\ncache: {size: 100\nlisten: [\":53\"]\n",
			want: "hearth.yaml:2: the map opened with { on line 2 is not closed: add the missing } at its end, and commas between its entries (yaml: did not find expected ',' or '}')",
		},
		{
			name: "mis-indented list",
			file: "schema_version: 1\ngroups:\n  kids:\n    rules:\n      - block: [gaming]\n        outside: [\"mon-fri 16:00-19:00\"]\n     - block: [social]\n",
			want: "hearth.yaml:7: line 7 is not lined up with the lines above it: the keys of a section, and the dashes (-) of a list, must start in the same column as the others (yaml: did not find expected key)",
		},
		{
			name: "mis-indented key",
			file: "schema_version: 1\ncache:\n  size: 100\n # a comment\n prefetch: true\n",
			want: "hearth.yaml:5: line 5 is not lined up with the lines above it: the keys of a section, and the dashes (-) of a list, must start in the same column as the others (yaml: did not find expected key)",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, _, err := Load(LoadOptions{File: path, Search: []string{}, Environ: env()})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			got := problems(err, filepath.Dir(path))
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), tt.want)
			}
		})
	}
}
