package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/fielderr"
)

var overrideT0 = time.Date(2025, 3, 14, 16, 0, 0, 0, time.UTC)

func openTestOverrides(t *testing.T, path string) (*Overrides, *clocktest.Fake) {
	t.Helper()
	clk := clocktest.New(overrideT0)
	o, err := OpenOverrides(path, clk)
	if err != nil {
		t.Fatalf("OpenOverrides: %v", err)
	}
	return o, clk
}

func mustAddOverride(t *testing.T, o *Overrides, ov Override) Override {
	t.Helper()
	got, err := o.Add(ov)
	if err != nil {
		t.Fatalf("Add(%+v): %v", ov, err)
	}
	return got
}

func pauseKids(until time.Duration) Override {
	return Override{Kind: OverridePause, Group: "kids", Until: overrideT0.Add(until), By: "dashboard"}
}

func bonusAlex(what string, until time.Duration) Override {
	return Override{Kind: OverrideBonus, Device: "alex-tablet", What: what, Until: overrideT0.Add(until), By: "cli"}
}

func overrideIDs(list []Override) string {
	ids := make([]string, len(list))
	for i, ov := range list {
		ids[i] = ov.ID
	}
	return strings.Join(ids, ",")
}

func TestOverrideTargetAndActive(t *testing.T) {
	t.Parallel()
	if got := (Override{Device: "alex-tablet"}).Target(); got != "device alex-tablet" {
		t.Errorf("Target = %q", got)
	}
	if got := (Override{Group: "kids"}).Target(); got != "group kids" {
		t.Errorf("Target = %q", got)
	}
	ov := Override{Created: overrideT0, Until: overrideT0.Add(time.Hour)}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{-time.Second, false}, {0, true}, {59 * time.Minute, true}, {time.Hour, false}} {
		if got := ov.Active(overrideT0.Add(tc.at)); got != tc.want {
			t.Errorf("Active(t0%+v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	ov.Created = time.Time{}
	if !ov.Active(overrideT0.Add(-24 * time.Hour)) {
		t.Error("zero Created: not active before Until")
	}
}

func TestOverridesAddListCancel(t *testing.T) {
	t.Parallel()
	o, clk := openTestOverrides(t, filepath.Join(t.TempDir(), "overrides.json"))
	a := mustAddOverride(t, o, pauseKids(2*time.Hour))
	b := mustAddOverride(t, o, bonusAlex("minecraft", time.Hour))
	if len(a.ID) != 8 || strings.Trim(a.ID, "0123456789abcdef") != "" {
		t.Errorf("ID %q: want 8 lowercase hex characters", a.ID)
	}
	if a.ID == b.ID {
		t.Errorf("two overrides share ID %q", a.ID)
	}
	if !a.Created.Equal(overrideT0) || a.By != "dashboard" {
		t.Errorf("added %+v: want Created from the clock and By kept", a)
	}
	// Sorted by Until: the bonus ends first.
	if got, want := overrideIDs(o.List(clk.Now())), b.ID+","+a.ID; got != want {
		t.Errorf("List = %s, want %s", got, want)
	}
	if got := o.List(overrideT0.Add(90 * time.Minute)); overrideIDs(got) != a.ID {
		t.Errorf("List after the bonus ended = %s, want %s", overrideIDs(got), a.ID)
	}
	if got := o.List(overrideT0.Add(-time.Minute)); got == nil || len(got) != 0 {
		t.Errorf("List before Created = %v, want an empty non-nil slice", got)
	}

	list := o.List(clk.Now())
	list[0].What = "changed by the caller"
	if o.Snapshot()[0].What != "minecraft" {
		t.Error("List shares its slice with the store")
	}

	if err := o.Cancel(b.ID); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if got := overrideIDs(o.List(clk.Now())); got != a.ID {
		t.Errorf("List after Cancel = %s, want %s", got, a.ID)
	}
	if err := o.Cancel(b.ID); !errors.Is(err, ErrNoOverride) {
		t.Errorf("Cancel again: %v, want ErrNoOverride", err)
	}
}

func TestOverridesReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "overrides.json")
	o, _ := openTestOverrides(t, path)
	a := mustAddOverride(t, o, pauseKids(2*time.Hour))
	b := mustAddOverride(t, o, bonusAlex("gaming", time.Hour))
	c := mustAddOverride(t, o, bonusAlex("youtube", 3*time.Hour))
	if err := o.Cancel(c.ID); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v, want 0600", fi.Mode(), err)
	}

	o2, _ := openTestOverrides(t, path)
	got := o2.Snapshot()
	want := []Override{b, a}
	if len(got) != len(want) {
		t.Fatalf("reloaded %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Kind != w.Kind || g.Device != w.Device || g.Group != w.Group ||
			g.What != w.What || g.By != w.By || !g.Until.Equal(w.Until) || !g.Created.Equal(w.Created) {
			t.Errorf("reloaded[%d] = %+v, want %+v", i, g, w)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the store (temp files left behind?)", len(entries))
	}
}

func TestOverridesMemoryOnly(t *testing.T) {
	t.Parallel()
	o, clk := openTestOverrides(t, "")
	a := mustAddOverride(t, o, pauseKids(time.Hour))
	if got := overrideIDs(o.List(clk.Now())); got != a.ID {
		t.Errorf("List = %s, want %s", got, a.ID)
	}
	if err := o.Prune(overrideT0.Add(2 * time.Hour)); err != nil || len(o.Snapshot()) != 0 {
		t.Errorf("Prune: %v, left %d", err, len(o.Snapshot()))
	}
}

func TestOverridesExpiredDroppedOnLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "overrides.json")
	o, _ := openTestOverrides(t, path)
	short := mustAddOverride(t, o, bonusAlex("gaming", time.Hour))
	long := mustAddOverride(t, o, pauseKids(3*time.Hour))

	clk := clocktest.New(overrideT0.Add(time.Hour)) // the bonus ends exactly now
	o2, err := OpenOverrides(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	if got := overrideIDs(o2.Snapshot()); got != long.ID {
		t.Errorf("loaded %s, want only %s (%s expired)", got, long.ID, short.ID)
	}
}

