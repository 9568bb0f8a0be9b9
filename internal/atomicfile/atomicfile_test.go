package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new", "state.json")
	for _, content := range []string{"first\n", "second\n"} {
		if err := Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestWriteFailsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "blocker")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(path, "state.json"), []byte("x"), 0o600); err == nil {
		t.Error("wrote under a regular file")
	}
}

func TestSetAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	now := time.Date(2026, 11, 27, 23, 5, 9, 0, time.FixedZone("x", 3600))
	var asides []string
	for i := range 2 {
		if err := os.WriteFile(path, []byte{byte('a' + i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		aside, err := SetAside(path, now)
		if err != nil {
			t.Fatal(err)
		}
		asides = append(asides, aside)
	}
	want := []string{path + ".corrupt-20261127T220509", path + ".corrupt-20261127T220509.1"}
	if !slices.Equal(asides, want) {
		t.Fatalf("asides = %q, want %q", asides, want)
	}
	for i, a := range asides {
		if b, err := os.ReadFile(a); err != nil || string(b) != string(rune('a'+i)) {
			t.Errorf("%s = %q, %v", a, b, err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the damaged file is still there: %v", err)
	}
}
