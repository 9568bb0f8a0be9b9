package policy

import (
	"fmt"
	"sync/atomic"
)

// PreparedPolicy is a policy compiled and checked, not yet in force: the
// policy's half of a reload that either applies in full or not at all
// (Prepare, then Apply, or drop it). It is used once.
type PreparedPolicy struct {
	cfg            Config
	listCategories []string
	plan           *plan
	applied        atomic.Bool
}

// Prepare compiles cfg against the engine's catalogue and listCategories
// (the configured lists' categories), without changing what the engine
// decides. A policy with problems is refused here, so that Apply cannot
// fail: a caller prepares every part of a new configuration first and
// applies them only when all of them prepared.
func (e *Engine) Prepare(cfg Config, listCategories []string) (*PreparedPolicy, error) {
	p, errs := compile(cfg, e.opts.Catalogue, listCategories)
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy: %w", joinErrors(errs))
	}
	return &PreparedPolicy{cfg: cfg, listCategories: listCategories, plan: p}, nil
}

// Apply puts a prepared policy in force, bound to the current lists and the
// devices named on the dashboard as they are now. It cannot fail. A
// PreparedPolicy applied before is applied again from a fresh compile (bind
// writes into the plan, which queries in flight may still read).
func (e *Engine) Apply(pp *PreparedPolicy) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := pp.plan
	if pp.applied.Swap(true) {
		p, _ = compile(pp.cfg, e.opts.Catalogue, pp.listCategories) // compiled once without problems
	}
	e.cfg, e.opts.ListCategories = pp.cfg, pp.listCategories
	assign(p, e.opts.Assignments.List())
	p.attachBudgets(e.opts.Budgets)
	e.cur.Store(bind(p, e.lists))
}