func TestOverridesPrune(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "overrides.json")
	o, _ := openTestOverrides(t, path)
	short := mustAddOverride(t, o, bonusAlex("gaming", time.Hour))
	long := mustAddOverride(t, o, pauseKids(3*time.Hour))

	if err := o.Prune(overrideT0.Add(59 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := len(o.Snapshot()); got != 2 {
		t.Errorf("Prune before any ended left %d, want 2", got)
	}
	if err := o.Prune(overrideT0.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := overrideIDs(o.Snapshot()); got != long.ID {
		t.Errorf("after Prune: %s, want %s (%s expired)", got, long.ID, short.ID)
	}
	// Persisted: a store opened while both are still active sees only one.
	o2, _ := openTestOverrides(t, path)
	if got := overrideIDs(o2.Snapshot()); got != long.ID {
		t.Errorf("reloaded after Prune: %s, want %s", got, long.ID)
	}
}

func TestOverridesValidation(t *testing.T) {
	t.Parallel()
	o, _ := openTestOverrides(t, "")
	for _, tc := range []struct {
		name string
		ov   Override
		key  string
	}{
		{"unknown kind", Override{Kind: "mute", Group: "kids", Until: overrideT0.Add(time.Hour)}, "kind"},
		{"no kind", Override{Group: "kids", Until: overrideT0.Add(time.Hour)}, "kind"},
		{"no target", Override{Kind: OverridePause, Until: overrideT0.Add(time.Hour)}, "device"},
		{"both targets", Override{Kind: OverridePause, Device: "alex-tablet", Group: "kids", Until: overrideT0.Add(time.Hour)}, "device"},
		{"bonus without what", Override{Kind: OverrideBonus, Group: "kids", Until: overrideT0.Add(time.Hour)}, "what"},
		{"pause with what", Override{Kind: OverridePause, Group: "kids", What: "gaming", Until: overrideT0.Add(time.Hour)}, "what"},
		{"no until", Override{Kind: OverridePause, Group: "kids"}, "until"},
		{"until now", Override{Kind: OverridePause, Group: "kids", Until: overrideT0}, "until"},
		{"until past", Override{Kind: OverridePause, Group: "kids", Until: overrideT0.Add(-time.Minute)}, "until"},
		{"until past 7 days", Override{Kind: OverridePause, Group: "kids", Until: overrideT0.Add(MaxOverride + time.Second)}, "until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := o.Add(tc.ov)
			var fe *fielderr.Error
			if !errors.As(err, &fe) || fe.Key != tc.key {
				t.Fatalf("Add: %v, want a *fielderr.Error for %q", err, tc.key)
			}
			if got.ID != "" || len(o.Snapshot()) != 0 {
				t.Errorf("invalid override was added: %+v", got)
			}
		})
	}

	// Exactly seven days is allowed.
	mustAddOverride(t, o, Override{Kind: OverridePause, Group: "kids", Until: overrideT0.Add(MaxOverride)})

	// Every problem is reported at once.
	_, err := o.Add(Override{Kind: OverrideBonus})
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *fielderr.Error
		if errors.As(e, &fe) {
			keys = append(keys, fe.Key)
		}
	}
	if got := strings.Join(keys, ","); got != "what,device,until" {
		t.Errorf("keys = %s, want what,device,until (err %v)", got, err)
	}
}

func TestOverridesCorruptFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, content string }{
		{"bad json", `{"version":1,"overrides":[{"id":`},
		{"unknown version", `{"version":2,"overrides":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "overrides.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			clk := clocktest.New(overrideT0)
			o, err := OpenOverrides(path, clk)
			aside := path + ".corrupt-20250314T160000"
			if err == nil || !strings.Contains(err.Error(), "cannot be parsed") || !strings.Contains(err.Error(), aside) {
				t.Errorf("error %v: want one saying the file was moved to %s", err, aside)
			}
			if o == nil {
				t.Fatal("nil store: want an empty, usable one")
			}
			if b, err := os.ReadFile(aside); err != nil || string(b) != tc.content {
				t.Errorf("moved-aside file: %q, %v", b, err)
			}
			a := mustAddOverride(t, o, pauseKids(time.Hour))
			o2, err := OpenOverrides(path, clk)
			if err != nil || overrideIDs(o2.Snapshot()) != a.ID {
				t.Errorf("after Add, reload: %v %v, want %s", overrideIDs(o2.Snapshot()), err, a.ID)
			}
		})
	}
}

func TestOverridesBadEntriesDropped(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "overrides.json")
	until := overrideT0.Add(time.Hour).Format(time.RFC3339)
	content := fmt.Sprintf(`{"version":1,"overrides":[
		{"id":"0000000a","kind":"pause","group":"kids","until":%[1]q,"created":%[2]q},
		{"id":"0000000b","kind":"pause","group":"kids","device":"alex-tablet","until":%[1]q,"created":%[2]q},
		{"id":"0000000a","kind":"pause","group":"teens","until":%[1]q,"created":%[2]q}
	]}`, until, overrideT0.Format(time.RFC3339))
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := OpenOverrides(path, clocktest.New(overrideT0))
	if err == nil || !strings.Contains(err.Error(), "overrides[1]") || !strings.Contains(err.Error(), "overrides[2]") {
		t.Errorf("error %v: want overrides[1] and overrides[2] named", err)
	}
	if o == nil || overrideIDs(o.Snapshot()) != "0000000a" {
		t.Fatalf("loaded %v, want only the first entry", o)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("file with some bad entries was moved: %v", err)
	}
}

func TestOverridesUnreadableFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A directory where the file should be cannot be read, even by root.
	o, err := OpenOverrides(dir, clocktest.New(overrideT0))
	if err == nil || o != nil {
		t.Errorf("OpenOverrides(directory) = %v, %v; want nil and an error", o, err)
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: skipping the file-permission case")
		return
	}
	path := filepath.Join(dir, "overrides.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"overrides":[]}`), 0o000); err != nil {
		t.Fatal(err)
	}
	o, err = OpenOverrides(path, clocktest.New(overrideT0))
	if err == nil || o != nil {
		t.Errorf("OpenOverrides(unreadable) = %v, %v; want nil and an error", o, err)
	}
}

