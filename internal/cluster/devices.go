package cluster

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

// Devices seen: the hash hearth:seen holds each device key's latest
// sighting by any node (seenRecord). Every seenEvery syncs a node writes
// the devices it saw since its last write (a script keeps the earlier first
// and the later last sighting) and merges the hash into its registry
// (state.Registry.Merge), so that the Devices page lists the devices every
// node saw. Sightings older than seenKeep are dropped from the hash.
const (
	seenKey   = Prefix + "seen"
	seenEvery = 10
	seenKeep  = 60 * 24 * time.Hour
)

// seenRecord is a sighting in Redis, with Unix seconds for the script.
type seenRecord struct {
	Device state.SeenDevice `json:"device"`
	First  int64            `json:"first"`
	Last   int64            `json:"last"`
}

// seenScript keeps, for one device key, the later sighting and the
// earlier first one.
const seenScript = `local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
local o = cjson.decode(old)
local n = cjson.decode(ARGV[2])
if o.last >= n.last then
  if n.first < o.first then o.first = n.first; o.device.first_seen = n.device.first_seen; redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(o)) end
  return 0
end
if o.first < n.first then n.first = o.first; n.device.first_seen = o.device.first_seen end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(n))
return 1`

type seenSync struct {
	n    *Node
	reg  *state.Registry
	sent map[string]int64 // key → last sighting written (sync goroutine only)
	tick int
}

func (n *Node) devicesKind() *kind {
	s := &seenSync{n: n, reg: n.opts.Devices, sent: map[string]int64{}}
	return &kind{name: "seen", push: s.sync, pull: func(context.Context) error { return nil },
		reseed: func(context.Context) error { clear(s.sent); s.tick = 0; return nil }}
}

func (s *seenSync) sync(ctx context.Context) (bool, error) {
	s.tick++
	if s.tick%seenEvery != 1 && !s.n.full {
		return false, nil
	}
	pipe := s.n.rdb.Pipeline()
	for _, d := range s.reg.List() {
		last := d.LastSeen.Unix()
		if s.sent[d.Key] >= last {
			continue
		}
		b, err := json.Marshal(seenRecord{Device: d, First: d.FirstSeen.Unix(), Last: last})
		if err != nil {
			return false, err
		}
		pipe.Eval(ctx, seenScript, []string{seenKey}, d.Key, b)
	}
	all := pipe.HGetAll(ctx, seenKey)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	cutoff := s.n.clk.Now().Add(-seenKeep).Unix()
	var list []state.SeenDevice
	var old []string
	for key, v := range all.Val() {
		var r seenRecord
		if err := json.Unmarshal([]byte(v), &r); err != nil || r.Device.Key != key {
			continue
		}
		if r.Last < cutoff {
			old = append(old, key)
			continue
		}
		r.Device.FirstSeen, r.Device.LastSeen = time.Unix(r.First, 0).UTC(), time.Unix(r.Last, 0).UTC()
		list = append(list, r.Device)
		s.sent[key] = max(s.sent[key], r.Last)
	}
	s.reg.Merge(list)
	if len(old) > 0 {
		if err := s.n.rdb.HDel(ctx, seenKey, old...).Err(); err != nil {
			return false, err
		}
	}
	return false, nil
}
