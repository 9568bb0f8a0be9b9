// Package deploy_test checks what ships Hearth: the systemd unit,
// deploy/install.sh, the container files and deploy/README.md. These tests
// need only Go and bash and run with `go test ./...`.
//
// The release checks are behind the build tag `release` (deploy_test.go,
// container_release_test.go, systemd_release_test.go): the release build of
// every target (static binaries, stamped, the ARM ones run under qemu-user),
// `systemd-analyze verify`, and the container's file capability. They need
// the Debian packages qemu-user-static (or qemu-user) and systemd, which
// .ci/run installs before it runs `go test -tags release ./deploy/...`; a
// missing tool fails them. The release build compiles four targets: about 4 s
// with a warm Go build cache, several minutes on a cold one.
package deploy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// What the test builds are stamped with.
const (
	stampVersion = "v9.8.7-deploytest"
	stampCommit  = "0123456789abcdef0123456789abcdef01234567"
	stampEpoch   = "1767225600" // 2026-01-01T00:00:00Z
	stampDate    = "2026-01-01T00:00:00Z"
)

// repoRoot is the repository, one up from this package.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

// scratch is a directory for the builds, made by TestMain and removed after
// the tests.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hearth-deploytest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// releaseEnv is the environment of release.sh runs: the stamp, and nothing
// from the caller that would change the build.
func releaseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "VERSION", "COMMIT", "SOURCE_DATE_EPOCH", "TARGETS", "GOOS", "GOARCH", "GOARM", "CGO_ENABLED":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "VERSION="+stampVersion, "COMMIT="+stampCommit, "SOURCE_DATE_EPOCH="+stampEpoch)
}

// childEnv is this process's environment without anything that would
// configure Hearth: HEARTH_* variables and systemd's STATE_DIRECTORY.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HEARTH_") || strings.HasPrefix(kv, "STATE_DIRECTORY=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// The host binary is built once and shared by the tests that need it.
var host struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// hostBinary is hearth built for this machine with the release's stamp
// (version, commit, date), by a plain `go build` that reuses what `go test`
// has compiled: install.sh needs a binary that runs here, not the release's
// bytes (the release checks, behind the tag, test those).
func hostBinary(t *testing.T) string {
	t.Helper()
	host.once.Do(func() {
		host.path = filepath.Join(scratch, "hearth")
		ldflags := "-X main.version=" + stampVersion + " -X main.commit=" + stampCommit + " -X main.date=" + stampDate
		cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", host.path, "./cmd/hearth")
		cmd.Dir = repoRoot
		cmd.Env = releaseEnv()
		host.out, host.err = cmd.CombinedOutput()
	})
	if host.err != nil {
		t.Fatalf("go build ./cmd/hearth: %v\n%s", host.err, host.out)
	}
	return host.path
}
