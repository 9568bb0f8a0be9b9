// Package cluster shares a node's live state with other Hearths through
// Redis (issue 19, docs/two-nodes.md): overrides (pauses, bonus time,
// bedtime changes, extra minutes), the devices named on the dashboard and
// the minutes used of daily budgets.
//
// Nothing on the query path touches Redis: the stores in policy/state stay
// the node's own, in memory and on its disk, and one goroutine here keeps
// them in step with Redis about once a second, and at once when another
// node publishes a change. While Redis is slow or down the node carries on
// with what it has, queues its own changes on disk and sends them when
// Redis is back.
//
// The core is small so that more kinds of state can be added: a kind has a
// push (this node's queued changes to Redis) and a pull (Redis into the
// node's store), both run by the one sync goroutine; a change is published
// on one channel as "<kind> <node>", and the other nodes pull that kind.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/redact"
	"github.com/hearth-dns/hearth/policy/state"
)

// Prefix starts every key and channel Hearth uses in Redis.
const Prefix = "hearth:"

// changesChannel carries "<kind> <node>" for every change a node writes.
const changesChannel = Prefix + "changes"

// QueueFile is the file in the state directory that keeps the changes not
// yet sent to Redis.
const QueueFile = "cluster-queue.json"

// Timeout bounds every dial, read and write to Redis: a slow Redis makes a
// sync fail (and the node degraded), never anything wait longer.
const Timeout = 300 * time.Millisecond

// Options configure a Node.
type Options struct {
	URL  string // state.redis
	Node string // state.node, a slug
	Dir  string // the state directory, for QueueFile; "" keeps the queue in memory

	Overrides   *state.Overrides   // nil: not shared
	Assignments *state.Assignments // devices named on the dashboard; nil: not shared
	Budgets     *state.Budgets     // nil: not shared
	Devices     *state.Registry    // devices seen; nil: not shared
	Lockouts    Lockouts           // the dashboard's login lockouts; nil: not shared
	Config      ConfigFile         // hearth.yaml (config.go); nil: not shared

	Clock    clock.Clock   // nil: the system clock
	Interval time.Duration // between syncs; 0: one second
	Log      zerolog.Logger
}

// Status is what the dashboard, `hearth doctor` and the metrics show.
type Status struct {
	Node          string    `json:"node"`
	Redis         string    `json:"redis"` // the URL without its password
	Connected     bool      `json:"connected"`
	DegradedSince time.Time `json:"degraded_since,omitzero"` // when Redis stopped answering; zero when connected
	LastError     string    `json:"last_error,omitempty"`
	LastSync      time.Time `json:"last_sync,omitzero"`
	Queued        int       `json:"queued"` // changes of this node waiting for Redis
	Peers         []string  `json:"peers"`  // other nodes seen within PeerTTL, sorted
	// NameTaken: another running Hearth uses this node's name (two Pis
	// both called raspberrypi): set state.node on each.
	NameTaken bool `json:"name_taken,omitempty"`
	// Config is where the node stands with the shared hearth.yaml; nil
	// when it is not shared.
	Config *ConfigStatus `json:"config,omitempty"`
}

// PeerTTL is how long a node's heartbeat keeps it among the peers.
const PeerTTL = 5 * time.Second

// kind is one sort of shared state.
type kind struct {
	name string
	push func(ctx context.Context) (changed bool, err error) // this node's changes to Redis
	// reseed writes the node's whole state to a Redis that is new or lost
	// its data, without overwriting what another node wrote there first.
	reseed func(ctx context.Context) error
	pull   func(ctx context.Context) error // Redis into the store
}

// Node is this Hearth among the others. Safe for concurrent use.
type Node struct {
	opts  Options
	clk   clock.Clock
	rdb   *redis.Client
	log   zerolog.Logger
	kinds []*kind

	wake    chan struct{}
	now     chan chan error // SyncNow's requests, served by the sync goroutine
	full    bool            // the sync running reads every kind (sync goroutine only)
	cancel  context.CancelFunc
	done    chan struct{}
	config  *configSync   // nil: hearth.yaml not shared
	cfgDone chan struct{} // closed when config's goroutine ends

	mu      sync.Mutex
	status  Status
	pulls   map[string]bool // kinds another node changed, to pull
	queue   *queue
	budgets *budgetSync
	epoch   string // the epoch key's value this node last saw (sync goroutine only)
	// instance is this process's random id: its own messages are told
	// apart by it, not by the node's name, which two nodes may share.
	instance string
	takenAt  time.Time // when another process last held this node's name (guarded by mu)
}

