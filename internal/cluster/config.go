package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/redact"
)

// hearth.yaml shared between the nodes (docs/two-nodes.md, "hearth.yaml"):
// the whole text in the hash hearth:config {seq, sha256, node, time, text},
// seq from INCR hearth:config-seq, and "config NODE INSTANCE" on the changes
// channel. Its own goroutine (a reload can take seconds) keeps the node's
// file in step: after a change here (ConfigChanged), on a message, when
// Redis answers again, and every ConfigEvery.

// ConfigStateFile is the file in the state directory that remembers the
// seq and the text (its sha256) this node last applied, published or
// refused.
const ConfigStateFile = "cluster-config.json"

// ConfigEvery is how often the node looks at Redis's configuration without
// a message (one lost while the connection was down).
const ConfigEvery = 10 * time.Second

const (
	configKey    = Prefix + "config"
	configSeqKey = Prefix + "config-seq"
	configKind   = "config"
)

// ConfigFile is hearth.yaml as this node has it.
type ConfigFile interface {
	// Read returns the file's text now.
	Read() ([]byte, error)
	// Take checks text with the checker the dashboard uses, writes it in
	// place of the file (the previous one kept as hearth.yaml.1) and
	// reloads, all or nothing: on any refusal the file and the running
	// configuration are as they were, and the error says why.
	Take(text []byte) error
}

// Config states.
const (
	ConfigPublished = "published" // this node's file is Redis's
	ConfigApplied   = "applied"   // Redis's, from another node, is this node's file
	ConfigRefused   = "refused"   // this node could not take Redis's: it runs its last good one
)

// ConfigStatus is where this node stands with the shared hearth.yaml.
type ConfigStatus struct {
	Seq      int64     `json:"seq"`            // the version of Redis's configuration this node last applied, published or refused
	From     string    `json:"from,omitempty"` // the node that published it
	At       time.Time `json:"at,omitzero"`    // when it was published
	State    string    `json:"state,omitempty"`
	Refused  bool      `json:"refused,omitempty"`
	Problems []string  `json:"problems,omitempty"` // why it was refused
	// KeptOwn: this node's file had changed too (while Redis was out of
	// reach) and Redis's won; this node's is kept as hearth.yaml.1.
	KeptOwn bool   `json:"kept_own,omitempty"`
	Sha     string `json:"sha256,omitempty"` // of the file this node has, as applied or published
	// LastError is the last failure to read the file or to reach Redis
	// for it ("" after a successful look).
	LastError string `json:"last_error,omitempty"`
}

// configSync keeps hearth.yaml in step with Redis's.
type configSync struct {
	n    *Node
	file ConfigFile
	path string // ConfigStateFile's path; "": memory only
	wake chan struct{}

	busy   sync.Mutex // one reconcile at a time
	mu     sync.Mutex
	status ConfigStatus
}

func newConfigSync(n *Node, file ConfigFile) *configSync {
	c := &configSync{n: n, file: file, wake: make(chan struct{}, 1)}
	if n.opts.Dir != "" {
		c.path = filepath.Join(n.opts.Dir, ConfigStateFile)
		st, err := readConfigState(c.path)
		if err != nil {
			n.log.Warn().Err(err).Msg("cluster: the shared configuration's record is set aside; this node's file counts as changed")
		}
		c.status = st
	}
	return c
}

// ReadConfigState reads the record ConfigStateFile in dir keeps (for
// `hearth doctor`); none yet is the zero status.
func ReadConfigState(dir string) (ConfigStatus, error) {
	return readConfigState(filepath.Join(dir, ConfigStateFile))
}

func readConfigState(path string) (ConfigStatus, error) {
	var st ConfigStatus
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return ConfigStatus{}, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ConfigChanged tells the node its file may have changed (a dashboard edit
// saved and applied, a reload): it is published if it differs from what
// the node last shared. It never waits.
func (n *Node) ConfigChanged() {
	if n.config != nil {
		n.config.poke()
	}
}

func (c *configSync) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *configSync) get() ConfigStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Problems = slices.Clone(s.Problems)
	return s
}

// run looks at Redis's configuration when poked and every ConfigEvery,
// until ctx ends.
func (c *configSync) run(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		err := c.reconcile(ctx)
		if ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		c.status.LastError = ""
		if err != nil {
			c.status.LastError = redact.Error(err.Error(), c.n.opts.URL)
		}
		c.mu.Unlock()
		tick, stop := clock.After(c.n.clk, ConfigEvery)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c.wake:
			stop()
		case <-tick:
		}
	}
}

// remoteConfig is hearth:config's fields but the text.
type remoteConfig struct {
	Seq  int64
	Sha  string
	Node string
	At   time.Time
}

func (c *configSync) readRemote(ctx context.Context) (remoteConfig, error) {
	v, err := c.n.rdb.HMGet(ctx, configKey, "seq", "sha256", "node", "time").Result()
	if err != nil {
		return remoteConfig{}, err
	}
	str := func(i int) string { s, _ := v[i].(string); return s }
	var r remoteConfig
	if s := str(0); s != "" {
		if r.Seq, err = strconv.ParseInt(s, 10, 64); err != nil {
			return r, fmt.Errorf("%s seq %q: %w", configKey, s, err)
		}
	}
	r.Sha, r.Node = str(1), str(2)
	r.At, _ = time.Parse(time.RFC3339Nano, str(3))
	return r, nil
}

// publishScript writes the text under a new seq if Redis's seq is still
// ARGV[1] (none: 0), under the next seq but at least ARGV[6]; otherwise
// it returns -1 and writes nothing.
const publishScript = `local cur = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if cur ~= tonumber(ARGV[1]) then return -1 end
local seq = redis.call('INCR', KEYS[2])
if seq < tonumber(ARGV[6]) then
  seq = tonumber(ARGV[6])
  redis.call('SET', KEYS[2], seq)
end
redis.call('HSET', KEYS[1], 'seq', seq, 'sha256', ARGV[2], 'node', ARGV[3], 'time', ARGV[4], 'text', ARGV[5])
return seq`

