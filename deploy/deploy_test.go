//go:build release

// The release checks (run by .ci/run as `go test -tags release ./deploy/...`):
// scripts/release.sh builds every target once; each is a static binary for its
// machine, stamped, listed in SHA256SUMS; the ARM builds run under qemu-user
// (the Debian package qemu-user-static or qemu-user, which .ci/run installs;
// a missing qemu fails the test). `go test -short` skips the release build.

package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// The release build is made once and shared by the tests that need it.
var release struct {
	once sync.Once
	dir  string // under scratch
	err  error
	out  []byte
	took time.Duration
}

// releaseDir runs scripts/release.sh for every target (once) and returns its
// output directory.
func releaseDir(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the release build of four targets is skipped")
	}
	first := false
	release.once.Do(func() {
		first = true
		release.dir = filepath.Join(scratch, "release")
		start := time.Now()
		cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "release.sh"), release.dir)
		cmd.Env = releaseEnv()
		release.out, release.err = cmd.CombinedOutput()
		release.took = time.Since(start)
	})
	if release.err != nil {
		t.Fatalf("scripts/release.sh: %v\n%s", release.err, release.out)
	}
	if first {
		t.Logf("scripts/release.sh built every target in %v", release.took.Round(100*time.Millisecond))
	}
	return release.dir
}

// releaseHostBinary is the release build that runs on this machine, if any.
func releaseHostBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("no release build runs natively on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return filepath.Join(releaseDir(t), "hearth-linux-"+runtime.GOARCH)
}

type target struct {
	file    string
	machine elf.Machine
	class   elf.Class
	goarch  string
	goarm   string
}

var targets = []target{
	{"hearth-linux-amd64", elf.EM_X86_64, elf.ELFCLASS64, "amd64", ""},
	{"hearth-linux-arm64", elf.EM_AARCH64, elf.ELFCLASS64, "arm64", ""},
	{"hearth-linux-armv7", elf.EM_ARM, elf.ELFCLASS32, "arm", "7"},
	{"hearth-linux-armv6", elf.EM_ARM, elf.ELFCLASS32, "arm", "6"},
}

// TestReleaseBuilds checks each release binary: a static ELF for the right
// machine, stripped, built without cgo and with -trimpath, listed in
// SHA256SUMS; and `hearth version` of the native one prints the stamp.
func TestReleaseBuilds(t *testing.T) {
	dir := releaseDir(t)
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		t.Run(tg.file, func(t *testing.T) {
			path := filepath.Join(dir, tg.file)
			checkStaticELF(t, path, tg.machine, tg.class)

			info, err := buildinfo.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"GOOS": "linux", "GOARCH": tg.goarch, "CGO_ENABLED": "0", "-trimpath": "true"}
			if tg.goarm != "" {
				want["GOARM"] = tg.goarm
			}
			got := map[string]string{}
			for _, s := range info.Settings {
				got[s.Key] = s.Value
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("build setting %s = %q, want %q", k, got[k], v)
				}
			}
			// -ldflags is not recorded with -trimpath: the stamp is checked by
			// running the binaries (here and under qemu).

			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if line := hex.EncodeToString(sum[:]) + "  " + tg.file; !bytes.Contains(sums, []byte(line+"\n")) {
				t.Errorf("SHA256SUMS lacks %q:\n%s", line, sums)
			}
		})
	}

	out, err := exec.Command(releaseHostBinary(t), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("hearth version: %v\n%s", err, out)
	}
	for _, want := range []string{"hearth " + stampVersion + "\n", "commit:   " + stampCommit + "\n", "built:    " + stampDate + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("hearth version printed\n%s\nwant a line %q", out, want)
		}
	}
}

// checkStaticELF fails unless path is an executable for machine with no
// interpreter and no dynamic section (it runs without a C library) and no
// symbols or debug information (-s -w).
func checkStaticELF(t *testing.T, path string, machine elf.Machine, class elf.Class) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine || f.Class != class || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("machine %v class %v OS ABI %v, want %v %v Linux", f.Machine, f.Class, f.OSABI, machine, class)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("ELF type %v, want ET_EXEC (a static executable)", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("has a %v program header: dynamically linked", p.Type)
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Error("has a .dynamic or .interp section: dynamically linked")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("needs shared libraries %v", libs)
	}
	if f.Section(".symtab") != nil || f.Section(".debug_info") != nil {
		t.Error("has a symbol table or DWARF: not linked with -s -w")
	}
}

