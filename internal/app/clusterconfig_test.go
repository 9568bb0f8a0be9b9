package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/configedit"
)

// TestSharedFileIsTheRunningText: what the node shares is hearth.yaml as it
// runs it (the start, the last successful reload), not a hand edit not yet
// reloaded; a file that sets state.node is warned about.
func TestSharedFileIsTheRunningText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("timezone: Europe/London\n")
	h := &Hearth{configFile: &configedit.File{Path: path}}
	f := sharedFile{h: h, f: h.configFile}
	h.noteRunningConfig()
	write("timezone: Europe/Paris\n") // edited, not reloaded
	if b, err := f.Read(); err != nil || string(b) != "timezone: Europe/London\n" {
		t.Errorf("before the reload: %q, %v", b, err)
	}
	h.noteRunningConfig() // the reload went through
	if b, _ := f.Read(); string(b) != "timezone: Europe/Paris\n" {
		t.Errorf("after the reload: %q", b)
	}
	if w := f.Warnings([]byte("timezone: Europe/Paris\n")); w != nil {
		t.Errorf("no state.node: %q", w)
	}
	if w := f.Warnings([]byte("state: {redis: \"redis://127.0.0.1/0\", node: pi-kitchen}\n")); len(w) != 1 || !strings.Contains(w[0], "HEARTH_STATE_NODE") {
		t.Errorf("state.node in the file: %q", w)
	}
}