// reconcile is one look: this node's file against Redis's configuration.
//
//   - Redis has none, or its seq is the one this node last saw and the
//     node's file changed since it last applied or published: the file is
//     published (an edit here, or made while Redis was out of reach, wins);
//   - Redis's seq is another: its text is taken (the same checker, the
//     previous file kept, reloaded all or nothing). If this node's file
//     had changed too, Redis's (already on the other nodes) wins and the
//     node's is kept as hearth.yaml.1. A refusal leaves the node on its
//     last good file, and that seq is not tried again.
func (c *configSync) reconcile(ctx context.Context) error {
	c.busy.Lock()
	defer c.busy.Unlock()
	local, err := c.file.Read()
	if err != nil {
		return err
	}
	lsha := sha(local)
	c.mu.Lock()
	st := c.status
	c.mu.Unlock()

	rctx, cancel := context.WithTimeout(ctx, 2*Timeout)
	defer cancel()
	remote, err := c.readRemote(rctx)
	if err != nil {
		return err
	}
	switch {
	case remote.Seq == st.Seq && remote.Seq != 0 && lsha == st.Sha:
		return nil // nothing new on either side
	case remote.Seq == 0 && lsha == st.Sha && st.Seq != 0:
		// Redis lost its data: write back the file this node has, under
		// the seq it had (a node that refused it leaves that to the others).
		if st.Refused {
			return nil
		}
		return c.publish(rctx, 0, st.Seq, local, lsha)
	case remote.Seq == 0 || (remote.Seq == st.Seq && lsha != st.Sha):
		return c.publish(rctx, remote.Seq, st.Seq+1, local, lsha)
	case remote.Sha == lsha:
		// The same text (this node's own, after Redis lost its data and
		// another node wrote it back; or edited alike on both).
		c.save(ConfigStatus{Seq: remote.Seq, From: remote.Node, At: remote.At, State: ConfigApplied, Sha: lsha})
		return nil
	}
	text, err := c.n.rdb.HGet(rctx, configKey, "text").Bytes()
	if err != nil {
		return err
	}
	cancel()
	next := ConfigStatus{Seq: remote.Seq, From: remote.Node, At: remote.At}
	if sha(text) != remote.Sha {
		return c.refuse(next, lsha, []string{fmt.Sprintf("%s: the text does not match its sha256 (written by something other than Hearth?)", configKey)})
	}
	ownChanged := lsha != st.Sha // a node joining with another file counts too
	if err := c.file.Take(text); err != nil {
		return c.refuse(next, lsha, problemsOf(err))
	}
	// What this node has now: the text taken, its own machine's keys kept
	// (ConfigFile.Take); the next look compares its file with this.
	next.State, next.Sha, next.KeptOwn = ConfigApplied, remote.Sha, ownChanged
	if now, err := c.file.Read(); err == nil {
		next.Sha = sha(now)
	}
	c.save(next)
	ev := c.n.log.Info()
	if ownChanged {
		ev = c.n.log.Warn().Bool("kept_own", true)
	}
	ev.Int64("seq", remote.Seq).Str("from", remote.Node).Msg(map[bool]string{
		false: "cluster: hearth.yaml changed on another node: taken and reloaded",
		true: "cluster: hearth.yaml changed both here and on another node while Redis was out of reach: " +
			"the other node's (already on the others) is taken; this node's is kept as hearth.yaml.1"}[ownChanged])
	return nil
}

// publish writes local as Redis's configuration if Redis's seq is still
// expect, under a seq no lower than floor (Redis may have lost its counter
// too), and tells the other nodes.
func (c *configSync) publish(ctx context.Context, expect, floor int64, local []byte, lsha string) error {
	now := c.n.clk.Now()
	seq, err := c.n.rdb.Eval(ctx, publishScript, []string{configKey, configSeqKey},
		expect, lsha, c.n.opts.Node, now.UTC().Format(time.RFC3339Nano), local, floor).Int64()
	if err != nil {
		return err
	}
	if seq < 0 {
		c.poke() // another node published first: look again, its text wins
		return nil
	}
	c.save(ConfigStatus{Seq: seq, From: c.n.opts.Node, At: now, State: ConfigPublished, Sha: lsha})
	c.n.log.Info().Int64("seq", seq).Msg("cluster: this node's hearth.yaml is now the shared one")
	return c.n.rdb.Publish(ctx, changesChannel, configKind+" "+c.n.opts.Node+" "+c.n.instance).Err()
}

// refuse records a configuration this node cannot take, and says so once.
func (c *configSync) refuse(st ConfigStatus, lsha string, problems []string) error {
	st.State, st.Refused, st.Problems, st.Sha = ConfigRefused, true, problems, lsha
	c.save(st)
	c.n.log.Error().Int64("seq", st.Seq).Str("from", st.From).Strs("problems", problems).
		Msg("cluster: the shared hearth.yaml cannot be taken here: this node keeps its last good configuration and file")
	return nil
}

// save makes st the status and writes it to ConfigStateFile.
func (c *configSync) save(st ConfigStatus) {
	c.mu.Lock()
	c.status = st
	c.mu.Unlock()
	if c.path == "" {
		return
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := atomicfile.Write(c.path, append(b, '\n'), 0o600); err != nil {
		c.n.log.Error().Err(err).Msg("cluster: the shared configuration's record")
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// problemsOf lists err's problems, one a line.
func problemsOf(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		out = append(out, e.Error())
	}
	walk(err)
	return out
}
