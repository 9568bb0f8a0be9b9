package config

import (
	"strings"
	"testing"
)

// TestStateSection: state.redis and state.node load; a bad URL is named by
// its key and line, without the password; a node that is not a slug too.
func TestStateSection(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "state:\n  redis: redis://:s3cret@127.0.0.1:6379/2\n  node: pi-kitchen\n")
	cfg, _, err := Load(LoadOptions{File: path, Search: []string{}, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.State.Shared() || cfg.State.NodeName() != "pi-kitchen" {
		t.Errorf("state = %+v", cfg.State)
	}

	path = writeConfig(t, "state:\n  redis: http://:s3cret@127.0.0.1:6379/x\n  node: Pi Kitchen\n")
	_, _, err = Load(LoadOptions{File: path, Search: []string{}, Environ: env()})
	got := problems(err, "")
	if len(got) != 2 {
		t.Fatalf("problems = %q, want 2", got)
	}
	if !strings.Contains(got[0], "hearth.yaml:2: state.redis: ") || strings.Contains(got[0], "s3cret") {
		t.Errorf("redis problem = %q: want its line and key, never the password", got[0])
	}
	if !strings.Contains(got[1], "hearth.yaml:3: state.node: \"Pi Kitchen\" is not a slug") || !strings.Contains(got[1], `"pi-kitchen"`) {
		t.Errorf("node problem = %q", got[1])
	}

	// Neither key: alone, and the node is the host name made a slug.
	cfg, _, err = Load(LoadOptions{Search: []string{}, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.State.Shared() || cfg.State.NodeName() == "" {
		t.Errorf("default state = %+v, node %q", cfg.State, cfg.State.NodeName())
	}
}
