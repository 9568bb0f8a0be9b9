package policy

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// RouterLookup asks the home router what it calls an address (the
// resolver's RouterName: a PTR lookup through local.router).
type RouterLookup func(context.Context, netip.Addr) (string, error)

// SetRouterLookup gives the engine the way to ask the router for device
// names; until then (or with nil) no name is asked.
func (e *Engine) SetRouterLookup(f RouterLookup) {
	if f == nil {
		e.routerLookup.Store(nil)
		return
	}
	e.routerLookup.Store(&f)
}

// RefreshRouterNames asks the router for the names of the devices seen
// that were not asked within the hour (a few per call) and gives them to
// the registry of devices seen. Never called on the query path.
func (e *Engine) RefreshRouterNames(ctx context.Context) error {
	f := e.routerLookup.Load()
	if f == nil {
		return nil
	}
	err := e.routerNames.Refresh(ctx, e.opts.Devices.Addrs(), e.opts.Clock.Now(), *f)
	e.opts.Devices.RelabelRouter(e.routerNames.Name)
	if err != nil {
		return fmt.Errorf("router names: %w", err)
	}
	return nil
}

// runRouterNames refreshes the router's names every identify.refresh
// until ctx ends: apart from Run's loop, so a slow router delays nothing
// else.
func (e *Engine) runRouterNames(ctx context.Context, report func(error)) {
	for {
		if err := e.RefreshRouterNames(ctx); err != nil && ctx.Err() == nil {
			report(err)
		}
		t := time.NewTimer(e.cur.Load().plan.cfg.Identify.Refresh)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
