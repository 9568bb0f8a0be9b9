package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// The checks are tested in internal/doctor; these test the command: its
// usage, and that it prints every finding with its fix and a summary that
// counts them, exiting 1 only on a FAIL.

func TestDoctorUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"doctor", "extra"}, {"doctor", "--nope"}} {
		a, stdout, stderr := testApp()
		if code := execute(context.Background(), a, args); code != exitUsage {
			t.Errorf("%v: exit status %d, want 2; stdout:\n%s", args, code, stdout)
		}
		if !strings.Contains(stderr.String(), "hearth --help") {
			t.Errorf("%v: stderr = %q", args, stderr)
		}
	}
	a, stdout, _ := testApp()
	if code := execute(context.Background(), a, []string{"doctor", "--help"}); code != 0 || !strings.Contains(stdout.String(), "hearth doctor [--config FILE]") {
		t.Errorf("doctor --help: exit status %d:\n%s", code, stdout)
	}
}

// TestDoctorSystemProbes runs the doctor as `hearth doctor` does, with the
// real clock, synchronisation probe, disk and interfaces: it must get through
// every check (a FAIL is possible only on a machine whose clock is wrong).
func TestDoctorSystemProbes(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, fmt.Sprintf("listen: [%q]\nstate_dir: %q\nupstreams:\n  servers: [%q]\n  timeout: 1s\n",
		freePort(t), filepath.Join(dir, "state"), "udp://"+dnstest.NewServer(t).Addr))
	a, stdout, stderr := testApp()
	code := execute(context.Background(), a, []string{"doctor", "--config", path})
	out := stdout.String()
	if (code != 0 && code != 1) || stderr.Len() > 0 {
		t.Fatalf("exit status %d, stderr %q:\n%s", code, stderr, out)
	}
	if !strings.Contains(out, "clock: ") || !strings.Contains(out, "router: ") {
		t.Errorf("checks missing:\n%s", out)
	}
	counts := map[string]int{}
	var last string
	for _, line := range strings.Split(out, "\n") {
		if level, _, ok := strings.Cut(line, "  "); ok && (level == "ok" || level == "warn" || level == "FAIL") {
			if last == "warn" || last == "FAIL" {
				t.Errorf("a %s finding without a fix:\n%s", last, out)
			}
			counts[level]++
			last = level
		} else if strings.HasPrefix(line, "      fix: ") {
			last = ""
		}
	}
	if summary := fmt.Sprintf("\n%d ok, %d warn, %d FAIL\n", counts["ok"], counts["warn"], counts["FAIL"]); !strings.HasSuffix(out, summary) {
		t.Errorf("output does not end with %q:\n%s", summary, out)
	}
	if (counts["FAIL"] > 0) != (code == 1) {
		t.Errorf("exit status %d with %d FAIL", code, counts["FAIL"])
	}
	t.Logf("\n%s", out)
}
