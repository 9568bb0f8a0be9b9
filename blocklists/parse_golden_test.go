package blocklists

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateParseGolden = flag.Bool("update-parse-golden", false, "rewrite testdata/parse/*.golden from the parser's output")

// TestParseGolden parses each testdata/parse/*.txt and compares one line
// per entry (kind and name) and the stats with the .golden file beside it.
// After a deliberate change: go test ./blocklists -run TestParseGolden -update-parse-golden
func TestParseGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob(filepath.Join("testdata", "parse", "*.txt"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var b strings.Builder
			st, err := Parse(f, func(e Entry) {
				kind := "exact"
				if e.Subdomains {
					kind = "subdomains"
				}
				if e.Allow {
					kind = "allow-" + kind
				}
				fmt.Fprintf(&b, "%-17s %s\n", kind, e.Name)
			})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "# lines=%d entries=%d exceptions=%d comments=%d blank=%d skipped=%d skipped_lines=%v\n",
				st.Lines, st.Entries, st.Exceptions, st.Comments, st.Blank, st.Skipped, st.SkippedLines)
			golden := strings.TrimSuffix(in, ".txt") + ".golden"
			if *updateParseGolden {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-parse-golden to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", in, golden, got, want)
			}
		})
	}
}
