package cluster

import (
	"encoding/json"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

// Overrides (pauses, bonus time, bedtime changes, extra minutes) are
// records by override ID in the hash hearth:overrides; a cancel's
// tombstone lives until tombMargin after the override would have ended.
const kindOverride = "overrides"

// tombMargin is how long an override's tombstone outlives its end.
const tombMargin = time.Hour

// overridesKind shares opts.Overrides.
func (n *Node) overridesKind() *kind {
	ov := n.opts.Overrides
	r := &records{n: n, name: kindOverride,
		tombTTL: func(c change, now time.Time) time.Duration { return max(c.Until.Sub(now), 0) + tombMargin },
		ended: func(raw json.RawMessage, now time.Time) bool {
			var o state.Override
			return json.Unmarshal(raw, &o) == nil && !now.Before(o.Until)
		},
		apply: func(all map[string]json.RawMessage) {
			list := make([]state.Override, 0, len(all))
			for id, raw := range all {
				var o state.Override
				if err := json.Unmarshal(raw, &o); err != nil || o.ID != id {
					n.log.Error().Str("id", id).Msg("cluster: an override in Redis cannot be read; skipped")
					continue
				}
				list = append(list, o)
			}
			if err := ov.Replace(list); err != nil {
				n.log.Error().Err(err).Msg("cluster: shared overrides")
			}
		},
		local: func() map[string]json.RawMessage {
			now := n.clk.Now()
			out := map[string]json.RawMessage{}
			for _, o := range ov.Snapshot() {
				if b, err := json.Marshal(o); err == nil && now.Before(o.Until) {
					out[o.ID] = b
				}
			}
			return out
		},
	}
	ov.OnLocalChange(func(ch state.OverrideChange) {
		r.enqueue(ch.Override.ID, ch.Cancelled, ch.Override, ch.Override.Until)
	})
	return r.kind()
}
