package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
)

// runningLists is one configuration's Lists, kept current in the background.
type runningLists struct {
	setup  listsSetup
	lists  *blocklists.Lists
	gen    uint64 // its generation (Hearth.gen)
	cancel context.CancelFunc
	done   chan struct{}
}

// listsSetup is what decides whether a reload needs new Lists.
type listsSetup struct {
	cfg        blocklists.Config
	dir        string
	categories []string
}

func listsSetupOf(cfg *config.Config) listsSetup {
	return listsSetup{cfg: cfg.Lists, dir: cfg.ListsDir(), categories: cfg.Policy.Categories(blocklists.Builtin())}
}

// Equal reports whether s and o make the same Lists: the lists: settings,
// the cache directory and the categories whose public lists are fetched.
func (s listsSetup) Equal(o listsSetup) bool {
	return s.cfg.Equal(o.cfg) && s.dir == o.dir && slices.Equal(s.categories, o.categories)
}

// ListStatus reports on the running lists' sources (for the dashboard).
func (h *Hearth) ListStatus() []blocklists.SourceStatus {
	h.listsMu.Lock()
	rl := h.lists
	h.listsMu.Unlock()
	return rl.lists.Status()
}

// RefreshLists downloads the lists now and, if any changed, compiles and
// applies them (for the dashboard's "refresh" button).
func (h *Hearth) RefreshLists(ctx context.Context) error {
	h.listsMu.Lock()
	rl := h.lists
	h.listsMu.Unlock()
	changed, err := rl.lists.Refresh(ctx)
	if changed {
		c, cerr := rl.lists.Compile()
		if cerr != nil {
			return errors.Join(err, cerr)
		}
		if h.gen.Load() == rl.gen {
			h.engine.SetLists(c)
			fitMemory()
		}
	}
	return err
}

// newLists makes (but does not run) the Lists for setup.
func (h *Hearth) newLists(setup listsSetup) (*blocklists.Lists, error) {
	lists, err := blocklists.New(setup.cfg, blocklists.Options{
		Logger: h.log, Dir: setup.dir, Catalogue: blocklists.Builtin(), Categories: setup.categories,
		UserAgent: "hearth/" + h.version,
	})
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	return lists, nil
}

// runLists runs lists in the background, feeding the policy engine, and
// returns after their first compile or firstCompileWait. Only the newest
// running Lists may update the engine.
func (h *Hearth) runLists(setup listsSetup, lists *blocklists.Lists) *runningLists {
	gen := h.gen.Add(1)
	ctx, cancel := context.WithCancel(context.Background())
	rl := &runningLists{setup: setup, lists: lists, gen: gen, cancel: cancel, done: make(chan struct{})}
	first := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(rl.done)
		lists.Run(ctx, func(c *blocklists.Compiled) {
			if h.gen.Load() == gen {
				h.engine.SetLists(c)
			}
			fitMemory()
			once.Do(func() { close(first) })
		})
	}()
	select {
	case <-first:
	case <-time.After(firstCompileWait):
		h.log.Warn().Dur("waited", firstCompileWait).Msg("lists are not compiled yet; answering DNS unfiltered until they are")
	}
	return rl
}

func (rl *runningLists) stop() {
	rl.cancel()
	<-rl.done
}
