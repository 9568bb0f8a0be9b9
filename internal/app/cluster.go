package app

import (
	"github.com/hearth-dns/hearth/internal/cluster"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/web"
)

// Live state shared with other Hearths through Redis (state.redis,
// docs/two-nodes.md). Without state.redis none of this runs. A reload that
// changes the state section applies the rest and says a restart is needed:
// reconnecting to another Redis mid-run would mix two households' state.

// startCluster starts sharing the engine's overrides, devices named and
// seen, budget minutes, and the dashboard's login lockouts (so it runs after
// startWeb) when cfg asks for it. It never fails the start: a Redis that is down
// leaves the node degraded, answering DNS with what it has.
func (h *Hearth) startCluster(cfg *config.Config) {
	h.stateCfg = cfg.State
	if !cfg.State.Shared() {
		return
	}
	var lockouts cluster.Lockouts
	if h.web != nil {
		lockouts = h.web.Auth()
	}
	var file cluster.ConfigFile
	if h.configFile != nil && h.configFile.Path != "" {
		h.noteRunningConfig()
		file = sharedFile{h: h, f: h.configFile}
	}
	n, err := cluster.Start(cluster.Options{
		URL: cfg.State.Redis, Node: cfg.State.NodeName(), Dir: cfg.StateDirectory(),
		Overrides: h.engine.Overrides(), Assignments: h.engine.Assignments(), Budgets: h.engine.Budgets(),
		Devices: h.engine.Devices(), Lockouts: lockouts, Config: file,
		Clock: h.clock, Log: h.log,
	})
	if err != nil {
		h.log.Error().Err(err).Msg("state not shared; this Hearth runs alone")
		return
	}
	h.engine.Assignments().OnReplace(h.engine.Rebind) // a device named on another node applies here
	h.log.Info().Str("node", cfg.State.NodeName()).Str("redis", config.RedactURL(cfg.State.Redis)).Msg("sharing live state through Redis")
	h.cluster = n
}

// stopCluster stops sharing (after a last try to send queued changes).
func (h *Hearth) stopCluster() {
	if h.cluster != nil {
		h.cluster.Close()
	}
}

// reloadCluster says a changed state section needs a restart.
func (h *Hearth) reloadCluster(cfg *config.Config) {
	if cfg.State != h.stateCfg {
		h.log.Warn().Msg("state settings (state.redis, state.node) changed: they apply after a restart")
	}
}

// ClusterStatus is this node's status among the others; false when state
// is not shared.
func (h *Hearth) ClusterStatus() (cluster.Status, bool) {
	if h.cluster == nil {
		return cluster.Status{}, false
	}
	return h.cluster.Status(), true
}

// sharedState is ClusterStatus for the dashboard.
func (h *Hearth) sharedState() (web.SharedState, bool) {
	st, ok := h.ClusterStatus()
	if !ok {
		return web.SharedState{}, false
	}
	return web.SharedState{Node: st.Node, Redis: st.Redis, Connected: st.Connected, DegradedSince: st.DegradedSince,
		LastError: st.LastError, Queued: st.Queued, Peers: st.Peers, NameTaken: st.NameTaken, Config: sharedConfigOf(st.Config)}, true
}
