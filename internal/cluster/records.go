package cluster

import (
	"context"
	"encoding/json"
	"time"
)

// records is a kind of state made of records by ID (overrides, devices
// named): in Redis a hash (Prefix+name) of ID → JSON, and a tombstone key
// per deleted ID (Prefix+name+"-deleted:"+ID) so that a put of that ID
// sent later by a node that was cut off does not bring it back: a delete
// wins; between two puts of one ID, the last written wins.
type records struct {
	n    *Node
	name string
	// tombTTL is how long a delete's tombstone lives.
	tombTTL func(c change, now time.Time) time.Duration
	// ended reports a record Redis may forget (an override that ended).
	ended func(raw json.RawMessage, now time.Time) bool
	// apply makes the store hold exactly these records (the node's own
	// queued changes applied on top of Redis's), without queueing them.
	apply func(all map[string]json.RawMessage)
	// local returns the store's records now, for a reseed.
	local func() map[string]json.RawMessage
}

func (r *records) hash() string          { return Prefix + r.name }
func (r *records) tomb(id string) string { return Prefix + r.name + "-deleted:" + id }

// putScript writes a record unless it was deleted; with ARGV[3] "nx" (a
// reseed) only if the hash has no record of that ID.
const putScript = `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] == 'nx' then return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`

func (r *records) kind() *kind {
	return &kind{name: r.name, push: r.push, pull: r.pull, reseed: r.reseed}
}

// enqueue queues a change made on this node (called under the store's
// lock: quick, and it never calls the store).
func (r *records) enqueue(id string, deleted bool, v any, until time.Time) {
	c := change{Kind: r.name, ID: id, Deleted: deleted, Until: until}
	if !deleted {
		b, err := json.Marshal(v)
		if err != nil {
			r.n.log.Error().Err(err).Str("kind", r.name).Msg("cluster: a change cannot be queued")
			return
		}
		c.Value = b
	}
	r.n.queue.add(c)
	r.n.poke()
}

// push sends the queued changes in one pipeline and drops them from the
// queue once Redis has them all.
func (r *records) push(ctx context.Context) (bool, error) {
	items, _ := r.n.queue.snapshot(r.name)
	if len(items) == 0 {
		return false, nil
	}
	now := r.n.clk.Now()
	pipe := r.n.rdb.Pipeline()
	for _, c := range items {
		if c.Deleted {
			pipe.HDel(ctx, r.hash(), c.ID)
			pipe.Set(ctx, r.tomb(c.ID), r.n.opts.Node, r.tombTTL(c, now))
			continue
		}
		pipe.Eval(ctx, putScript, []string{r.hash(), r.tomb(c.ID)}, c.ID, []byte(c.Value), "put")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	r.n.queue.drop(r.name, len(items))
	return true, nil
}

// pull reads the hash, drops ended records (from Redis too), and hands the
// store Redis's records with this node's queued changes on top.
func (r *records) pull(ctx context.Context) error {
	all, err := r.n.rdb.HGetAll(ctx, r.hash()).Result()
	if err != nil {
		return err
	}
	now := r.n.clk.Now()
	remote := make(map[string]json.RawMessage, len(all))
	var ended []string
	for id, v := range all {
		raw := json.RawMessage(v)
		if r.ended != nil && r.ended(raw, now) {
			ended = append(ended, id)
			continue
		}
		remote[id] = raw
	}
	if len(ended) > 0 {
		if err := r.n.rdb.HDel(ctx, r.hash(), ended...).Err(); err != nil {
			return err
		}
	}
	for {
		items, gen := r.n.queue.snapshot(r.name)
		merged := make(map[string]json.RawMessage, len(remote)+len(items))
		for id, v := range remote {
			merged[id] = v
		}
		for _, c := range items {
			if c.Deleted {
				delete(merged, c.ID)
			} else {
				merged[c.ID] = c.Value
			}
		}
		r.apply(merged)
		if r.n.queue.generation() == gen {
			return nil
		}
	}
}

// reseed writes every record of this node that Redis neither has nor holds
// a tombstone for.
func (r *records) reseed(ctx context.Context) error {
	local := r.local()
	if len(local) == 0 {
		return nil
	}
	pipe := r.n.rdb.Pipeline()
	for id, v := range local {
		pipe.Eval(ctx, putScript, []string{r.hash(), r.tomb(id)}, id, []byte(v), "nx")
	}
	_, err := pipe.Exec(ctx)
	return err
}
