package policy

import (
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

var _ state.Known = (*Engine)(nil)

// CheckOverride checks a parent's request for a pause or bonus time against
// the running configuration at now, by the rules of overrides
// (state.Request.Check), and returns the override to add.
func (e *Engine) CheckOverride(req state.Request, now time.Time) (state.Override, error) {
	return req.Check(now, e)
}
