package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/policy/state"
)

// queue keeps this node's override changes until Redis has them, in order,
// on disk (QueueFile) so that a restart while Redis is down keeps them.
type queue struct {
	path string // "": memory only

	mu    sync.Mutex
	items []state.OverrideChange
	gen   uint64 // bumped by every add
	err   error  // the last save's error
}

type queueFile struct {
	Version   int                    `json:"version"`
	Overrides []state.OverrideChange `json:"overrides"`
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
	q.items = f.Overrides
	return q, nil
}

// add appends ch and saves the queue. Called under the overrides' lock.
func (q *queue) add(ch state.OverrideChange) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, ch)
	q.gen++
	q.saveLocked()
}

// snapshot returns the queued changes (a copy) and the generation.
func (q *queue) snapshot() ([]state.OverrideChange, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]state.OverrideChange(nil), q.items...), q.gen
}

// generation is the number of adds so far.
func (q *queue) generation() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.gen
}

// drop removes the first n changes (sent) and saves the queue.
func (q *queue) drop(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items[:0:0], q.items[n:]...)
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
	b, err := json.MarshalIndent(queueFile{Version: 1, Overrides: q.items}, "", "  ")
	if err == nil {
		err = atomicfile.Write(q.path, append(b, '\n'), 0o600)
	}
	q.err = err
}
