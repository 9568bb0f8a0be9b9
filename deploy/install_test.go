package deploy_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptsSyntax runs `bash -n` on the shell scripts, and shellcheck when
// it is installed.
func TestScriptsSyntax(t *testing.T) {
	t.Parallel()
	scripts := []string{"install.sh", filepath.Join(repoRoot, "scripts", "release.sh"), filepath.Join(repoRoot, "scripts", "shared-data-checks.sh")}
	for _, s := range scripts {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not installed: skipped")
		return
	}
	if out, err := exec.Command("shellcheck", scripts...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// installer runs deploy/install.sh against a temporary root (DESTDIR), with
// fake ss, systemctl, dpkg and uname first on PATH.
type installer struct {
	root, fakes string
	ssFile      string // what the fake ss prints
	log         string // the fake systemctl's calls, one a line
	env         []string
}

func newInstaller(t *testing.T) *installer {
	t.Helper()
	in := &installer{root: t.TempDir(), fakes: t.TempDir()}
	in.ssFile = filepath.Join(in.fakes, "ss.out")
	in.log = filepath.Join(in.fakes, "systemctl.log")
	fakes := map[string]string{
		"ss":        "#!/bin/sh\ncat \"$FAKE_SS\" 2>/dev/null || true\n",
		"systemctl": "#!/bin/sh\necho \"$*\" >>\"$FAKE_SYSTEMCTL_LOG\"\n",
		"dpkg":      "#!/bin/sh\n[ \"$1\" = --print-architecture ] && echo \"${FAKE_DPKG_ARCH:-amd64}\"\n",
		"uname":     "#!/bin/sh\necho \"${FAKE_UNAME_M:-x86_64}\"\n",
		// The user and the configuration's owner (logged beside systemctl's calls).
		"systemd-sysusers": "#!/bin/sh\necho \"systemd-sysusers $*\" >>\"$FAKE_SYSTEMCTL_LOG.other\"\n",
		"systemd-tmpfiles": "#!/bin/sh\necho \"systemd-tmpfiles $*\" >>\"$FAKE_SYSTEMCTL_LOG.other\"\n",
	}
	for name, body := range fakes {
		if err := os.WriteFile(filepath.Join(in.fakes, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range childEnv() {
		if strings.HasPrefix(kv, "DESTDIR=") || strings.HasPrefix(kv, "FAKE_") {
			continue
		}
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + in.fakes + string(os.PathListSeparator) + p
		}
		in.env = append(in.env, kv)
	}
	in.env = append(in.env, "DESTDIR="+in.root, "FAKE_SS="+in.ssFile, "FAKE_SYSTEMCTL_LOG="+in.log)
	return in
}

// port53 sets what the fake ss reports listening on port 53.
func (in *installer) port53(t *testing.T, sockets string) {
	t.Helper()
	if err := os.WriteFile(in.ssFile, []byte(sockets), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs install.sh with args and extra environment; it returns stdout,
// stderr and the exit status.
func (in *installer) run(t *testing.T, extraEnv []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"install.sh"}, args...)...)
	cmd.Env = append(append([]string(nil), in.env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	}
	t.Fatal(err)
	return "", "", 0
}

// files lists the regular files under the root.
func (in *installer) files(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(in.root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(in.root, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func (in *installer) systemctlCalls(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(in.log)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func contains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func lacks(t *testing.T, what, out string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(out, w) {
			t.Errorf("%s has %q:\n%s", what, w, out)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Port 53 as ss shows it with each holder.
const (
	ssHeader   = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
	ssResolved = ssHeader +
		"udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*    users:((\"systemd-resolve\",pid=512,fd=13))\n" +
		"tcp   LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    users:((\"systemd-resolve\",pid=512,fd=14))\n"
	ssDnsmasq = ssHeader +
		"udp   UNCONN 0      0            0.0.0.0:53        0.0.0.0:*    users:((\"dnsmasq\",pid=731,fd=4))\n"
	ssHearth = ssHeader +
		"udp   UNCONN 0      0                  *:53              *:*    users:((\"hearth\",pid=901,fd=7))\n" +
		"tcp   LISTEN 0      4096               *:53              *:*    users:((\"hearth\",pid=901,fd=8))\n"
)

// TestInstallScript runs deploy/install.sh as a parent would, several times,
// against a temporary root: a dry run touches nothing; an install writes the
// binary, the default configuration and the unit and enables the service;
// running it again changes nothing and keeps the parent's configuration; a new
// binary replaces the old; a broken configuration, a taken port 53 or a bad
// checksum stop it with a clear message; --uninstall removes the unit and the
// binary and keeps the configuration.
func TestInstallScript(t *testing.T) {
	t.Parallel()
	bin := hostBinary(t)
	in := newInstaller(t)
	r := in.root
	binDest := filepath.Join(r, "usr/local/bin/hearth")
	conf := filepath.Join(r, "etc/hearth/hearth.yaml")
	unitDest := filepath.Join(r, "etc/systemd/system/hearth.service")

	t.Run("dry run", func(t *testing.T) {
		out, errOut, code := in.run(t, nil, "--dry-run", bin)
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		contains(t, "dry run", out,
			"port 53: free",
			"binary: installing "+binDest,
			"would run: install -m 0755 "+bin+" "+binDest+".new",
			"config: writing the default configuration to "+conf,
			"unit: installing "+unitDest,
			"would run: systemctl --root="+r+" enable hearth.service",
			"dry run: nothing was changed")
		if f := in.files(t); len(f) != 0 {
			t.Errorf("a dry run wrote %v", f)
		}
		if c := in.systemctlCalls(t); c != "" {
			t.Errorf("a dry run ran systemctl %s", c)
		}
	})

	t.Run("install", func(t *testing.T) {
		out, errOut, code := in.run(t, nil, bin)
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		if !bytes.Equal(readFile(t, binDest), readFile(t, bin)) {
			t.Error("the installed binary differs from the release build")
		}
		def, err := exec.Command(bin, "config", "default").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(readFile(t, conf), def) {
			t.Error("the configuration written is not `hearth config default`")
		}
		if !bytes.Equal(readFile(t, unitDest), readFile(t, unitPath)) {
			t.Error("the unit installed differs from deploy/systemd/hearth.service")
		}
		for path, mode := range map[string]fs.FileMode{binDest: 0o755, conf: 0o644, unitDest: 0o644} {
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != mode {
				t.Errorf("%s: mode %v, %v; want %v", path, st.Mode().Perm(), err, mode)
			}
		}
		if c, want := in.systemctlCalls(t), "--root="+r+" enable hearth.service\n"; c != want {
			t.Errorf("systemctl calls %q, want %q", c, want)
		}
		// The hearth user is made in the tree; /etc/hearth is handed to it at its first boot.
		if c, want := string(readFile(t, in.log+".other")), "systemd-sysusers --root="+r+" hearth.conf\n"; c != want {
			t.Errorf("other calls %q, want %q", c, want)
		}
		for dest, src := range map[string]string{"usr/lib/sysusers.d/hearth.conf": "systemd/hearth.sysusers", "usr/lib/tmpfiles.d/hearth.conf": "systemd/hearth.tmpfiles"} {
			if !bytes.Equal(readFile(t, filepath.Join(r, dest)), readFile(t, src)) {
				t.Errorf("%s differs from deploy/%s", dest, src)
			}
		}
		contains(t, "install", out, "config owner: applied at the first boot of "+r)
	})

	mine := append(readFile(t, conf), "\n# the parent's own line\n"...)
	if err := os.WriteFile(conf, mine, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("again", func(t *testing.T) {
		for _, args := range [][]string{{bin}, {"--dry-run", bin}} {
			out, errOut, code := in.run(t, nil, args...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s%s", args, code, out, errOut)
			}
			contains(t, strings.Join(args, " "), out,
				"binary: "+binDest+" is already this version",
				"config: keeping "+conf+" (yours; never overwritten)",
				"unit: "+unitDest+" is up to date")
			lacks(t, strings.Join(args, " "), out, "installing", "replacing", "updating", "writing")
		}
		if !bytes.Equal(readFile(t, conf), mine) {
			t.Error("running install.sh again changed the parent's configuration")
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		newer := filepath.Join(t.TempDir(), "hearth")
		if err := os.WriteFile(newer, append(readFile(t, bin), "newer"...), 0o755); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := in.run(t, nil, newer)
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		contains(t, "upgrade", out, "binary: replacing "+binDest+" (hearth "+stampVersion+")", "config: keeping")
		if !bytes.Equal(readFile(t, binDest), readFile(t, newer)) {
			t.Error("the binary was not replaced")
		}
		if _, err := os.Stat(binDest + ".new"); err == nil {
			t.Error("left " + binDest + ".new behind")
		}
	})

	t.Run("broken configuration", func(t *testing.T) {
		if err := os.WriteFile(conf, []byte("cache:\n  size: lots\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(conf, mine, 0o644)
		out, errOut, code := in.run(t, nil, bin)
		if code == 0 {
			t.Fatalf("installed with a broken configuration: %s", out)
		}
		contains(t, "stderr", errOut, "cache.size", conf+" has the problems above: fix them")
	})

	t.Run("port 53 taken", func(t *testing.T) {
		defer in.port53(t, "")
		fresh := newInstaller(t)
		for _, c := range []struct {
			name, ss string
			wants    []string
		}{
			{"systemd-resolved", ssResolved, []string{
				"in use by: systemd-resolve\n", "127.0.0.53", "Nothing was changed",
				"sudo mkdir -p /etc/systemd/resolved.conf.d",
				"printf '[Resolve]\\nDNSStubListener=no\\n' | sudo tee /etc/systemd/resolved.conf.d/hearth.conf",
				"sudo systemctl restart systemd-resolved",
				"sudo ln -sf /run/systemd/resolve/resolv.conf /etc/resolv.conf",
				"echo 'nameserver 127.0.0.1' | sudo tee /etc/resolv.conf"}},
			{"dnsmasq", ssDnsmasq, []string{"in use by: dnsmasq\n", "systemctl status PID", "sudo systemctl disable --now dnsmasq"}},
		} {
			fresh.port53(t, c.ss)
			for _, args := range [][]string{{"--dry-run", bin}, {bin}} {
				out, errOut, code := fresh.run(t, nil, args...)
				if code != 1 {
					t.Errorf("%s %v: exit %d, want 1: %s", c.name, args, code, out)
				}
				contains(t, c.name+" stderr", errOut, c.wants...)
			}
			if f := fresh.files(t); len(f) != 0 {
				t.Errorf("%s: refused but wrote %v", c.name, f)
			}
		}
		in.port53(t, ssHearth)
		out, errOut, code := in.run(t, nil, "--dry-run", bin)
		if code != 0 {
			t.Fatalf("port 53 held by hearth: exit %d: %s%s", code, out, errOut)
		}
		contains(t, "port 53 held by hearth", out, "port 53: held by Hearth itself")
	})

	t.Run("bad binary", func(t *testing.T) {
		dl := t.TempDir()
		file := filepath.Join(dl, "hearth-linux-amd64")
		if err := os.WriteFile(file, readFile(t, bin), 0o755); err != nil {
			t.Fatal(err)
		}
		sums := strings.Repeat("0", 64) + "  hearth-linux-amd64\n"
		if err := os.WriteFile(filepath.Join(dl, "SHA256SUMS"), []byte(sums), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := in.run(t, nil, "--dry-run", file)
		if code == 0 || !strings.Contains(errOut, "does not match its checksum in "+filepath.Join(dl, "SHA256SUMS")) {
			t.Errorf("checksum mismatch: exit %d, %s", code, errOut)
		}
		_, errOut, code = in.run(t, nil, "--dry-run", filepath.Join(dl, "missing"))
		if code == 0 || !strings.Contains(errOut, "no such file: "+filepath.Join(dl, "missing")) {
			t.Errorf("missing binary: exit %d, %s", code, errOut)
		}
	})

	t.Run("uninstall", func(t *testing.T) {
		before := in.files(t)
		out, errOut, code := in.run(t, nil, "--dry-run", "--uninstall")
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		contains(t, "dry run", out, "would run: rm -f "+unitDest, "would run: rm -f "+binDest, "dry run: nothing was changed")
		if after := in.files(t); strings.Join(after, " ") != strings.Join(before, " ") {
			t.Errorf("a dry run changed the files: %v, then %v", before, after)
		}

		os.Remove(in.log)
		out, errOut, code = in.run(t, nil, "--uninstall")
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		contains(t, "uninstall", out, "router no longer gives out this machine",
			"sudo rm -rf "+filepath.Join(r, "etc/hearth")+" "+r+"/var/lib/hearth "+r+"/var/lib/private/hearth")
		if f := in.files(t); len(f) != 1 || f[0] != "etc/hearth/hearth.yaml" {
			t.Errorf("after --uninstall: %v, want only the configuration", f)
		}
		if c, want := in.systemctlCalls(t), "--root="+r+" disable hearth.service\n"; c != want {
			t.Errorf("systemctl calls %q, want %q", c, want)
		}
		out, _, code = in.run(t, nil, "--uninstall")
		if code != 0 || !strings.Contains(out, "Hearth is not installed: nothing to remove") {
			t.Errorf("second --uninstall: exit %d: %s", code, out)
		}
	})
}

// TestInstallScriptArch checks which release file install.sh picks for each
// machine when no binary is named.
func TestInstallScriptArch(t *testing.T) {
	t.Parallel()
	in := newInstaller(t)
	for _, c := range []struct{ dpkg, uname, want string }{
		{"amd64", "x86_64", "amd64"},
		{"arm64", "aarch64", "arm64"},
		{"armhf", "armv7l", "armv7"},
		{"armhf", "aarch64", "armv7"}, // 32-bit Raspberry Pi OS on a 64-bit kernel
		{"armhf", "armv6l", "armv6"},  // Pi 1, Pi Zero
	} {
		out, errOut, _ := in.run(t, []string{"FAKE_DPKG_ARCH=" + c.dpkg, "FAKE_UNAME_M=" + c.uname}, "--dry-run")
		if want := filepath.Join(repoRoot, "dist", "hearth-linux-"+c.want); !strings.Contains(out+errOut, want) {
			t.Errorf("dpkg %s, uname %s: no mention of %s:\n%s%s", c.dpkg, c.uname, want, out, errOut)
		}
	}
}
