package app

import (
	"errors"
	"slices"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/web"
)

// Reload applies cfg as one generation, in full or not at all:
//
//  1. prepare every part aside: new Lists if their setup changed, the
//     resolver's pipeline with its new listen ports bound, the compiled
//     policy. Any part that refuses leaves everything as it was, and its
//     error is returned;
//  2. commit the resolver and the policy together (neither can fail now),
//     then run the new lists; the old ones keep filtering until the new ones
//     have compiled.
//
// A configuration that blocks nothing for anyone is refused while the
// running one filters, unless it says `unfiltered: true`: a file emptied or
// cut short by accident must not switch filtering off for the children.
//
// Journal and dashboard settings apply at the next start (a warning says so);
// alerts restart with their new settings, their queue kept on disk.
func (h *Hearth) Reload(cfg *config.Config) error {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if h.filtering && !cfg.Policy.Filters() && !cfg.Policy.Unfiltered {
		return ErrWouldUnfilter
	}

	// 1. Prepare.
	setup := listsSetupOf(cfg)
	var lists *blocklists.Lists
	if !setup.Equal(h.lists.setup) {
		var err error
		if lists, err = h.newLists(setup); err != nil {
			return err
		}
	}
	res, err := h.srv.Prepare(cfg.Config)
	if err != nil {
		return err
	}
	pol, err := h.engine.Prepare(cfg.Policy, cfg.ListCategories())
	if err != nil {
		h.srv.Discard(res)
		return err
	}

	// 2. Commit.
	if err := h.srv.Commit(res); err != nil {
		return err // only if another change came between: nothing changed
	}
	h.engine.Apply(pol)
	h.noteEncryptedDNS(cfg.Config)
	h.filtering = cfg.Policy.Filters()
	h.reloadAlerts(cfg)
	if cfg.Journal != h.journalCfg {
		h.log.Warn().Msg("journal settings changed: they apply after a restart")
	}
	h.reloadCluster(cfg)
	if !webSettingsEqual(cfg.Web, h.webCfg) {
		h.log.Warn().Msg("web settings changed: they apply after a restart")
	}
	if lists != nil {
		old := h.lists
		rl := h.runLists(setup, lists)
		h.listsMu.Lock()
		h.lists = rl
		h.listsMu.Unlock()
		old.stop()
	}
	return nil
}

// ErrWouldUnfilter refuses a reload into a configuration that blocks
// nothing for anyone while the running one filters.
var ErrWouldUnfilter = errors.New("the new configuration chooses nothing to block for anyone (no blocking.block, group rules, bedtime, " +
	"safe search, bypass protection or device blocks; only the first-start protection against ways round the filter would remain) " +
	"while the running one filters: refused, the running configuration stays; if that is really meant, set unfiltered: true")

// webSettingsEqual reports whether the dashboard's settings are unchanged.
// Every field matters. (web.Config is the dashboard's; this comparison lives
// here, with its only user.)
func webSettingsEqual(a, b web.Config) bool {
	return a.Enabled == b.Enabled && a.Listen == b.Listen && slices.Equal(a.AllowClients, b.AllowClients) &&
		a.SessionTTL == b.SessionTTL && slices.Equal(a.Hosts, b.Hosts) && a.TLS == b.TLS && a.EditConfig == b.EditConfig
}
