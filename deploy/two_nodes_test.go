package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeService is the part of a Compose service these checks read.
type composeService struct {
	Image       string            `yaml:"image"`
	NetworkMode string            `yaml:"network_mode"`
	CapAdd      []string          `yaml:"cap_add"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// TestComposeTwoNodes checks deploy/container/compose-two-nodes.yaml: two
// Hearths on one Redis and one PostgreSQL, each with its own node name,
// ports and state, Redis and PostgreSQL only on loopback with a password,
// and that Hearth itself accepts each node's environment (check-config).
func TestComposeTwoNodes(t *testing.T) {
	var c struct {
		Services map[string]composeService `yaml:"services"`
	}
	data := readFile(t, "container/compose-two-nodes.yaml")
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		t.Fatal(err)
	}
	redis, pg := c.Services["redis"], c.Services["postgres"]
	rcmd := strings.Join(redis.Command, " ")
	for _, want := range []string{"--bind 127.0.0.1", "--appendonly yes", "--requirepass"} {
		if !strings.Contains(rcmd, want) {
			t.Errorf("redis command %q lacks %q", rcmd, want)
		}
	}
	if !strings.Contains(strings.Join(pg.Command, " "), "listen_addresses=127.0.0.1") || pg.Environment["POSTGRES_PASSWORD"] == "" {
		t.Errorf("postgres: command %v environment %v: want loopback only and a password", pg.Command, pg.Environment)
	}
	if redis.Healthcheck == nil || pg.Healthcheck == nil {
		t.Error("redis and postgres need health checks (the Hearths wait for them)")
	}

	nodes := []string{"hearth-a", "hearth-b"}
	seen := map[string]string{}
	hearth := hostBinary(t)
	conf := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(conf, []byte("blocking:\n  block: [adult]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range nodes {
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if s.NetworkMode != "host" || !slices.Equal(s.CapAdd, []string{"NET_BIND_SERVICE"}) {
			t.Errorf("%s: network %q cap_add %v, want host networking and NET_BIND_SERVICE", name, s.NetworkMode, s.CapAdd)
		}
		for _, dep := range []string{"redis", "postgres"} {
			if s.DependsOn[dep].Condition != "service_healthy" {
				t.Errorf("%s does not wait for %s to be healthy", name, dep)
			}
		}
		env := s.Environment
		// One Redis and one journal for both, the rest each node's own.
		for _, k := range []string{"HEARTH_STATE_REDIS", "HEARTH_JOURNAL_POSTGRES"} {
			if env[k] == "" || (seen[k] != "" && seen[k] != env[k]) {
				t.Errorf("%s: %s = %q, want one value for both nodes", name, k, env[k])
			}
			seen[k] = env[k]
		}
		for _, k := range []string{"HEARTH_STATE_NODE", "HEARTH_LISTEN", "HEARTH_WEB_LISTEN"} {
			if env[k] == "" || seen[k+"/"+env[k]] != "" {
				t.Errorf("%s: %s = %q, want a value of its own", name, k, env[k])
			}
			seen[k+"/"+env[k]] = name
		}
		var state, config bool
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			state = state || (dst == "/var/lib/hearth" && seen["vol/"+src] == "")
			config = config || (dst == "/etc/hearth" && seen["vol/"+src] == "")
			seen["vol/"+src] = name
		}
		if !state || !config {
			t.Errorf("%s: volumes %v, want its own state and configuration directories", name, s.Volumes)
		}

		// Hearth accepts the node's environment, passwords filled in.
		cmd := exec.Command(hearth, "check-config", "--config", conf)
		cmd.Env = childEnv()
		for k, v := range env {
			v = strings.NewReplacer("${HEARTH_REDIS_PASSWORD}", "redispw", "${HEARTH_DB_PASSWORD}", "dbpw").Replace(v)
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: hearth check-config with its environment: %v\n%s", name, err, out)
		}
	}
}
