package cluster

import (
	"encoding/json"
	"time"
)

// Lockouts is the dashboard's login lockouts (web.Auth): a client (an IPv4
// address or an IPv6 /64, as text) refused until a time. Only lockouts are
// shared; each node keeps its own failures and trusted addresses.
type Lockouts interface {
	OnLockout(fn func(client string, until time.Time))
	ApplyLockouts(map[string]time.Time) // never shortens a lockout, never told to OnLockout
	Lockouts() map[string]time.Time     // the clients locked out now
}

// Lockouts are records by client in the hash hearth:lockouts, until their
// end; a lockout is never deleted, only ended.
const kindLockouts = "lockouts"

type lockoutRecord struct {
	Until time.Time `json:"until"`
}

func (n *Node) lockoutsKind() *kind {
	src := n.opts.Lockouts
	r := &records{n: n, name: kindLockouts,
		tombTTL: func(change, time.Time) time.Duration { return time.Minute }, // never deleted
		ended: func(raw json.RawMessage, now time.Time) bool {
			var l lockoutRecord
			return json.Unmarshal(raw, &l) != nil || !now.Before(l.Until)
		},
		apply: func(all map[string]json.RawMessage) {
			list := make(map[string]time.Time, len(all))
			for client, raw := range all {
				var l lockoutRecord
				if json.Unmarshal(raw, &l) == nil {
					list[client] = l.Until
				}
			}
			src.ApplyLockouts(list)
		},
		local: func() map[string]json.RawMessage {
			out := map[string]json.RawMessage{}
			for client, until := range src.Lockouts() {
				if b, err := json.Marshal(lockoutRecord{Until: until}); err == nil {
					out[client] = b
				}
			}
			return out
		},
	}
	src.OnLockout(func(client string, until time.Time) {
		r.enqueue(client, false, lockoutRecord{Until: until}, until)
	})
	return r.kind()
}
