package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/policy/state"
)

// configEditor is hearth.yaml for the dashboard's edits, checked by the
// same loader as check-config and SIGHUP (the same environment and flags).
func configEditor(opts config.LoadOptions, src config.Source, cfg *config.Config) *configedit.File {
	f := &configedit.File{Path: src.File}
	if !cfg.Web.EditConfig {
		f.Off = "web.edit_config is false: the dashboard shows the YAML to paste into " + src.File + " instead of saving it"
	}
	f.Check = func(b []byte) error {
		o := opts
		o.File, o.Data = src.File, b
		_, _, err := config.Load(o)
		return err
	}
	return f
}

// movedSuffix is added to assignments.json once its devices are in
// hearth.yaml.
const movedSuffix = ".moved-to-hearth.yaml"

// moveAssignments writes the devices named on the dashboard before (kept in
// the state directory's assignments.json) into hearth.yaml's devices, once,
// when the file can be saved: one place says who is who. A device whose
// address or name the file already has is left out (the file won, and
// still does); one whose group is gone goes in the default group. The old
// file is renamed aside. It returns how many moved; on any problem nothing
// moves and the old file keeps working.
func moveAssignments(f *configedit.File, cfg *config.Config, log zerolog.Logger) (int, error) {
	path := filepath.Join(cfg.StateDirectory(), state.AssignmentsFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	snap, err := f.Read()
	if err != nil || !snap.Writable {
		return 0, err
	}
	store, err := state.OpenAssignmentsReadOnly(path)
	if store == nil {
		return 0, err
	}
	list := store.List()
	moved, skipped := 0, 0
	_, err = f.Edit(snap.Version, func(d *configedit.Doc) error {
		groups, err := d.Groups()
		if err != nil {
			return err
		}
		for _, a := range list {
			if byKey, byName := d.FindDevice(a.Key, a.Name); byKey >= 0 || byName >= 0 {
				skipped++
				continue
			}
			group := a.Group
			if !slices.ContainsFunc(groups, func(g configedit.NamedValue) bool { return g.Name == group }) {
				group = ""
			}
			if err := d.SetDevice(configedit.Device{Key: a.Key, Name: a.Name, Group: group}); err != nil {
				return err
			}
			moved++
		}
		return nil
	}, nil)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(path, path+movedSuffix); err != nil {
		return moved, err
	}
	log.Info().Str("event", "assignments_moved").Int("moved", moved).Int("skipped", skipped).
		Str("from", path).Str("to", f.Path).Msg("devices named on the dashboard are now in hearth.yaml")
	return moved, nil
}
