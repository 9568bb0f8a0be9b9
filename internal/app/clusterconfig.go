package app

import (
	"os"

	"github.com/hearth-dns/hearth/internal/cluster"
	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/web"
)

// sharedFile is hearth.yaml as the cluster shares it (docs/two-nodes.md,
// "hearth.yaml"): read as the dashboard reads it, taken as the dashboard
// saves an edit (the same checker, hearth.yaml.1..3 kept, reloaded all or
// nothing, the previous file put back if the reload fails).
type sharedFile struct {
	h *Hearth
	f *configedit.File
}

var _ cluster.ConfigFile = sharedFile{}

// Read is the text this node shares: the file as it was at the start or
// the last successful reload, without the keys that belong to this machine
// (configedit.NodeLocal: where it listens, its state directory, its
// certificates' files, ...). A file edited by hand but not reloaded is not
// shared (nor checked) yet.
func (s sharedFile) Read() ([]byte, error) {
	var running []byte
	if p := s.h.runningConfig.Load(); p != nil {
		running = *p
	} else {
		snap, err := s.f.Read()
		if err != nil {
			return nil, err
		}
		running = snap.Data
	}
	return configedit.Strip(running, configedit.NodeLocal)
}

// noteRunningConfig remembers the file's text as the one this node runs
// (at the start, and after a successful reload). It reads the file without
// configedit's lock: an edit holds that lock while its reload runs.
func (h *Hearth) noteRunningConfig() {
	if h.configFile == nil || h.configFile.Path == "" {
		return
	}
	if b, err := os.ReadFile(h.configFile.Path); err == nil {
		h.runningConfig.Store(&b)
	}
}

// Take makes another node's shared text this node's file, with this
// node's own values of the keys that belong to its machine.
func (s sharedFile) Take(text []byte) error {
	own, err := s.f.Read()
	if err != nil {
		return err
	}
	merged, err := configedit.KeepOwn(text, own.Data, configedit.NodeLocal)
	if err != nil {
		return err
	}
	_, err = s.f.Replace(merged, s.h.RequestReload)
	return err
}

// sharedConfigOf is the cluster's ConfigStatus for the dashboard.
func sharedConfigOf(c *cluster.ConfigStatus) *web.SharedConfig {
	if c == nil {
		return nil
	}
	return &web.SharedConfig{Seq: c.Seq, From: c.From, At: c.At, State: c.State, Refused: c.Refused,
		Problems: c.Problems, KeptOwn: c.KeptOwn}
}
