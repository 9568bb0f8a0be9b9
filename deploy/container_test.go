package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
}

type stage struct {
	from, name, platform string
	body                 []instruction
}

// parseDockerfile splits a Dockerfile into stages (enough of the format for
// these checks: comments, line continuations, FROM ... AS name).
func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var (
		stages []stage
		cur    strings.Builder
		start  int
	)
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s == "" {
			return
		}
		cmd, args, _ := strings.Cut(s, " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			st := stage{}
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				if p, ok := strings.CutPrefix(f[0], "--platform="); ok {
					st.platform = p
				}
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("Dockerfile:%d: FROM without an image", in.line)
			}
			st.from = f[0]
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Errorf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
			}
			return
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments, also inside a continued instruction
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// goVersionAtLeast reports whether version a (1.26.8) >= b.
func goVersionAtLeast(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}

// TestDockerfile reads deploy/container/Dockerfile, as docker build cannot run
// in CI: its build stage runs scripts/release.sh --one (the same release build,
// one source of truth) for the target platform on a Go at least go.mod's; the
// final stage is distroless with a non-root user, the state volume and
// HEARTH_STATE_DIR; and hadolint's rules hold (pinned images, no latest, no
// ADD, JSON ENTRYPOINT, absolute WORKDIR).
func TestDockerfile(t *testing.T) {
	t.Parallel()
	text := string(readFile(t, "container/Dockerfile"))
	stages := parseDockerfile(t, text)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final stage", len(stages))
	}
	names := map[string]bool{}
	for _, st := range stages {
		image := st.from
		if names[image] {
			continue // FROM an earlier stage
		}
		names[st.name] = true
		if _, digest, ok := strings.Cut(image, "@sha256:"); ok && len(digest) == 64 {
			continue
		}
		slash := strings.LastIndex(image, "/")
		_, tag, ok := strings.Cut(image[slash+1:], ":")
		if image != "scratch" && (!ok || tag == "" || tag == "latest") {
			t.Errorf("FROM %s: pin a tag other than latest, or a digest (hadolint DL3006, DL3007)", image)
		}
	}

	build, final := stages[0], stages[len(stages)-1]
	goMod := string(readFile(t, filepath.Join(repoRoot, "go.mod")))
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(goMod)
	img := regexp.MustCompile(`^golang:(\d+\.\d+(?:\.\d+)?)-`).FindStringSubmatch(build.from)
	switch {
	case img == nil:
		t.Errorf("build stage FROM %s, want golang:VERSION-DEBIAN", build.from)
	case goLine == nil:
		t.Error("no go line in go.mod")
	case !goVersionAtLeast(img[1], goLine[1]):
		t.Errorf("build stage has Go %s, go.mod asks for %s", img[1], goLine[1])
	}
	if build.platform != "$BUILDPLATFORM" {
		t.Errorf("build stage --platform=%q, want $BUILDPLATFORM (cross-compile, do not emulate)", build.platform)
	}
	var argsDeclared, releaseRun bool
	for _, in := range build.all("ARG") {
		if f := strings.Fields(in.args); strings.Contains(in.args, "TARGETOS") && strings.Contains(in.args, "TARGETARCH") && len(f) >= 2 {
			argsDeclared = true
		}
	}
	for _, in := range build.all("RUN") {
		if strings.Contains(in.args, `scripts/release.sh --one "$TARGETOS/$TARGETARCH${TARGETVARIANT:+/$TARGETVARIANT}" `) {
			releaseRun = true
		}
	}
	if !argsDeclared {
		t.Error("build stage does not declare ARG TARGETOS TARGETARCH")
	}
	if !releaseRun {
		t.Error(`build stage does not run scripts/release.sh --one "$TARGETOS/$TARGETARCH${TARGETVARIANT:+/$TARGETVARIANT}"`)
	}
	for _, st := range stages {
		for _, in := range st.body {
			if in.cmd == "RUN" && (strings.Contains(in.args, "go build") || strings.Contains(in.args, "go install")) {
				t.Errorf("Dockerfile:%d: a second build command (%s): call scripts/release.sh --one", in.line, in.args)
			}
			if in.cmd == "ADD" {
				t.Errorf("Dockerfile:%d: ADD %s: use COPY, and no downloads (hadolint DL3020)", in.line, in.args)
			}
			if in.cmd == "WORKDIR" && !strings.HasPrefix(in.args, "/") {
				t.Errorf("Dockerfile:%d: WORKDIR %s is not absolute (hadolint DL3000)", in.line, in.args)
			}
			for _, f := range regexp.MustCompile(`go run (\S+)`).FindAllStringSubmatch(in.args, -1) {
				if _, err := os.Stat(filepath.Join(repoRoot, f[1])); err != nil {
					t.Errorf("Dockerfile:%d: runs %s: %v", in.line, f[1], err)
				}
			}
		}
	}

	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && final.from != "scratch" {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static or scratch", final.from)
	}
	if r := final.all("RUN"); len(r) > 0 {
		t.Errorf("final stage has RUN (line %d): distroless has no shell", r[0].line)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Error("final stage has no USER")
	} else if u, _, _ := strings.Cut(users[len(users)-1].args, ":"); u == "root" || u == "0" {
		t.Errorf("final stage USER %s, want non-root (hadolint DL3002)", users[len(users)-1].args)
	}
	var copiesBinary bool
	for _, in := range final.all("COPY") {
		if strings.Contains(in.args, "--from="+build.name) && strings.HasSuffix(in.args, " /hearth") {
			copiesBinary = true
		}
	}
	if !copiesBinary {
		t.Errorf("final stage does not COPY --from=%s ... /hearth", build.name)
	}
	want := map[string]string{
		"ENV":    "HEARTH_STATE_DIR=/var/lib/hearth",
		"VOLUME": "/var/lib/hearth",
		"EXPOSE": "53/udp 53/tcp 8080/tcp",
	}
	for cmd, args := range want {
		ins := final.all(cmd)
		if len(ins) != 1 || ins[0].args != args {
			t.Errorf("final stage %s %v, want %s %s", cmd, ins, cmd, args)
		}
	}
	ep := final.all("ENTRYPOINT")
	var entry []string
	if len(ep) != 1 || json.Unmarshal([]byte(ep[0].args), &entry) != nil || strings.Join(entry, " ") != "/hearth serve" {
		t.Errorf("ENTRYPOINT %v, want [\"/hearth\", \"serve\"] in JSON form (hadolint DL3025)", ep)
	}

	if _, err := exec.LookPath("hadolint"); err == nil {
		if out, err := exec.Command("hadolint", "container/Dockerfile").CombinedOutput(); err != nil {
			t.Errorf("hadolint: %v\n%s", err, out)
		}
	}
}