// Start connects to Redis (without waiting for it: a Redis that is down
// makes the node start degraded) and starts syncing. Close stops it.
func Start(opts Options) (*Node, error) {
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("cluster: state.redis: %s", redact.URL(opts.URL))
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout, ro.PoolTimeout = Timeout, Timeout, Timeout, Timeout
	ro.MaxRetries = -1 // a failed sync is retried by the next one
	ro.ContextTimeoutEnabled = true
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	quietRedis()
	q, qerr := openQueue(opts.Dir)
	var id [8]byte
	rand.Read(id[:])
	n := &Node{
		instance: hex.EncodeToString(id[:]),
		opts:     opts, clk: opts.Clock, rdb: redis.NewClient(ro), log: opts.Log,
		wake: make(chan struct{}, 1), now: make(chan chan error), done: make(chan struct{}),
		pulls: map[string]bool{}, queue: q,
		status: Status{Node: opts.Node, Redis: redact.URL(opts.URL), Peers: []string{}, Queued: q.len()},
	}
	if qerr != nil {
		n.log.Error().Err(qerr).Msg("cluster: changes queued for Redis")
	}
	if opts.Overrides != nil {
		n.kinds = append(n.kinds, n.overridesKind())
	}
	if opts.Assignments != nil {
		n.kinds = append(n.kinds, n.assignmentsKind())
	}
	if opts.Lockouts != nil {
		n.kinds = append(n.kinds, n.lockoutsKind())
	}
	if opts.Devices != nil {
		n.kinds = append(n.kinds, n.devicesKind())
	}
	if opts.Budgets != nil {
		n.budgets = newBudgetSync(n)
		n.kinds = append(n.kinds, n.budgets.kind())
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if opts.Config != nil {
		n.config, n.cfgDone = newConfigSync(n, opts.Config), make(chan struct{})
	}
	ps := n.rdb.Subscribe(ctx, changesChannel)
	go n.listen(ctx, ps)
	go n.run(ctx)
	if n.config != nil {
		go n.config.run(ctx, n.cfgDone)
	}
	return n, nil
}

// Status returns the node's status now.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.status
	s.Peers = slices.Clone(s.Peers)
	s.Queued = n.queue.len()
	if n.config != nil {
		c := n.config.get()
		s.Config = &c
	}
	return s
}

// Close stops syncing (after one last try to send queued changes, within
// Timeout) and closes the connection. The queue stays on disk.
func (n *Node) Close() error {
	n.cancel()
	<-n.done
	if n.cfgDone != nil {
		// A configuration being taken waits on the process's reload, which
		// may be what is closing this node: do not wait for it long.
		select {
		case <-n.cfgDone:
		case <-time.After(time.Second):
		}
	}
	return n.rdb.Close()
}

// SyncNow has the sync goroutine run one full sync at once and returns
// its outcome (for tests, and a dashboard's button): queued changes are
// sent, every kind read.
func (n *Node) SyncNow(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case n.now <- reply:
	case <-n.done:
		return errors.New("cluster: node closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listen turns the other nodes' messages into pulls. A (re)subscription
// (after the connection dropped, when messages may have been lost) has
// hearth.yaml looked at again.
func (n *Node) listen(ctx context.Context, ps *redis.PubSub) {
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions()
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			m, isMsg := v.(*redis.Message)
			if !isMsg {
				n.ConfigChanged()
				continue
			}
			k, from, _ := strings.Cut(m.Payload, " ")
			if _, inst, _ := strings.Cut(from, " "); inst == n.instance {
				continue
			}
			if k == configKind {
				n.ConfigChanged()
				continue
			}
			n.mu.Lock()
			n.pulls[k] = true
			n.mu.Unlock()
			n.poke()
		}
	}
}

// poke wakes the sync goroutine without waiting.
func (n *Node) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// fullEvery is how many syncs apart every kind is pulled even with no
// message (a message lost while the connection was down).
const fullEvery = 5

// run syncs every Interval, and at once when poked.
func (n *Node) run(ctx context.Context) {
	defer close(n.done)
	for i := 0; ; i++ {
		if err := n.sync(ctx, i%fullEvery == 0); err != nil && ctx.Err() == nil {
			n.log.Debug().Err(err).Msg("cluster: sync")
		}
		tick, stop := clock.After(n.clk, n.opts.Interval)
		select {
		case <-ctx.Done():
			stop()
			last, cancel := context.WithTimeout(context.Background(), Timeout)
			n.pushAll(last)
			cancel()
			return
		case <-n.wake:
			stop()
		case reply := <-n.now:
			stop()
			reply <- n.sync(ctx, true)
		case <-tick:
		}
	}
}

