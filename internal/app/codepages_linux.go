package app

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// releaseCodePages drops this process's mappings of its own executable's
// read-only pages (code, read-only data, the function tables), keeping
// them in the kernel's page cache. Starting Hearth runs code it never runs
// again (configuration, list parsing, templates, SQLite's setup), and the
// kernel maps a whole 64 KiB window around every page it faults in, so
// after start nearly the whole 21 MB of code and tables counts as resident.
// Those pages are clean copies of the file, which the kernel could drop at
// any time; dropping our mappings of them shows the memory Hearth really
// uses, and a page it needs again comes back from the page cache with a
// minor fault. Writable mappings (.data, the heap) are never touched:
// MADV_DONTNEED would zero them. Best effort: errors are ignored.
func releaseCodePages() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	type span struct{ start, end uintptr }
	var spans []span
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "00400000-00e54000 r-xp 00000000 08:01 1234   /usr/bin/hearth"
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || (fields[1] != "r-xp" && fields[1] != "r--p") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if ok && err1 == nil && err2 == nil && end > start {
			spans = append(spans, span{uintptr(start), uintptr(end)})
		}
	}
	for _, s := range spans {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, s.start, s.end-s.start, syscall.MADV_DONTNEED)
	}
}