func TestOverridesNotPersisted(t *testing.T) {
	t.Parallel()
	t.Run("read-only directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		o, clk := openTestOverrides(t, filepath.Join(dir, "overrides.json"))
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		ov, err := o.Add(pauseKids(time.Hour))
		if os.Geteuid() == 0 {
			t.Log("running as root: permissions are not enforced, skipping the ErrNotPersisted assertion")
		} else if !errors.Is(err, ErrNotPersisted) {
			t.Errorf("Add in a read-only directory: %v, want ErrNotPersisted", err)
		}
		if ov.ID == "" || overrideIDs(o.List(clk.Now())) != ov.ID {
			t.Errorf("override does not apply: added %+v, list %v", ov, o.List(clk.Now()))
		}
	})
	t.Run("directory replaced by a file", func(t *testing.T) {
		// Works as root too: nothing can create a directory where a file is.
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "overrides.json")
		o, clk := openTestOverrides(t, path)
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		ov, err := o.Add(pauseKids(time.Hour))
		if !errors.Is(err, ErrNotPersisted) {
			t.Errorf("Add: %v, want ErrNotPersisted", err)
		}
		if ov.ID == "" || overrideIDs(o.List(clk.Now())) != ov.ID {
			t.Errorf("override does not apply: added %+v, list %v", ov, o.List(clk.Now()))
		}
		// Once the disk is back, Prune saves what was missed.
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := o.Prune(clk.Now()); err != nil {
			t.Fatalf("Prune: %v", err)
		}
		o2, _ := openTestOverrides(t, path)
		if got := overrideIDs(o2.Snapshot()); got != ov.ID {
			t.Errorf("reloaded %s, want %s", got, ov.ID)
		}
	})
}

func TestOverridesOnChange(t *testing.T) {
	t.Parallel()
	o, _ := openTestOverrides(t, "")
	var got []string
	o.OnChange(func(s []Override) { got = append(got, overrideIDs(s)) })
	a := mustAddOverride(t, o, pauseKids(2*time.Hour))
	b := mustAddOverride(t, o, bonusAlex("gaming", time.Hour))
	if err := o.Cancel(a.ID); err != nil {
		t.Fatal(err)
	}
	o.Prune(overrideT0.Add(time.Minute))   // nothing ends: no call
	o.Prune(overrideT0.Add(3 * time.Hour)) // b ends
	want := []string{a.ID, b.ID + "," + a.ID, b.ID, ""}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("OnChange saw %q, want %q", got, want)
	}
}

func TestOverridesOnChangeMayChangeStore(t *testing.T) {
	t.Parallel()
	o, _ := openTestOverrides(t, "")
	var calls int
	var last []Override
	o.OnChange(func(s []Override) {
		calls++
		last = s
		if calls == 1 { // a change from inside the callback must not deadlock
			mustAddOverride(t, o, bonusAlex("gaming", time.Hour))
		}
	})
	mustAddOverride(t, o, pauseKids(time.Hour))
	if calls != 2 || len(last) != 2 {
		t.Errorf("calls %d, last snapshot %d overrides; want 2 and 2", calls, len(last))
	}
}

func TestOverridesSnapshotNoAlloc(t *testing.T) {
	o, _ := openTestOverrides(t, "")
	mustAddOverride(t, o, pauseKids(time.Hour))
	var n int
	allocs := testing.AllocsPerRun(1000, func() { n += len(o.Snapshot()) })
	if allocs != 0 {
		t.Errorf("Snapshot allocates %v times per call", allocs)
	}
}

func TestOverridesConcurrent(t *testing.T) {
	t.Parallel()
	o, clk := openTestOverrides(t, filepath.Join(t.TempDir(), "overrides.json"))
	var latest []Override
	var mu sync.Mutex
	o.OnChange(func(s []Override) { mu.Lock(); latest = s; mu.Unlock() })

	const writers, each = 4, 10
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, ov := range o.Snapshot() {
					_ = ov.Active(clk.Now())
				}
				_ = o.List(clk.Now())
			}
		})
	}
	var adders sync.WaitGroup
	for w := range writers {
		adders.Go(func() {
			for i := range each {
				ov, err := o.Add(bonusAlex(fmt.Sprintf("svc-%d-%d", w, i), time.Duration(1+i)*time.Minute))
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					if err := o.Cancel(ov.ID); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	adders.Wait()
	close(stop)
	wg.Wait()

	want := writers * (each - 4) // i = 0, 3, 6, 9 cancelled
	if got := len(o.Snapshot()); got != want {
		t.Errorf("%d overrides, want %d", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if overrideIDs(latest) != overrideIDs(o.Snapshot()) {
		t.Error("the last OnChange call did not carry the latest snapshot")
	}
	o2, _ := openTestOverrides(t, o.path)
	if overrideIDs(o2.Snapshot()) != overrideIDs(o.Snapshot()) {
		t.Error("the file does not hold the latest set")
	}
}
