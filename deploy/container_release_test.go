//go:build release

package deploy_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// The container's file capability (run with the release checks, by .ci/run):
// setting one needs root and a file system that keeps extended attributes; a
// test without them says so and skips.

// TestFileCap runs deploy/container/filecap.go, which the image build uses in
// place of `setcap cap_net_bind_service=+ep`, and reads the capability back.
func TestFileCap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting a file capability needs root")
	}
	file := filepath.Join(t.TempDir(), "hearth")
	if err := os.WriteFile(file, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "container/filecap.go", file)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("operation not supported")) {
			t.Skipf("this file system keeps no capabilities: %s", out)
		}
		t.Fatalf("filecap.go: %v\n%s", err, out)
	}
	buf := make([]byte, 64)
	n, err := syscall.Getxattr(file, "security.capability", buf)
	if err != nil {
		t.Fatal(err)
	}
	// VFS_CAP_REVISION_2 | effective; permitted bit 10 (CAP_NET_BIND_SERVICE).
	want := []byte{1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("security.capability % x, want % x", buf[:n], want)
	}
	if getcap, err := exec.LookPath("getcap"); err == nil {
		out, err := exec.Command(getcap, file).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("cap_net_bind_service=ep")) {
			t.Errorf("getcap: %v %s, want cap_net_bind_service=ep", err, out)
		}
	} else if !errors.Is(err, exec.ErrNotFound) {
		t.Log(err)
	}
}

// TestDockerfileBuildCommand runs the build stage's RUN command itself, as
// docker build would for linux/arm/v6 (with /out in a temporary directory),
// and checks it makes the release's bytes and gives them the capability.
func TestDockerfileBuildCommand(t *testing.T) {
	dir := releaseDir(t)
	if os.Geteuid() != 0 {
		t.Skip("the build stage sets a file capability, which needs root")
	}
	var run string
	for _, in := range parseDockerfile(t, string(readFile(t, "container/Dockerfile")))[0].all("RUN") {
		if strings.Contains(in.args, "release.sh --one") {
			run = regexp.MustCompile(`^(--\S+\s+)*`).ReplaceAllString(in.args, "")
		}
	}
	if run == "" {
		t.Fatal("no RUN with release.sh --one in the build stage")
	}
	out := t.TempDir()
	run = strings.ReplaceAll(run, "/out/", out+"/")
	cmd := exec.Command("sh", "-c", run)
	cmd.Dir = repoRoot
	cmd.Env = append(releaseEnv(), "TARGETOS=linux", "TARGETARCH=arm", "TARGETVARIANT=v6")
	if b, err := cmd.CombinedOutput(); err != nil {
		if bytes.Contains(b, []byte("operation not supported")) {
			t.Skipf("this file system keeps no capabilities: %s", b)
		}
		t.Fatalf("%s: %v\n%s", run, err, b)
	}
	if !bytes.Equal(readFile(t, filepath.Join(out, "hearth")), readFile(t, filepath.Join(dir, "hearth-linux-armv6"))) {
		t.Error("the build stage's linux/arm/v6 binary differs from the release's hearth-linux-armv6")
	}
	if _, err := syscall.Getxattr(filepath.Join(out, "hearth"), "security.capability", make([]byte, 64)); err != nil {
		t.Errorf("the build stage's binary has no capability: %v", err)
	}
	if st, err := os.Stat(filepath.Join(out, "state")); err != nil || !st.IsDir() {
		t.Errorf("no state directory made for the volume: %v", err)
	}
}
