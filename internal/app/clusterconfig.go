package app

import (
	"os"

	"go.yaml.in/yaml/v3"

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

// Read is the text this node runs: the file as it was at the start or the
// last successful reload. A file edited by hand but not reloaded is not
// shared (nor checked) yet.
func (s sharedFile) Read() ([]byte, error) {
	if p := s.h.runningConfig.Load(); p != nil {
		return *p, nil
	}
	snap, err := s.f.Read()
	return snap.Data, err
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

func (s sharedFile) Take(text []byte) error {
	_, err := s.f.Replace(text, s.h.RequestReload)
	return err
}

// Warnings says when the shared file sets what must differ between nodes:
// state.node (each node's comes from HEARTH_STATE_NODE or --state.node).
func (s sharedFile) Warnings(text []byte) []string {
	var doc struct {
		State struct {
			Node string `yaml:"node"`
		} `yaml:"state"`
	}
	if yaml.Unmarshal(text, &doc) != nil || doc.State.Node == "" {
		return nil
	}
	return []string{"the shared hearth.yaml sets state.node (" + doc.State.Node + "), which every node would take: " +
		"remove it and give each node its name with HEARTH_STATE_NODE"}
}

// sharedConfigOf is the cluster's ConfigStatus for the dashboard.
func sharedConfigOf(c *cluster.ConfigStatus) *web.SharedConfig {
	if c == nil {
		return nil
	}
	return &web.SharedConfig{Seq: c.Seq, From: c.From, At: c.At, State: c.State, Refused: c.Refused,
		Problems: c.Problems, KeptOwn: c.KeptOwn, Warnings: c.Warnings}
}
