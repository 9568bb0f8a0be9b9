package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-dns/hearth/policy/state"
)

// Overrides in Redis: the hash overridesKey holds every override by ID (its
// JSON). A cancel deletes the field and leaves a tombstone (tombKey, with a
// TTL past the override's end) so that a put of that ID replayed later by a
// node that was cut off does not bring it back: a cancel wins; between two
// puts of one ID (an extend), the last one written wins.
const (
	overridesKey = Prefix + "overrides"
	tombPrefix   = Prefix + "override-cancelled:"
	kindOverride = "overrides"
)

// tombMargin is how long a tombstone outlives the override's end.
const tombMargin = time.Hour

// putScript writes an override unless it was cancelled; with ARGV[3] "nx"
// (a reseed) only if the hash has no entry of that ID.
var putScript = `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] == 'nx' then return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`

func tombKey(id string) string { return tombPrefix + id }

// overridesKind shares opts.Overrides: local changes are queued (on disk)
// as they are made, pushed in order, and the hash pulled back into the
// store with the changes still queued applied on top.
func (n *Node) overridesKind() *kind {
	n.opts.Overrides.OnLocalChange(func(ch state.OverrideChange) {
		n.queue.add(ch)
		n.poke()
	})
	return &kind{name: kindOverride, push: n.pushOverrides, pull: n.pullOverrides, reseed: n.reseedOverrides}
}

// reseedOverrides writes every override in force here that Redis has
// neither nor cancelled, and pulls the result.
func (n *Node) reseedOverrides(ctx context.Context) error {
	now := n.clk.Now()
	pipe := n.rdb.Pipeline()
	for _, ov := range n.opts.Overrides.Snapshot() {
		if !now.Before(ov.Until) {
			continue
		}
		b, err := json.Marshal(ov)
		if err != nil {
			return err
		}
		pipe.Eval(ctx, putScript, []string{overridesKey, tombKey(ov.ID)}, ov.ID, b, "nx")
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// pushOverrides sends the queued changes in one pipeline and drops them
// from the queue once Redis has them all.
func (n *Node) pushOverrides(ctx context.Context) (bool, error) {
	items, _ := n.queue.snapshot()
	if len(items) == 0 {
		return false, nil
	}
	now := n.clk.Now()
	pipe := n.rdb.Pipeline()
	for _, ch := range items {
		id := ch.Override.ID
		if ch.Cancelled {
			ttl := max(ch.Override.Until.Sub(now), 0) + tombMargin
			pipe.HDel(ctx, overridesKey, id)
			pipe.Set(ctx, tombKey(id), n.opts.Node, ttl)
			continue
		}
		b, err := json.Marshal(ch.Override)
		if err != nil {
			return false, err
		}
		pipe.Eval(ctx, putScript, []string{overridesKey, tombKey(id)}, id, b, "put")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	n.queue.drop(len(items))
	return true, nil
}

// pullOverrides reads the hash, drops ended entries (from Redis too), and
// replaces the store's set with it and this node's queued changes.
func (n *Node) pullOverrides(ctx context.Context) error {
	all, err := n.rdb.HGetAll(ctx, overridesKey).Result()
	if err != nil {
		return err
	}
	now := n.clk.Now()
	remote := make([]state.Override, 0, len(all))
	var ended []string
	for id, v := range all {
		var ov state.Override
		if err := json.Unmarshal([]byte(v), &ov); err != nil || ov.ID != id {
			n.log.Error().Str("id", id).Msg("cluster: an override in Redis cannot be read; skipped")
			continue
		}
		if !now.Before(ov.Until) {
			ended = append(ended, id)
			continue
		}
		remote = append(remote, ov)
	}
	if len(ended) > 0 {
		if err := n.rdb.HDel(ctx, overridesKey, ended...).Err(); err != nil && err != redis.Nil {
			return err
		}
	}
	for {
		items, gen := n.queue.snapshot()
		if err := n.opts.Overrides.Replace(withQueued(remote, items)); err != nil {
			n.log.Error().Err(err).Msg("cluster: shared overrides")
		}
		if n.queue.generation() == gen {
			return nil
		}
	}
}

// withQueued applies the queued changes, in order, to remote.
func withQueued(remote []state.Override, items []state.OverrideChange) []state.Override {
	out := slices.Clone(remote)
	for _, ch := range items {
		out = slices.DeleteFunc(out, func(o state.Override) bool { return o.ID == ch.Override.ID })
		if !ch.Cancelled {
			out = append(out, ch.Override)
		}
	}
	return out
}
