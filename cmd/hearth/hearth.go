package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/upstream"
	"github.com/hearth-dns/hearth/web"
)

// firstCompileWait bounds how long start-up waits for the lists before
// answering DNS anyway: the family's internet must not wait on a list.
const firstCompileWait = 30 * time.Second

// hearth is the running process: the DNS server, the policy engine and the
// lists that feed it.
type hearth struct {
	log        zerolog.Logger
	srv        *resolver.Server
	engine     *policy.Engine
	lists      *runningLists
	gen        atomic.Uint64 // which runningLists may update the engine
	stopEngine context.CancelFunc
	engineDone chan struct{}
	journal    *journal.Journal
	journalCfg journal.Config
	web        *web.Server  // nil: the dashboard is off or could not start
	metrics    *web.Metrics // nil: the dashboard is off
	webCfg     web.Config
	listsMu    sync.Mutex      // guards lists: replaced by Reload, read by the dashboard
	reloads    chan chan error // the dashboard's reload requests, served by run
}

// runningLists is one configuration's Lists, kept current in the background.
type runningLists struct {
	setup  listsSetup
	lists  *blocklists.Lists
	gen    uint64 // its generation (hearth.gen)
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

// startHearth builds everything from cfg, compiles the lists (waiting up to
// firstCompileWait, so filtering is on from the first query), then starts
// the DNS listeners.
// eventOut, if not nil, is the JSON log's destination, where the journal
// writes its per-lookup events in batches.
func startHearth(ctx context.Context, cfg *config.Config, log zerolog.Logger, eventOut io.Writer) (*hearth, error) {
	h := &hearth{log: log, reloads: make(chan chan error)}
	var err error
	if h.engine, err = newEngine(cfg, log); err != nil {
		return nil, err
	}
	// The journal never fails to open: without its database it keeps
	// events in memory and says so loudly.
	h.journalCfg = cfg.Journal
	opts := resolver.Options{Logger: log, Policy: h.engine}
	if cfg.Journal.Enabled {
		h.journal = journal.Open(cfg.Journal, journal.Options{Logger: log, Dir: cfg.StateDirectory(), EventOutput: eventOut})
		opts.Journal = h.journal
	}
	if cfg.Web.Enabled {
		// The sources are read at scrape time, once h.srv and h.lists are set.
		h.metrics = web.NewMetrics(web.MetricsSources{
			Upstreams: func() []upstream.Stat { return h.srv.UpstreamStats() },
			Journal: func() (journal.Stats, bool) {
				if h.journal == nil {
					return journal.Stats{}, false
				}
				return h.journal.Stats(), true
			},
			Lists: h.ListStatus,
		})
		opts.Observer = h.metrics
	}
	if h.srv, err = resolver.New(cfg.Config, opts); err != nil {
		h.closeJournal(context.Background())
		return nil, err
	}
	setup := listsSetupOf(cfg)
	lists, err := newLists(setup, log)
	if err != nil {
		return nil, err
	}
	h.lists = h.runLists(setup, lists)
	ctx, cancel := context.WithCancel(context.Background())
	h.stopEngine, h.engineDone = cancel, make(chan struct{})
	go func() {
		defer close(h.engineDone)
		logged := map[string]time.Time{} // a problem is logged hourly, not every refresh
		h.engine.Run(ctx, func(err error) {
			if t, ok := logged[err.Error()]; !ok || time.Since(t) > time.Hour {
				logged[err.Error()] = time.Now()
				log.Warn().Err(err).Msg("device identification")
			}
		})
	}()
	if err := h.srv.Start(); err != nil {
		h.stopEngine()
		<-h.engineDone
		h.lists.stop()
		h.closeJournal(context.Background())
		return nil, err
	}
	h.startWeb(cfg)
	return h, nil
}

// startWeb starts the dashboard. One that cannot start (its port taken) is
// logged loudly and DNS goes on: the family's internet comes first.
func (h *hearth) startWeb(cfg *config.Config) {
	h.webCfg = cfg.Web
	if !cfg.Web.Enabled {
		return
	}
	allow := cfg.Web.AllowClients
	if len(allow) == 0 {
		allow = cfg.AllowClients
	}
	nets, err := web.Prefixes(allow) // validated with the configuration
	if err != nil {
		h.log.Error().Err(err).Msg("dashboard not started")
		return
	}
	srv := web.New(web.Options{
		Config: cfg.Web, Engine: h.engine, Backend: h, Journal: h.journal, Metrics: h.metrics, StateDir: cfg.StateDirectory(),
		AllowClients: nets, HelpCountries: cfg.Policy.Help.Countries, Catalogue: blocklists.Builtin(),
		Logger: h.log, Version: version,
	})
	if err := srv.Start(); err != nil {
		h.log.Error().Err(err).Msg("dashboard not started; DNS is unaffected")
		return
	}
	h.web = srv
}

// ListStatus reports on the running lists' sources (for the dashboard).
func (h *hearth) ListStatus() []blocklists.SourceStatus {
	h.listsMu.Lock()
	rl := h.lists
	h.listsMu.Unlock()
	return rl.lists.Status()
}

// RefreshLists downloads the lists now and, if any changed, compiles and
// applies them (for the dashboard's "refresh" button).
func (h *hearth) RefreshLists(ctx context.Context) error {
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

// RequestReload asks run to load the configuration again, as SIGHUP does,
// and returns its outcome (for the dashboard's "reload").
func (h *hearth) RequestReload() error {
	done := make(chan error, 1)
	select {
	case h.reloads <- done:
	case <-time.After(10 * time.Second):
		return errors.New("hearth is busy (shutting down?); try again")
	}
	return <-done
}

// ReloadRequests is where run takes the dashboard's reload requests.
func (h *hearth) ReloadRequests() <-chan chan error { return h.reloads }

// newEngine makes the policy engine, with its state (pauses and bonus time,
// the devices seen) in the state directory. A damaged state file is set
// aside and reported, never a reason not to start.
func newEngine(cfg *config.Config, log zerolog.Logger) (*policy.Engine, error) {
	dir := cfg.StateDirectory()
	overrides, err := state.OpenOverrides(filepath.Join(dir, state.OverridesFile), nil)
	if err != nil {
		if overrides == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("pauses and bonus time")
	}
	devices, err := state.OpenRegistry(filepath.Join(dir, state.DevicesFile))
	if err != nil {
		if devices == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("devices seen")
	}
	assigned, err := state.OpenAssignments(filepath.Join(dir, state.AssignmentsFile))
	if err != nil {
		if assigned == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("devices named on the dashboard")
	}
	opts := policy.Options{ListCategories: cfg.ListCategories(), Overrides: overrides, Devices: devices, Assignments: assigned,
		Neighbours: identity.NewNeighbours(identity.NeighbourSources{})} // read only while identify.neighbours is on
	return policy.NewEngine(cfg.Policy, opts)
}

// newLists makes (but does not run) the Lists for setup.
func newLists(setup listsSetup, log zerolog.Logger) (*blocklists.Lists, error) {
	lists, err := blocklists.New(setup.cfg, blocklists.Options{
		Logger: log, Dir: setup.dir, Catalogue: blocklists.Builtin(), Categories: setup.categories,
		UserAgent: "hearth/" + version,
	})
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	return lists, nil
}

// runLists runs lists in the background, feeding the policy engine, and
// returns after their first compile or firstCompileWait. Only the newest
// running Lists may update the engine.
func (h *hearth) runLists(setup listsSetup, lists *blocklists.Lists) *runningLists {
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

// Reload applies cfg: new Lists are made first and the resolver reloaded
// (either may refuse, leaving everything as it was), then the policy, then
// the lists if their setup changed.
func (h *hearth) Reload(cfg *config.Config) error {
	setup := listsSetupOf(cfg)
	var lists *blocklists.Lists
	if !reflect.DeepEqual(setup, h.lists.setup) {
		var err error
		if lists, err = newLists(setup, h.log); err != nil {
			return err
		}
	}
	if err := h.srv.Reload(cfg.Config); err != nil {
		return err
	}
	if cfg.Journal != h.journalCfg {
		h.log.Warn().Msg("journal settings changed: they apply after a restart")
	}
	if !reflect.DeepEqual(cfg.Web, h.webCfg) {
		h.log.Warn().Msg("web settings changed: they apply after a restart")
	}
	if err := h.engine.SetConfig(cfg.Policy, cfg.ListCategories()); err != nil {
		h.log.Error().Err(err).Msg("policy not reloaded; the previous one stays")
	}
	if lists != nil {
		// The old lists keep filtering until the new ones have compiled.
		old := h.lists
		rl := h.runLists(setup, lists)
		h.listsMu.Lock()
		h.lists = rl
		h.listsMu.Unlock()
		old.stop()
	}
	return nil
}

// Shutdown stops the dashboard and the listeners (in-flight requests and
// queries finish), then the lists.
func (h *hearth) Shutdown(ctx context.Context) error {
	var werr error
	if h.web != nil {
		werr = h.web.Shutdown(ctx)
	}
	err := errors.Join(h.srv.Shutdown(ctx), werr)
	h.stopEngine()
	<-h.engineDone
	h.lists.stop()
	// After the listeners: the last queries' lookups are in the queue.
	h.closeJournal(ctx)
	return err
}

// closeJournal flushes the journal and says what it wrote and dropped.
func (h *hearth) closeJournal(ctx context.Context) {
	if h.journal == nil {
		return
	}
	err := h.journal.Close(ctx)
	st := h.journal.Stats()
	ev := h.log.Info()
	if err != nil {
		ev = h.log.Error().Err(err)
	}
	ev.Uint64("written", st.Written).Uint64("dropped", st.Dropped).Int64("rows", st.Rows).
		Int64("size_bytes", st.SizeBytes).Bool("in_memory", st.InMemory).Msg("journal closed")
}

// memoryHeadroom is how far the heap may grow past what is live before the
// garbage collector works harder, and memoryFloor the limit below which it
// is not worth working harder (see fitMemory).
const (
	memoryHeadroom = 8 << 20
	memoryFloor    = 24 << 20
)

// fitMemory runs after each list compile. Building a large list leaves tens
// of MB of garbage (parse buffers, the builder's chunks, the previous
// matcher): return it to the system now rather than minutes later. Then set
// a soft memory limit just above what is live: with GOGC's default, a 15 MB
// matcher would let the heap reach 30 MB and more between collections, while
// the matcher holds no pointers, so collecting more often costs little (with
// the 1.2M-domain list: 32 MB resident instead of 41, for about a fifth of
// the peak cache-hit throughput; see docs/performance.md). On a Pi, resident
// memory is what counts. A GOMEMLIMIT set by the user wins.
func fitMemory() {
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(max(int64(ms.HeapAlloc+ms.StackInuse+ms.GCSys+ms.OtherSys)+memoryHeadroom, memoryFloor))
}
