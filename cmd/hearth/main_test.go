package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/config"
)

// testApp is an app writing to buffers, with the given environment, no
// config file unless --config names one, and no terminal.
func testApp(env ...string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &app{
		stdout:     &stdout,
		stderr:     &stderr,
		environ:    func() []string { return env },
		search:     []string{},
		isTerminal: func() bool { return false },
	}, &stdout, &stderr
}

// keepLogLevel restores zerolog's global level, which serve sets. The tests
// that run serve in this process stay serial: the level is process-wide.
func keepLogLevel(t *testing.T) {
	lvl := zerolog.GlobalLevel()
	t.Cleanup(func() { zerolog.SetGlobalLevel(lvl) })
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	bad := "upstreams:\n  sever: [x]\ncache:\n  size: lots\nudp_size: 100\n"
	tests := []struct {
		name       string
		args       []string // after check-config; @ is replaced by a file holding file
		file       string
		env        []string
		code       int
		stdout     string
		stderr     []string // lines, each a prefix
		stderrNone bool
	}{
		{
			name: "defaults", code: 0,
			stdout: "ok: embedded default\n", stderrNone: true,
		},
		{
			name: "file, env and flag", args: []string{"--config", "@", "--listen", "127.0.0.1:5353"},
			file: "cache:\n  size: 10\nblocking: {block: [adult]}\n", env: []string{"HEARTH_LOG_LEVEL=debug"},
			code: 0, stdout: "ok: @ + env HEARTH_LOG_LEVEL + flags --listen\n", stderrNone: true,
		},
		{
			name: "a file that blocks nothing warns", args: []string{"-c", "@"}, file: "cache:\n  size: 10\n",
			code: 0, stdout: "ok: @\n", stderr: []string{"warning: this configuration chooses nothing to block"},
		},
		{
			name: "a file that blocks nothing on purpose", args: []string{"-c", "@"}, file: "unfiltered: true\n",
			code: 0, stdout: "ok: @\n", stderrNone: true,
		},
		{
			name: "an empty file is refused", args: []string{"-c", "@"}, file: "# nothing but a comment\n\n",
			code: 1, stderr: []string{"@: the file is empty"},
		},
		{
			name: "several problems", args: []string{"-c", "@"}, file: bad, code: 1,
			stderr: []string{
				`@:2: unknown key "upstreams.sever" (did you mean "upstreams.servers"?)`,
				`@:4: cache.size: want a whole number, got "lots"`,
				`@:5: udp_size: 100 `,
			},
		},
		{
			name: "unknown variable warns", env: []string{"HEARTH_CACHE_SIZ=1"}, code: 0,
			stdout: "ok: embedded default\n",
			stderr: []string{"warning: env HEARTH_CACHE_SIZ: not a Hearth setting, ignored (did you mean HEARTH_CACHE_SIZE?)"},
		},
		{
			name: "missing --config file", args: []string{"--config", "/nonexistent/hearth.yaml"}, code: 1,
			stderr: []string{"config file: open /nonexistent/hearth.yaml: no such file or directory"},
		},
		{
			name: "bad flag value", args: []string{"--listen", "nonsense"}, code: 1,
			stderr: []string{`flag --listen: listen: "nonsense"`},
		},
		{
			name: "unknown flag is usage", args: []string{"--bogus"}, code: 2,
			stderr: []string{"hearth: unknown flag: --bogus", "Run 'hearth --help' for usage."},
		},
		{
			name: "argument is usage", args: []string{"extra"}, code: 2,
			stderr: []string{`hearth: unknown command "extra" for "hearth check-config"`, "Run 'hearth --help' for usage."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := testApp(tt.env...)
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			args := []string{"check-config"}
			for _, arg := range tt.args {
				args = append(args, strings.ReplaceAll(arg, "@", path))
			}
			code := execute(context.Background(), a, args)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if want := strings.ReplaceAll(tt.stdout, "@", path); stdout.String() != want {
				t.Errorf("stdout = %q, want %q", stdout, want)
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if tt.stderrNone {
				if stderr.Len() != 0 {
					t.Errorf("stderr = %q, want nothing", stderr)
				}
				return
			}
			if len(lines) != len(tt.stderr) {
				t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(tt.stderr), stderr)
			}
			for i, w := range tt.stderr {
				if w = strings.ReplaceAll(w, "@", path); !strings.HasPrefix(lines[i], w) {
					t.Errorf("stderr line %d = %q, want prefix %q", i+1, lines[i], w)
				}
			}
		})
	}
}

func TestConfigDefault(t *testing.T) {
	t.Parallel()
	a, stdout, stderr := testApp()
	if code := execute(context.Background(), a, []string{"config", "default"}); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	if !bytes.Equal(stdout.Bytes(), config.DefaultYAML()) {
		t.Errorf("output differs from the embedded default.yaml")
	}
	var m map[string]any
	if err := yaml.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Errorf("output does not parse: %v", err)
	}
	// Saved as a file, it loads and validates as it is.
	a, stdout, stderr = testApp()
	path := writeFile(t, string(config.DefaultYAML()))
	if code := execute(context.Background(), a, []string{"check-config", "--config", path}); code != 0 {
		t.Errorf("check-config on the default: status %d: %s", code, stderr)
	}
	if want := "ok: " + path + "\n"; stdout.String() != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	a, stdout, _ := testApp()
	if code := execute(context.Background(), a, []string{"version"}); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	out := stdout.String()
	for _, want := range []string{"hearth dev\n", "commit:   ", "built:    unknown\n",
		"go:       " + runtime.Version() + "\n", "platform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"frobnicate"}, {"config"}, {"version", "--nope"}, {"serve", "x"}} {
		a, stdout, stderr := testApp()
		if code := execute(context.Background(), a, args); code != 2 {
			t.Errorf("hearth %q: exit status %d, want 2", args, code)
		}
		if stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("hearth %q: stdout %q, stderr %q; want usage on stderr only", args, stdout, stderr)
		}
	}
	a, stdout, _ := testApp()
	if code := execute(context.Background(), a, []string{"--help"}); code != 0 || !strings.Contains(stdout.String(), "check-config") {
		t.Errorf("--help: status %d, output %q", code, stdout)
	}
}
