package configedit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// DefaultKeep is how many previous versions an edit keeps beside the file.
const DefaultKeep = 3

// File is hearth.yaml as the dashboard edits it. Edits are made one at a
// time.
type File struct {
	// Path is the file Hearth was started with; "" when it runs on the
	// embedded default alone (then nothing can be saved).
	Path string
	// Check is the checker `hearth check-config` uses, run on the whole
	// new text: a problem refuses the edit, and nothing is written.
	Check func(data []byte) error
	// Off, if not "", turns editing off and says why (web.edit_config).
	Off string
	// Keep is how many previous versions are kept (Path.1 the newest);
	// 0 means DefaultKeep.
	Keep int

	mu sync.Mutex
}

// Snapshot is the file as read now.
type Snapshot struct {
	Data     []byte
	Version  string // Version(Data)
	Writable bool
	Why      string // why it cannot be saved, when not Writable
}

// Version is what an edit says it started from: the SHA-256 of the file's
// bytes, in hex.
func Version(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// StaleError refuses an edit made from a version that is no longer the
// file's: someone (or an editor) changed it since.
type StaleError struct{ Current string }

func (e *StaleError) Error() string {
	return "hearth.yaml changed since it was read: load it again and redo the change (nothing was overwritten)"
}

// ReadOnlyError refuses an edit that was valid but cannot be saved: YAML
// is the whole file as it would have been, to paste by hand.
type ReadOnlyError struct {
	Why  string
	Off  bool // editing is turned off (web.edit_config: false), not impossible
	Path string
	YAML []byte
}

func (e *ReadOnlyError) Error() string {
	return "hearth.yaml cannot be saved from the dashboard: " + e.Why
}

// ApplyError is a change that was saved but that the running process
// refused to apply: the previous file was put back.
type ApplyError struct{ Err error }

func (e *ApplyError) Error() string {
	return fmt.Sprintf("the change was checked but not applied, and hearth.yaml is as it was: %v", e.Err)
}
func (e *ApplyError) Unwrap() error { return e.Err }

// CheckError is the checker's refusal of an edit: Err holds every problem
// (errors.Join), each naming its key where it has one.
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }

// Unwrap returns the problems one by one.
func (e *CheckError) Unwrap() []error {
	if j, ok := e.Err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{e.Err}
}

// Read returns the file now, its version, and whether it can be saved.
func (f *File) Read() (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read()
}

func (f *File) read() (Snapshot, error) {
	var s Snapshot
	if f.Path == "" {
		s.Version = Version(nil)
		s.Why = "Hearth is running on its built-in defaults, with no hearth.yaml: save the YAML shown as /etc/hearth/hearth.yaml (or a file given with --config) and restart Hearth"
		return s, nil
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return s, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	s.Data, s.Version = data, Version(data)
	switch {
	case f.Off != "":
		s.Why = f.Off
	default:
		if err := writable(f.Path); err != nil {
			s.Why = fmt.Sprintf("%s cannot be written by Hearth (%v): paste the YAML shown into it yourself, then reload, or make it writable (see docs/configuration.md, \"Editing from the dashboard\")", f.Path, err)
		} else {
			s.Writable = true
		}
	}
	return s, nil
}

// writable checks that the file can be replaced: the file itself opens for
// writing and its directory takes a new file (the atomic write's temporary).
func writable(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(real, os.O_WRONLY, 0)
	if err != nil {
		return unwrapPath(err)
	}
	_ = fh.Close()
	probe, err := os.CreateTemp(filepath.Dir(real), ".hearth-write-check-*")
	if err != nil {
		return fmt.Errorf("its directory %s: %w", filepath.Dir(real), unwrapPath(err))
	}
	_ = probe.Close()
	return os.Remove(probe.Name())
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Edit changes the file: from the version the caller read ("" skips the
// check), change edits the text, Check checks the result, and then, if
// the file can be saved, the previous version is kept as Path.1 (older
// ones shift up to Path.<Keep>), the new text replaces the file
// atomically, and apply (the reload) runs. If apply fails the previous
// text is put back and *ApplyError returned. Refusals: *StaleError, the
// change's own error, Check's error, *ReadOnlyError. An edit that changes
// nothing writes nothing and applies nothing.
func (f *File) Edit(version string, change func(*Doc) error, apply func() error) (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.read()
	if err != nil {
		return s, err
	}
	if version != "" && version != s.Version {
		return s, &StaleError{Current: s.Version}
	}
	doc, err := Parse(s.Data)
	if err != nil {
		return s, fmt.Errorf("hearth.yaml does not parse, so it cannot be edited here: %w", err)
	}
	if err := change(doc); err != nil {
		return s, err
	}
	return f.save(s, doc.Bytes(), apply)
}

// Replace puts data in place of the whole file (a configuration shared by
// another node, docs/two-nodes.md) the way Edit saves an edit: Check, the
// previous version kept as Path.1, an atomic write, apply, and the
// previous text put back if apply fails. The same refusals as Edit's,
// *StaleError aside; the same text writes and applies nothing.
func (f *File) Replace(data []byte, apply func() error) (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.read()
	if err != nil {
		return s, err
	}
	return f.save(s, data, apply)
}

// save checks next and, if it can, writes it in place of s and applies it.
func (f *File) save(s Snapshot, next []byte, apply func() error) (Snapshot, error) {
	if bytes.Equal(next, s.Data) {
		return s, nil
	}
	if f.Check != nil {
		if err := f.Check(next); err != nil {
			return s, &CheckError{Err: err}
		}
	}
	if !s.Writable {
		return s, &ReadOnlyError{Why: s.Why, Off: f.Off != "", Path: f.Path, YAML: next}
	}
	real, err := filepath.EvalSymlinks(f.Path)
	if err != nil {
		return s, err
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(real); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := f.keep(real, s.Data, mode); err != nil {
		return s, fmt.Errorf("keeping the previous version of %s: %w (nothing was changed)", f.Path, err)
	}
	if err := atomicfile.Write(real, next, mode); err != nil {
		return s, fmt.Errorf("writing %s: %w (nothing was changed)", f.Path, err)
	}
	if apply != nil {
		if err := apply(); err != nil {
			if werr := atomicfile.Write(real, s.Data, mode); werr != nil {
				return s, fmt.Errorf("%w; and putting the previous file back failed: %v (it is in %s.1)", &ApplyError{Err: err}, werr, f.Path)
			}
			return s, &ApplyError{Err: err}
		}
	}
	return Snapshot{Data: next, Version: Version(next), Writable: true}, nil
}

// keep shifts path.1.. path.<Keep-1> up by one and saves data as path.1.
func (f *File) keep(path string, data []byte, mode fs.FileMode) error {
	n := f.Keep
	if n <= 0 {
		n = DefaultKeep
	}
	for i := n; i > 1; i-- {
		err := os.Rename(fmt.Sprintf("%s.%d", path, i-1), fmt.Sprintf("%s.%d", path, i))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return atomicfile.Write(path+".1", data, mode)
}
