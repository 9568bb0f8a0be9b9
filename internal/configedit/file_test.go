package configedit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/hearth-dns/hearth/internal/configedit"
)

func writeFixture(t *testing.T) (string, []byte) {
	t.Helper()
	src, err := os.ReadFile("testdata/hearth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, src, 0o640); err != nil {
		t.Fatal(err)
	}
	return path, src
}

func setGuests(mode string) func(*Doc) error {
	return func(d *Doc) error {
		n, err := FromJSON([]byte(`{"safe_search":"` + mode + `"}`))
		if err != nil {
			return err
		}
		return d.SetGroup("guests", n)
	}
}

// TestEditKeepsGenerationsAndRefusesStale: each edit keeps the previous
// file as .1 (older ones shift, up to .3); an edit from an old version is
// refused with the current one and writes nothing; a refused check and a
// refused reload leave the file as it was.
func TestEditKeepsGenerationsAndRefusesStale(t *testing.T) {
	path, src := writeFixture(t)
	f := &File{Path: path, Check: check(path)}
	s0, err := f.Read()
	if err != nil || !s0.Writable || s0.Version != Version(src) {
		t.Fatalf("read: %+v, %v", s0, err)
	}
	v := s0.Version
	for _, mode := range []string{"strict", "off", "moderate", "strict"} {
		s, err := f.Edit(v, setGuests(mode), nil)
		if err != nil {
			t.Fatalf("edit to %s: %v", mode, err)
		}
		v = s.Version
	}
	gens := map[string]string{".1": "moderate", ".2": "off", ".3": "strict"}
	for suffix, mode := range gens {
		b, err := os.ReadFile(path + suffix)
		if err != nil || !strings.Contains(string(b), "safe_search: "+mode+"\n\njournal") {
			t.Errorf("%s: %v\n%s", suffix, err, b)
		}
	}
	if _, err := os.Stat(path + ".4"); !os.IsNotExist(err) {
		t.Errorf(".4 exists (%v): only 3 generations are kept", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640", fi.Mode().Perm())
	}

	before, _ := os.ReadFile(path)
	_, err = f.Edit(s0.Version, setGuests("off"), nil)
	var stale *StaleError
	if !errors.As(err, &stale) || stale.Current != v {
		t.Fatalf("stale edit: %v, want StaleError with %s", err, v)
	}
	_, err = f.Edit(v, setGuests("sometimes"), nil)
	var ce *CheckError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "groups.guests.safe_search") {
		t.Fatalf("bad value: %v", err)
	}
	_, err = f.Edit(v, setGuests("off"), func() error { return errors.New("port taken") })
	var ae *ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("refused reload: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the file changed after refused edits:\n%s", after)
	}
}

// TestReadOnly: a file that cannot be written, editing turned off, or no
// file at all: a valid edit is refused with why and the YAML to paste.
func TestReadOnly(t *testing.T) {
	path, src := writeFixture(t)
	dir := filepath.Dir(path)
	for _, tc := range []struct {
		name string
		f    *File
		prep func(*testing.T)
		off  bool
	}{
		{"turned off", &File{Path: path, Check: check(path), Off: "web.edit_config is false"}, func(*testing.T) {}, true},
		{"no file", &File{}, func(*testing.T) {}, false},
		{"not writable", &File{Path: path, Check: check(path)}, func(t *testing.T) {
			if os.Geteuid() == 0 {
				t.Skip("root can write anything")
			}
			_ = os.Chmod(dir, 0o500)
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prep(t)
			_, err := tc.f.Edit("", setGuests("strict"), func() error { t.Error("applied"); return nil })
			var ro *ReadOnlyError
			if !errors.As(err, &ro) || ro.Why == "" || ro.Off != tc.off || !strings.Contains(string(ro.YAML), "safe_search: strict") {
				t.Fatalf("err = %v (%+v)", err, ro)
			}
			if b, _ := os.ReadFile(path); string(b) != string(src) {
				t.Error("the file changed")
			}
		})
	}
}

// TestReplace: a whole new text is checked, the previous file kept as .1,
// and applied; a refused check or apply leaves the file as it was.
func TestReplace(t *testing.T) {
	path, src := writeFixture(t)
	f := &File{Path: path, Check: check(path)}
	next := []byte(strings.Replace(string(src), "response: nxdomain", "response: refused", 1))
	applied := 0
	s, err := f.Replace(next, func() error { applied++; return nil })
	if err != nil || applied != 1 || s.Version != Version(next) {
		t.Fatalf("replace: %+v, %v, applied %d", s, err, applied)
	}
	if b, _ := os.ReadFile(path + ".1"); string(b) != string(src) {
		t.Errorf(".1 is not the previous file:\n%s", b)
	}
	bad := []byte(strings.Replace(string(src), "response: nxdomain", "response: maybe", 1))
	var ce *CheckError
	if _, err := f.Replace(bad, func() error { applied++; return nil }); !errors.As(err, &ce) || !strings.Contains(err.Error(), "blocking.response") {
		t.Errorf("bad text: %v", err)
	}
	var ae *ApplyError
	if _, err := f.Replace(src, func() error { return errors.New("port taken") }); !errors.As(err, &ae) {
		t.Errorf("failed apply: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(next) || applied != 1 {
		t.Errorf("after refusals the file is not the last good one (applied %d):\n%s", applied, b)
	}
}
