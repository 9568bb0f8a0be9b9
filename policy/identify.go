package policy

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// Identification is a step of its own, before deciding. A query is matched
// to a device once per client address (or per MAC address a trusted router
// sent), and the result cached (identity.Cache) until the configuration, the
// lists or the neighbour table change; the hot path reads no file and, for a
// known client, takes no lock. Identifying records the sighting in
// the registry of devices seen; deciding records nothing.

// ident is what the cache keeps per client.
type ident struct {
	dev  *device // nil: unknown, in the default group
	seen *state.Seen
}

// Who is a client identified: its device (or none: an unknown device, in the
// default group) and its address as believed, as of one policy state. The
// zero Who is an unknown device. Pass it to DecideInto.
type Who struct {
	b    *bound
	dev  *device
	addr netip.Addr
	seen *state.Seen // its record in the registry of devices seen
}

// Device is the configured name of the device, or "" if unknown.
func (w Who) Device() string {
	if w.dev == nil {
		return ""
	}
	return w.dev.name
}

// Addr is the client's address as believed: the packet's source, or the
// address a trusted router named.
func (w Who) Addr() netip.Addr { return w.addr }

func (w *Who) group(b *bound) *group {
	if w.dev != nil {
		return w.dev.group
	}
	return b.plan.unknown
}

// Identify finds the device behind a query and records the sighting in the
// registry of devices seen (last-seen at most once a second). For a client
// already cached it takes no lock and allocates nothing.
func (e *Engine) Identify(client *identity.ClientInfo, now time.Time) Who {
	b := e.cur.Load()
	if client.DeviceID != "" {
		return e.identifyByID(b, client, now)
	}
	ci := client.Trusted(b.plan.forwarders)
	gen := e.src.Gen()
	id, ok := b.ids.Get(&ci, gen)
	if !ok {
		id = e.identifySlow(b, &ci, gen, now)
	}
	id.seen.Touch(now.Unix())
	return Who{b: b, dev: id.dev, addr: ci.Addr, seen: id.seen}
}

func (e *Engine) identifySlow(b *bound, ci *identity.ClientInfo, gen uint64, now time.Time) *ident {
	mac := e.src.MAC(ci.Addr, ci.MAC)
	dev := b.plan.deviceFor(ci.Addr, mac)
	lease := e.src.Lease(mac, ci.Addr)
	name := ""
	if dev != nil {
		name = dev.name
	}
	id := &ident{dev: dev, seen: e.opts.Devices.Observe(name, mac, ci.Addr, lease, now)}
	b.ids.Put(ci, gen, id)
	return id
}

// DeviceInfo says who a client is, for the explain command and the API.
type DeviceInfo struct {
	Device string // configured name; "" if unknown
	Group  string
	MAC    string
	Lease  string
}

// Lookup reports which device a client is, without recording it.
func (e *Engine) Lookup(ci identity.ClientInfo) DeviceInfo {
	b := e.cur.Load()
	ci = ci.Trusted(b.plan.forwarders)
	mac := e.src.MAC(ci.Addr, ci.MAC)
	dev := b.plan.deviceFor(ci.Addr, mac)
	if ci.DeviceID != "" { // known by its ID over encrypted DNS: that wins, as in Identify
		if d := b.plan.deviceNamed(ci.DeviceID); d != nil {
			dev = d
		}
	}
	info := DeviceInfo{Group: b.plan.unknown.name, Lease: e.src.Lease(mac, ci.Addr)}
	if dev != nil {
		info.Device, info.Group = dev.name, dev.group.name
	}
	if mac != nil {
		info.MAC = mac.String()
	}
	return info
}

// RefreshIdentity reads the neighbour tables and the lease file again (as
// identify: says), so the next query from each client is identified afresh.
// Errors are returned for logging; what was read still applies.
func (e *Engine) RefreshIdentity(ctx context.Context) error {
	cfg := e.cur.Load().plan.cfg.Identify
	t, err := e.src.Refresh(ctx, cfg.Neighbours, cfg.Leases)
	if t != nil {
		e.opts.Devices.Relabel(t.Name)
	}
	return err
}

// Run refreshes identification every identify.refresh, prunes expired
// overrides and saves the device registry, until ctx ends (then saves once
// more). report is told of each problem.
func (e *Engine) Run(ctx context.Context, report func(error)) {
	var mu sync.Mutex // report is called from two goroutines
	report = func(report func(error)) func(error) {
		return func(err error) { mu.Lock(); defer mu.Unlock(); report(err) }
	}(report)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.runRouterNames(ctx, report) }()
	wg.Add(1)
	go func() { defer wg.Done(); e.runBudgets(ctx, report) }()
	defer wg.Wait()
	for {
		if err := e.RefreshIdentity(ctx); err != nil {
			report(err)
		}
		if err := e.opts.Overrides.Prune(e.opts.Clock.Now()); err != nil {
			report(fmt.Errorf("overrides: %w", err))
		}
		if err := e.opts.Devices.Save(); err != nil {
			report(fmt.Errorf("device registry: %w", err))
		}
		t := time.NewTimer(e.cur.Load().plan.cfg.Identify.Refresh)
		select {
		case <-ctx.Done():
			t.Stop()
			if err := e.opts.Devices.Flush(); err != nil {
				report(fmt.Errorf("device registry: %w", err))
			}
			return
		case <-t.C:
		}
	}
}
