package cluster

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-dns/hearth/policy/state"
)

// Budget minutes in Redis: one bitmap per day, owner and budget (bit m is
// minute m of the household's day, as SETBIT numbers bits), kept
// budgetTTL. Each sync sets the minutes this node used since the last one
// and reads the bitmap back into the node's counter (an OR): a minute used
// on two nodes is one bit, so it counts once.
const budgetTTL = 3 * 24 * time.Hour

const kindBudgets = "budgets"

func budgetKey(day int32, owner, budget string) string {
	return fmt.Sprintf("%sbudget:%d:%s:%s", Prefix, day, owner, budget)
}

// budgetSync remembers which bits each counter has sent.
type budgetSync struct {
	n    *Node
	sent map[string]sentWords // by owner+"\x00"+budget; only the sync goroutine uses it
}

type sentWords struct {
	day   int32
	words [state.CounterWords]uint64
}

func newBudgetSync(n *Node) *budgetSync {
	return &budgetSync{n: n, sent: map[string]sentWords{}}
}

// kind: the push sends and reads back in one pipeline, every sync; there is
// nothing to publish (the other nodes read every sync too).
func (b *budgetSync) kind() *kind {
	return &kind{name: kindBudgets, push: b.sync, pull: func(context.Context) error { return nil },
		reseed: func(context.Context) error { clear(b.sent); return nil }} // the next sync sends every minute
}

type counterRef struct {
	key  string
	c    *state.Counter
	day  int32
	bits [state.CounterWords]uint64
	get  *redis.StringCmd
}

// sync sends the new minutes of every counter of the latest day any has,
// and merges the bitmaps back.
func (b *budgetSync) sync(ctx context.Context) (bool, error) {
	var refs []*counterRef
	var latest int32
	b.n.opts.Budgets.Each(func(owner, budget string, c *state.Counter) {
		day, w := c.Words()
		latest = max(latest, day)
		refs = append(refs, &counterRef{key: owner + "\x00" + budget, c: c, day: day, bits: w})
	})
	if latest == 0 || len(refs) == 0 {
		return false, nil
	}
	pipe := b.n.rdb.Pipeline()
	for _, r := range refs {
		owner, budget := splitKey(r.key)
		key := budgetKey(latest, owner, budget)
		if r.day == latest {
			prev := b.sent[r.key]
			newBits := false
			for i, w := range r.bits {
				if prev.day == latest {
					w &^= prev.words[i]
				}
				for w != 0 {
					bit := w & -w
					pipe.SetBit(ctx, key, int64(i*64+bits.TrailingZeros64(bit)), 1)
					w &^= bit
					newBits = true
				}
			}
			if newBits {
				pipe.Expire(ctx, key, budgetTTL)
			}
		}
		r.get = pipe.Get(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return false, err
	}
	for _, r := range refs {
		raw, err := r.get.Bytes()
		if err != nil && err != redis.Nil {
			return false, err
		}
		words := bitmapWords(raw)
		r.c.Merge(latest, words[:])
		s := sentWords{day: latest}
		if r.day == latest {
			s.words = r.bits
		}
		for i := range s.words {
			s.words[i] |= words[i]
		}
		b.sent[r.key] = s
	}
	return false, nil
}

// bitmapWords turns a Redis bitmap (bit m is byte m/8's bit 7-m%8) into a
// counter's words.
func bitmapWords(raw []byte) [state.CounterWords]uint64 {
	var w [state.CounterWords]uint64
	for i, by := range raw {
		for j := range 8 {
			if by&(0x80>>j) == 0 {
				continue
			}
			if m := i*8 + j; m < state.CounterWords*64 {
				w[m/64] |= 1 << (m % 64)
			}
		}
	}
	return w
}

func splitKey(k string) (owner, budget string) {
	owner, budget, _ = strings.Cut(k, "\x00")
	return owner, budget
}
