package policy

import (
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/state"
)

// What a device not yet named looked up today: the catalogue services its
// names belonged to, allowed or blocked, kept in memory by the registry of
// devices seen (state.Seen.LookedUp) and shown on the Devices page, so a
// parent can tell which device is which.

// serviceIDs numbers the catalogue services of one compiled set of lists.
type serviceIDs struct {
	mask  blocklists.Sources // the sources that are catalogue services
	names []string           // by SourceID: the service id, "" for a list
	gen   uint64             // this numbering, unique in the process
}

var serviceNumbering atomic.Uint64

func numberServices(srcs []blocklists.SourceInfo) serviceIDs {
	s := serviceIDs{names: make([]string, len(srcs)), gen: serviceNumbering.Add(1)}
	for _, src := range srcs {
		if src.Kind == blocklists.KindService {
			s.mask.Add(src.ID)
			s.names[src.ID] = src.Service
		}
	}
	return s
}

// LookedUp records, for a device not yet named, the catalogue services
// the name d was decided for belongs to (d from DecideInto for who). The
// resolver calls it once per query, after deciding; a service already
// recorded today allocates nothing and takes no lock. Named devices are
// not recorded.
//
// It also marks the minute in the owner's counter of every daily budget
// the name ran under (atomic, no lock; see budget.go).
func (e *Engine) LookedUp(who Who, d *Decision, now time.Time) {
	if d.counting != 0 {
		countBudgets(d)
	}
	if who.dev != nil || who.seen == nil || who.b == nil || d.services.Empty() {
		return
	}
	b := who.b
	who.seen.LookedUp(state.Day(now.In(b.plan.loc)), b.svc.gen, d.services, b.svc.names)
}

// ServicesToday returns, per device key ("ip:..." or "mac:..."), the
// catalogue service ids each device not named when it asked looked up
// since the household's midnight before now.
func (e *Engine) ServicesToday(now time.Time) map[string][]string {
	return e.opts.Devices.ServicesToday(state.Day(now.In(e.Location())))
}
