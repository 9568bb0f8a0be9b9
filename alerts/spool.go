package alerts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// spool is one channel's queue on disk: a directory with one JSON file per
// alert, named so that they sort in the order they were queued. A file is
// written whole (atomicfile) before the sender is told, and removed only
// once the channel took the alert: a restart or a crash loses nothing.
type spool struct {
	dir     string
	max     int
	seq     atomic.Uint64
	dropped atomic.Uint64
}

func openSpool(dir string, max int) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &spool{dir: dir, max: max}
	names, err := s.list()
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		var last uint64
		fmt.Sscanf(names[len(names)-1], "%016x", &last)
		s.seq.Store(last)
	}
	return s, nil
}

// add writes a into the spool; past max, the oldest alerts are dropped.
func (s *spool) add(a Alert, stamp int64) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	seq := max(s.seq.Add(1), uint64(stamp))
	s.seq.Store(seq)
	if err := atomicfile.Write(filepath.Join(s.dir, fmt.Sprintf("%016x.json", seq)), b, 0o600); err != nil {
		return err
	}
	names, err := s.list()
	if err != nil {
		return err
	}
	for len(names) > s.max {
		os.Remove(filepath.Join(s.dir, names[0]))
		names = names[1:]
		s.dropped.Add(1)
	}
	return nil
}

// list returns the queued files' names, oldest first.
func (s *spool) list() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".json") && len(n) == 21 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

// read returns the alert in file name; a damaged file is set aside (renamed
// .bad) and reported, never retried for ever.
func (s *spool) read(name string) (Alert, error) {
	var a Alert
	path := filepath.Join(s.dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &a)
	}
	if err != nil {
		os.Rename(path, path+".bad")
		return a, fmt.Errorf("%s: %w (set aside as %s.bad)", path, err, name)
	}
	return a, nil
}

func (s *spool) remove(names ...string) {
	for _, n := range names {
		os.Remove(filepath.Join(s.dir, n))
	}
}
