package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/policy/state"
)

// TestMoveAssignments: the devices named on the dashboard before move into
// hearth.yaml once; one the file already has (by address or by name) is
// left out, one whose group is gone goes in the default group; the old
// file is renamed aside, and a second start moves nothing.
func TestMoveAssignments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	yaml := `# who is who
state_dir: ` + dir + `
devices:
  - {name: alex-tablet, ip: 127.0.0.2, group: kids} # Alex's
groups:
  default: {}
  kids:
    rules: [{block: [gaming]}]
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, state.AssignmentsFile)
	store, err := state.OpenAssignments(old)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []state.Assignment{
		{Key: "ip:127.0.0.5", Name: "guest-phone", Group: "kids"},
		{Key: "ip:127.0.0.2", Name: "tablet-again", Group: "kids"},          // the file has the address
		{Key: "ip:127.0.0.6", Name: "alex-tablet"},                          // the file has the name
		{Key: "mac:3c:22:fb:12:34:56", Name: "old-console", Group: "teens"}, // no such group now
	} {
		if err := store.Set(a); err != nil {
			t.Fatal(err)
		}
	}

	opts := config.LoadOptions{File: path, Search: []string{}, Environ: func() []string { return nil }}
	load := func() (*config.Config, config.Source) {
		t.Helper()
		cfg, src, err := config.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		return cfg, src
	}
	cfg, src := load()
	n, err := moveAssignments(configEditor(opts, src, cfg), cfg, zerolog.Nop())
	if err != nil || n != 2 {
		t.Fatalf("moveAssignments = %d, %v; want 2 moved", n, err)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, want := range []string{"# who is who", "# Alex's", "guest-phone", "127.0.0.5", "old-console", "3c:22:fb:12:34:56"} {
		if !strings.Contains(text, want) {
			t.Errorf("hearth.yaml lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "tablet-again") || strings.Count(text, "alex-tablet") != 1 || strings.Contains(text, "teens") {
		t.Errorf("hearth.yaml took a device it already had, or a gone group:\n%s", text)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", old, err)
	}
	if _, err := os.Stat(old + movedSuffix); err != nil {
		t.Errorf("the old file was not kept aside: %v", err)
	}

	// The file loads, with the moved devices in it; a second start moves
	// nothing and leaves the file as it is.
	cfg, src = load()
	if len(cfg.Policy.Devices) != 3 {
		t.Errorf("devices after the move = %+v, want 3", cfg.Policy.Devices)
	}
	if n, err := moveAssignments(configEditor(opts, src, cfg), cfg, zerolog.Nop()); n != 0 || err != nil {
		t.Errorf("second moveAssignments = %d, %v; want nothing", n, err)
	}
	if again, _ := os.ReadFile(path); string(again) != text {
		t.Error("the second start changed hearth.yaml")
	}
}
