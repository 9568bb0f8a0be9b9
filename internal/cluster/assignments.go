package cluster

import (
	"encoding/json"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

// Devices named on the dashboard are records by device key ("mac:…",
// "ip:…") in the hash hearth:assignments; a removal's tombstone lives
// assignmentTomb. The store's OnReplace (the engine's Rebind, wired by
// internal/app) makes a name given on another node apply here.
const kindAssignments = "assignments"

// assignmentTomb is how long a removed device name stays removed against
// a put of it sent later by a node that was cut off.
const assignmentTomb = 30 * 24 * time.Hour

func (n *Node) assignmentsKind() *kind {
	as := n.opts.Assignments
	r := &records{n: n, name: kindAssignments,
		tombTTL: func(change, time.Time) time.Duration { return assignmentTomb },
		apply: func(all map[string]json.RawMessage) {
			list := make([]state.Assignment, 0, len(all))
			for key, raw := range all {
				var a state.Assignment
				if err := json.Unmarshal(raw, &a); err != nil || a.Key != key {
					n.log.Error().Str("key", key).Msg("cluster: a device name in Redis cannot be read; skipped")
					continue
				}
				list = append(list, a)
			}
			if err := as.Replace(list); err != nil {
				n.log.Error().Err(err).Msg("cluster: shared device names")
			}
		},
		local: func() map[string]json.RawMessage {
			out := map[string]json.RawMessage{}
			for _, a := range as.List() {
				if b, err := json.Marshal(a); err == nil {
					out[a.Key] = b
				}
			}
			return out
		},
	}
	as.OnLocalChange(func(ch state.AssignmentChange) {
		r.enqueue(ch.Assignment.Key, ch.Removed, ch.Assignment, time.Time{})
	})
	return r.kind()
}
