package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report/ -update rewrites it); got:\n%s", path, got)
	}
}

func TestTextGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := weekReport(t).Text(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "week.txt", b.Bytes())
}

func TestHTMLGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := weekReport(t).HTML(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "week.html", b.Bytes())
}