// TestCompose checks deploy/container/compose.yaml: host networking, only
// NET_BIND_SERVICE, restart unless stopped, the state volume and the
// configuration bind-mounted read-only, built from this repository's Dockerfile.
func TestCompose(t *testing.T) {
	t.Parallel()
	var c struct {
		Name     string `yaml:"name"`
		Services map[string]struct {
			Build struct {
				Context    string            `yaml:"context"`
				Dockerfile string            `yaml:"dockerfile"`
				Args       map[string]string `yaml:"args"`
			} `yaml:"build"`
			Image       string   `yaml:"image"`
			NetworkMode string   `yaml:"network_mode"`
			CapDrop     []string `yaml:"cap_drop"`
			CapAdd      []string `yaml:"cap_add"`
			Restart     string   `yaml:"restart"`
			Command     []string `yaml:"command"`
			Volumes     []string `yaml:"volumes"`
			Ports       []string `yaml:"ports"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, "container/compose.yaml")))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	h, ok := c.Services["hearth"]
	if !ok {
		t.Fatal("no hearth service")
	}
	if h.NetworkMode != "host" || len(h.Ports) > 0 {
		t.Errorf("network_mode %q ports %v, want host networking (devices seen by their own addresses)", h.NetworkMode, h.Ports)
	}
	if strings.Join(h.CapDrop, ",") != "ALL" || strings.Join(h.CapAdd, ",") != "NET_BIND_SERVICE" {
		t.Errorf("cap_drop %v cap_add %v, want ALL and NET_BIND_SERVICE", h.CapDrop, h.CapAdd)
	}
	if h.Restart != "unless-stopped" {
		t.Errorf("restart %q", h.Restart)
	}
	if strings.Join(h.Command, " ") != "--config /etc/hearth/hearth.yaml" {
		t.Errorf("command %v", h.Command)
	}
	if strings.HasSuffix(h.Image, ":latest") || !strings.Contains(h.Image, ":") {
		t.Errorf("image %q: tag it with a version", h.Image)
	}
	df := filepath.Join("container", h.Build.Context, h.Build.Dockerfile)
	if _, err := os.Stat(df); err != nil || filepath.Clean(df) != filepath.Join("..", "deploy", "container", "Dockerfile") {
		t.Errorf("build %+v does not reach deploy/container/Dockerfile: %v", h.Build, err)
	}
	var state, conf bool
	for _, v := range h.Volumes {
		parts := strings.Split(v, ":")
		switch {
		case len(parts) == 2 && parts[1] == "/var/lib/hearth" && c.Volumes[parts[0]] != nil:
			state = true
		case len(parts) == 2 && parts[0] == "./config" && parts[1] == "/etc/hearth":
			conf = true // the directory, writable: the dashboard saves hearth.yaml there
		}
	}
	if !state || !conf {
		t.Errorf("volumes %v: want a named volume at /var/lib/hearth and the configuration's directory ./config at /etc/hearth (writable)", h.Volumes)
	}
}
