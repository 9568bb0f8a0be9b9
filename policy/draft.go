package policy

import (
	"errors"
	"maps"
	"slices"
)

// Draft returns a throwaway engine for the running configuration as change
// makes it (a group being edited on the dashboard, before it is saved):
// compiled by the same compiler, bound to the same lists, reading (never
// writing) the same pauses, bonus time, devices seen and devices named, so
// its Week and Status say what the change would do. change gets a copy:
// the running engine is untouched. A configuration with problems is
// refused with every problem (*fielderr.Error each, by key).
func (e *Engine) Draft(change func(*Config)) (*Engine, error) {
	e.mu.Lock()
	cfg, cats, lists := e.cfg, slices.Clone(e.opts.ListCategories), e.lists
	e.mu.Unlock()
	cfg.Groups = maps.Clone(cfg.Groups)
	cfg.Devices = slices.Clone(cfg.Devices)
	if cfg.Groups == nil {
		cfg.Groups = map[string]GroupConfig{}
	}
	change(&cfg)
	p, errs := compile(cfg, e.opts.Catalogue, cats)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	d := &Engine{opts: e.opts, cfg: cfg, lists: lists}
	d.opts.ListCategories = cats
	d.src.Neighbours = e.opts.Neighbours
	assign(p, e.opts.Assignments.List())
	p.attachBudgets(e.opts.Budgets)
	d.cur.Store(bind(p, lists))
	return d, nil
}