// TestReleaseOneIsTheSameBuild checks that `scripts/release.sh --one`, which
// the Dockerfile runs, makes the very bytes of the release build.
func TestReleaseOneIsTheSameBuild(t *testing.T) {
	dir := releaseDir(t)
	for _, tg := range []struct{ platform, file string }{
		{"linux/arm64", "hearth-linux-arm64"}, // linux/arm/v6: TestDockerfileBuildCommand
	} {
		out := filepath.Join(t.TempDir(), "hearth")
		cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "release.sh"), "--one", tg.platform, out)
		cmd.Env = releaseEnv()
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("release.sh --one %s: %v\n%s", tg.platform, err, b)
		}
		one, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		all, err := os.ReadFile(filepath.Join(dir, tg.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one, all) {
			t.Errorf("release.sh --one %s differs from the release's %s", tg.platform, tg.file)
		}
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "release.sh"), "--one", "linux/arm/v5", filepath.Join(t.TempDir(), "x"))
	cmd.Env = releaseEnv()
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "only linux/arm/v6 and linux/arm/v7") {
		t.Errorf("release.sh --one linux/arm/v5: %v, %s; want a refusal", err, b)
	}
}

// qemu finds a qemu-user binary for arch, or fails naming the package.
func qemu(t *testing.T, arch string) string {
	t.Helper()
	for _, name := range []string{"qemu-" + arch + "-static", "qemu-" + arch} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("neither qemu-%[1]s-static nor qemu-%[1]s is installed: install the Debian package qemu-user-static "+
		"(or qemu-user): sudo apt-get install qemu-user-static (.ci/run does this in CI)", arch)
	return ""
}

// TestReleaseARMRunsUnderQEMU runs `hearth version` of the 32-bit ARM builds
// on the CPUs they are for: ARMv6 on the Pi 1 and Zero's ARM1176, ARMv7 on
// the Pi 2's Cortex-A7.
func TestReleaseARMRunsUnderQEMU(t *testing.T) {
	dir := releaseDir(t)
	q := qemu(t, "arm")
	for _, c := range []struct{ file, cpu string }{
		{"hearth-linux-armv6", "arm1176"},
		{"hearth-linux-armv7", "cortex-a7"},
	} {
		cmd := exec.Command(q, "-cpu", c.cpu, filepath.Join(dir, c.file), "version")
		cmd.Dir = t.TempDir() // where a crash would leave a core file
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "hearth "+stampVersion+"\n") || !strings.Contains(string(out), "platform: linux/arm\n") {
			t.Errorf("%s on %s: %v\n%s", c.file, c.cpu, err, out)
		}
	}
}

// TestReleaseARM64ServesUnderQEMU runs the arm64 build under qemu-user as
// `hearth serve` with a loopback upstream: it answers over UDP and TCP, keeps
// its state in HEARTH_STATE_DIR (as the container image sets it), and exits 0
// on SIGTERM.
func TestReleaseARM64ServesUnderQEMU(t *testing.T) {
	bin := filepath.Join(releaseDir(t), "hearth-linux-arm64")
	q := qemu(t, "aarch64")

	up := dnstest.NewServer(t)
	listen := freePort(t)
	work, state := t.TempDir(), t.TempDir()
	conf := filepath.Join(work, "hearth.yaml")
	yaml := "identify: {neighbours: false}\nupstreams: {strategy: ordered, timeout: 2s}\nlog: {format: json}\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(q, bin, "serve", "--config", conf, "--listen", listen, "--upstream", "udp://"+up.Addr)
	cmd.Dir = work
	cmd.Env = append(childEnv(), "HEARTH_STATE_DIR="+state)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := make(chan map[string]any, 100)
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
		done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	await := func(msg string, within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case ev := <-events:
				if ev["message"] == msg {
					return
				}
			case err := <-done:
				t.Fatalf("hearth exited (%v) before %q; stderr:\n%s", err, msg, stderr.String())
			case <-deadline:
				t.Fatalf("no %q from hearth under qemu within %v; stderr:\n%s", msg, within, stderr.String())
			}
		}
	}
	await("hearth started", 2*time.Minute)
	t.Logf("arm64 hearth started under %s in %v", filepath.Base(q), time.Since(start).Round(10*time.Millisecond))

	for _, network := range []string{"udp", "tcp"} {
		name := "arm64-" + network + ".example."
		r, _, err := (&dns.Client{Net: network, Timeout: 10 * time.Second}).Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), listen)
		if err != nil {
			t.Fatalf("query over %s: %v; stderr:\n%s", network, err, stderr.String())
		}
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.1" {
			t.Errorf("over %s: %v", network, r)
		}
	}
	if n := up.Queries(); n != 2 {
		t.Errorf("the loopback upstream saw %d queries, want 2", n)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM hearth exited with %v, want status 0; stderr:\n%s", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("hearth did not exit within 30 s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(state, "journal.db")); err != nil {
		t.Errorf("no journal in HEARTH_STATE_DIR: %v", err)
	}
}

// freePort returns a loopback address free for both UDP and TCP just now.
func freePort(t *testing.T) string { return dnstest.FreeAddr(t) }
