package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// change is one change made on this node to a record of a kind (an
// override, a device named): a put of Value under ID, or a delete. Until,
// if set, is when the record ends (a tombstone need not outlive it by
// much).
type change struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Deleted bool            `json:"deleted,omitempty"`
	Value   json.RawMessage `json:"value,omitempty"`
	Until   time.Time       `json:"until,omitzero"`
}

// queue keeps this node's changes until Redis has them, in order, on disk
// (QueueFile) so that a restart while Redis is down keeps them.
type queue struct {
	path string // "": memory only

	mu    sync.Mutex
	items []change
	gen   uint64 // bumped by every add
	err   error  // the last save's error
}

type queueFile struct {
	Version int      `json:"version"`
	Changes []change `json:"changes"`
}

// openQueue loads the queue in dir. A file that cannot be parsed is set
// aside and reported; the queue then starts empty.
func openQueue(dir string) (*queue, error) {
	q := &queue{}
	if dir == "" {
		return q, nil
	}
	q.path = filepath.Join(dir, QueueFile)
	b, err := os.ReadFile(q.path)
	if errors.Is(err, fs.ErrNotExist) {
		return q, nil
	}
	if err != nil {
		return q, fmt.Errorf("cluster: %w (changes queued before the restart are not sent)", err)
	}
	var f queueFile
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
		if err == nil {
			err = fmt.Errorf("unsupported version %d (want 1)", f.Version)
		}
		aside, _ := atomicfile.SetAside(q.path, time.Now())
		return q, fmt.Errorf("cluster: %s cannot be parsed (%v): moved to %s; the changes queued in it are not sent", q.path, err, aside)
	}
	q.items = f.Changes
	return q, nil
}

// add appends ch and saves the queue. Called under the store's lock.
func (q *queue) add(ch change) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, ch)
	q.gen++
	q.saveLocked()
}

// snapshot returns the queued changes of kind (a copy) and the generation.
func (q *queue) snapshot(kind string) ([]change, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []change
	for _, c := range q.items {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out, q.gen
}

// generation is the number of adds so far.
func (q *queue) generation() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.gen
}

// drop removes the first n changes of kind (sent) and saves the queue.
func (q *queue) drop(kind string, n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = slices.DeleteFunc(slices.Clone(q.items), func(c change) bool {
		if c.Kind == kind && n > 0 {
			n--
			return true
		}
		return false
	})
	q.saveLocked()
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// saveLocked writes the queue (removing the file when it is empty).
func (q *queue) saveLocked() {
	if q.path == "" {
		return
	}
	if len(q.items) == 0 {
		q.err = os.Remove(q.path)
		if errors.Is(q.err, fs.ErrNotExist) {
			q.err = nil
		}
		return
	}
	b, err := json.MarshalIndent(queueFile{Version: 1, Changes: q.items}, "", "  ")
	if err == nil {
		err = atomicfile.Write(q.path, append(b, '\n'), 0o600)
	}
	q.err = err
}
