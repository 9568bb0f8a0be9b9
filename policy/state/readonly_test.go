package state

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// The read-only openers leave a damaged file where it is, report it as not
// taken into account, and refuse changes.
func TestReadOnlyOpenersLeaveDamagedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		file, what string
		open       func(path string) (bool, error) // store returned, error
	}{
		{OverridesFile, "pauses and bonus time", func(p string) (bool, error) {
			o, err := OpenOverridesReadOnly(p, clocktest.New(now))
			return o != nil, err
		}},
		{AssignmentsFile, "devices named on the dashboard", func(p string) (bool, error) {
			a, err := OpenAssignmentsReadOnly(p)
			return a != nil, err
		}},
		{DevicesFile, "devices seen", func(p string) (bool, error) {
			r, err := OpenRegistryReadOnly(p)
			return r != nil, err
		}},
	} {
		path := filepath.Join(dir, tc.file)
		if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		ok, err := tc.open(path)
		if !ok || err == nil || !strings.Contains(err.Error(), tc.file+" cannot be parsed: "+tc.what+" were not taken into account") {
			t.Errorf("%s: store %v, error %v", tc.file, ok, err)
		}
		if data, err := os.ReadFile(path); err != nil || string(data) != "{not json" {
			t.Errorf("%s changed: %q, %v", tc.file, data, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: the directory holds %d files, want the damaged one only", tc.file, len(entries))
		}
		os.Remove(path)
	}
}

func TestReadOnlyStoresRefuseChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clk := clocktest.New(now)
	path := filepath.Join(dir, OverridesFile)
	rw, err := OpenOverrides(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Add(Override{Kind: OverridePause, Group: "kids", Until: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	ro, err := OpenOverridesReadOnly(path, clk)
	if err != nil || len(ro.List(now)) != 1 {
		t.Fatalf("read-only store: %v, %v", ro.List(now), err)
	}
	if _, err := ro.Add(Override{Kind: OverridePause, Group: "kids", Until: now.Add(time.Hour)}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Add: %v, want ErrReadOnly", err)
	}
	if err := ro.Cancel(ro.List(now)[0].ID); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Cancel: %v, want ErrReadOnly", err)
	}
	if err := ro.Prune(now.Add(2 * time.Hour)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Prune: %v, want ErrReadOnly", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("overrides.json changed:\n%s\nwas\n%s", after, before)
	}

	as, err := OpenAssignmentsReadOnly(filepath.Join(dir, AssignmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := as.Set(Assignment{Key: "ip:192.168.1.7", Name: "tv"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Set: %v, want ErrReadOnly", err)
	}
	if err := as.Remove("ip:192.168.1.7"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Remove: %v, want ErrReadOnly", err)
	}

	reg, err := OpenRegistryReadOnly(filepath.Join(dir, DevicesFile))
	if err != nil {
		t.Fatal(err)
	}
	reg.Observe("", nil, netip.MustParseAddr("192.168.1.7"), "", now)
	if err := reg.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DevicesFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only registry wrote its file: %v", err)
	}
}
