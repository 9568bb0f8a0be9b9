package blocklists

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedTestdata is the project's shared test data, which lives outside the
// module (large lists, and lists under the GPL that the repository does not
// copy): $HEARTH_SHARED_TESTDATA, else ../shared/testdata beside the
// repository. The tests that read it are behind the build tag shareddata and
// run from scripts/shared-data-checks.sh; the benchmarks of the large list
// read it too.
func sharedTestdata() string {
	if d := os.Getenv("HEARTH_SHARED_TESTDATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "testdata")
}

// sharedPath is rel under the shared test data. When it is missing a test
// fails, saying where it looked; a benchmark is skipped.
func sharedPath(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(sharedTestdata(), rel)
	if _, err := os.Stat(p); err != nil {
		msg := "shared test data missing: " + err.Error() +
			" (set HEARTH_SHARED_TESTDATA to the directory holding SOURCES.md, or run scripts/shared-data-checks.sh)"
		if _, bench := tb.(*testing.B); bench {
			tb.Skip(msg)
		}
		tb.Fatal(msg)
	}
	return p
}

// openList opens a list of the shared test data's blocklists/ (gunzipped if
// its name ends in .gz).
func openList(tb testing.TB, name string) io.Reader {
	tb.Helper()
	return openFile(tb, sharedPath(tb, filepath.Join("blocklists", name)))
}

// openFile opens path, gunzipped if its name ends in .gz, closed after the
// test.
func openFile(tb testing.TB, path string) io.Reader {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	if strings.HasSuffix(path, ".gz") {
		return gunzip(tb, f)
	}
	return f
}

func gunzip(t testing.TB, r io.Reader) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	return zr
}
