//go:build release

package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdAnalyzeVerify runs `systemd-analyze verify` and `systemd-analyze
// security` on a copy of the unit whose ExecStart is a real executable, and
// fails on any warning about the unit.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is not installed: install the Debian package systemd " +
			"(sudo apt-get install systemd; .ci/run does this in CI)")
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hearth")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(b), "=/usr/local/bin/hearth ", "="+bin+" ") // ExecStart and ExecReload
	if unit == string(b) {
		t.Fatal("the unit's ExecStart is not /usr/local/bin/hearth")
	}
	path := filepath.Join(dir, "hearth.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(analyze, "verify", "--man=no", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=info", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "hearth.service") || strings.Contains(line, dir) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}

	// The exposure score (0 best, 10 worst) must stay at most 2.0; it is 1.7.
	cmd = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_COLORS=0")
	out, err = cmd.CombinedOutput()
	if strings.Contains(string(out), "unrecognized option") {
		t.Logf("this systemd-analyze has no offline security check: %s", out)
		return
	}
	if err != nil {
		t.Errorf("systemd-analyze security: %v (exposure above 2.0?)\n%s", err, out)
	}
	if i := strings.Index(string(out), "Overall exposure level"); i >= 0 {
		t.Log(strings.TrimSpace(string(out[i:])))
	}
}