// sync pushes every kind's changes, publishes them, and pulls the kinds
// another node changed (every kind when all, or after an outage).
func (n *Node) sync(ctx context.Context, all bool) error {
	ctx, cancel := context.WithTimeout(ctx, 4*Timeout)
	defer cancel()
	n.mu.Lock()
	all = all || !n.status.Connected
	n.full = all
	pulls := n.pulls
	n.pulls = map[string]bool{}
	n.mu.Unlock()
	err := n.checkEpoch(ctx)
	if err == nil {
		err = n.pushAll(ctx)
	}
	if err == nil {
		err = n.heartbeat(ctx)
	}
	if err == nil {
		for _, k := range n.kinds {
			if all || pulls[k.name] {
				if err = k.pull(ctx); err != nil {
					break
				}
			}
		}
	}
	if errors.Is(err, context.Canceled) {
		return err // closing, not an outage
	}
	n.record(err, pulls)
	return err
}

// pushAll pushes every kind and publishes those that changed.
func (n *Node) pushAll(ctx context.Context) error {
	for _, k := range n.kinds {
		changed, err := k.push(ctx)
		if err != nil {
			return err
		}
		if changed {
			if err := n.rdb.Publish(ctx, changesChannel, k.name+" "+n.opts.Node+" "+n.instance).Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// epochKey holds a random value set by the first node to find it missing:
// a Redis restarted without its data (or a new one) has none, or another.
const epochKey = Prefix + "epoch"

// checkEpoch reseeds Redis from this node's state when its epoch is not the
// one the node last saw (at start, or after Redis lost its data), so that
// what the nodes had survives a Redis that forgot it.
func (n *Node) checkEpoch(ctx context.Context) error {
	cur, err := n.rdb.Get(ctx, epochKey).Result()
	if err == redis.Nil {
		var b [8]byte
		rand.Read(b[:])
		if err := n.rdb.SetNX(ctx, epochKey, hex.EncodeToString(b[:]), 0).Err(); err != nil {
			return err
		}
		cur, err = n.rdb.Get(ctx, epochKey).Result()
	}
	if err != nil || cur == n.epoch {
		return err
	}
	for _, k := range n.kinds {
		if err := k.reseed(ctx); err != nil {
			return err
		}
		if err := n.rdb.Publish(ctx, changesChannel, k.name+" "+n.opts.Node+" "+n.instance).Err(); err != nil {
			return err
		}
	}
	if n.epoch != "" {
		n.log.Warn().Msg("cluster: Redis had lost the shared state; this node wrote its own back")
	}
	n.epoch = cur
	return nil
}

// heartbeat marks this node alive and reads the others.
func (n *Node) heartbeat(ctx context.Context) error {
	key := Prefix + "nodes"
	now := n.clk.Now()
	pipe := n.rdb.Pipeline()
	pipe.ZAdd(ctx, key, redis.Z{Score: float64(now.Unix()), Member: n.opts.Node})
	pipe.ZRemRangeByScore(ctx, key, "-inf", fmt.Sprint(now.Add(-time.Hour).Unix()))
	peers := pipe.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: fmt.Sprint(now.Add(-PeerTTL).Unix()), Max: "+inf"})
	owner := pipe.SetArgs(ctx, Prefix+"node-instance:"+n.opts.Node, n.instance, redis.SetArgs{TTL: PeerTTL, Get: true})
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return err
	}
	n.mu.Lock()
	if owner.Err() == nil && owner.Val() != n.instance {
		if !n.status.NameTaken {
			n.log.Error().Str("node", n.opts.Node).Msg("cluster: another running Hearth has this node's name: give each its own state.node")
		}
		n.takenAt = now
	}
	n.status.NameTaken = !n.takenAt.IsZero() && now.Sub(n.takenAt) < 2*PeerTTL
	n.mu.Unlock()
	list := slices.DeleteFunc(peers.Val(), func(p string) bool { return p == n.opts.Node })
	slices.Sort(list)
	n.mu.Lock()
	n.status.Peers = list
	n.mu.Unlock()
	return nil
}

// record notes how a sync went; a failed one keeps its pulls for the next.
func (n *Node) record(err error, pulls map[string]bool) {
	now := n.clk.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if err == nil {
		if !n.status.Connected && !n.status.DegradedSince.IsZero() {
			n.log.Info().Str("redis", n.status.Redis).Msg("cluster: Redis answers again; queued changes sent")
		}
		if !n.status.Connected {
			n.ConfigChanged() // (re)connected: offline edits, or Redis's newer file
		}
		n.status.Connected, n.status.DegradedSince, n.status.LastError, n.status.LastSync = true, time.Time{}, "", now
		return
	}
	for k := range pulls {
		n.pulls[k] = true
	}
	msg := redact.Error(err.Error(), n.opts.URL)
	if n.status.Connected || n.status.DegradedSince.IsZero() {
		n.status.DegradedSince = now
		n.log.Warn().Str("redis", n.status.Redis).Str("error", msg).Msg("cluster: Redis does not answer; this node carries on alone and queues its changes")
	}
	n.status.Connected, n.status.LastError = false, msg
}
