package app

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFileKB is this process's RssFile from /proc/self/status.
func rssFileKB(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseCodePages: after every page of the executable's read-only
// data is read (resident), releaseCodePages leaves at most a quarter of
// that resident, and the process goes on running the code it dropped.
func TestReleaseCodePages(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	page := make([]byte, 4096)
	touched := 0
	for line := range strings.SplitSeq(string(maps), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 6 || fields[5] != exe || fields[1] != "r--p" {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		for a := start; a < end; a += 4096 { // each page read faults it into our mapping
			if _, err := mem.ReadAt(page, int64(a)); err != nil {
				t.Fatalf("reading %x of %s: %v", a, exe, err)
			}
		}
		touched += int(end-start) / 1024
	}
	if touched < 4096 {
		t.Fatalf("only %d kB of read-only mappings of %s found", touched, exe)
	}
	before := rssFileKB(t)
	if before < touched {
		t.Fatalf("RssFile %d kB after reading %d kB of the executable", before, touched)
	}
	releaseCodePages()
	after := rssFileKB(t)
	t.Logf("read-only data %d kB; RssFile %d kB before, %d kB after", touched, before, after)
	if after > before-touched*3/4 {
		t.Errorf("RssFile %d kB after releaseCodePages, %d kB before: the %d kB read were not dropped", after, before, touched)
	}
}
