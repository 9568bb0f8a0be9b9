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
// reloaded; and without the keys that belong to this machine.
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
	write("listen: [\"192.168.1.2:53\"]\nstate: {redis: \"redis://127.0.0.1/0\", node: pi-kitchen}\ntimezone: Europe/Paris\n")
	h.noteRunningConfig()
	if b, _ := f.Read(); strings.Contains(string(b), "listen") || strings.Contains(string(b), "pi-kitchen") || !strings.Contains(string(b), "Europe/Paris") {
		t.Errorf("shared with this machine's keys, or without the household's: %q", b)
	}
}
