package app

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/cluster"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/upstream"
	"github.com/hearth-dns/hearth/web"
)

// firstCompileWait bounds how long start-up waits for the lists before
// answering DNS anyway: the family's internet must not wait on a list.
const firstCompileWait = 30 * time.Second

// Options carries what the configuration file cannot.
type Options struct {
	Logger zerolog.Logger
	// EventOutput, if not nil, is the JSON log's destination, where the
	// journal writes its per-lookup events in batches.
	EventOutput io.Writer
	// Version is the build's version, for the lists' User-Agent and the
	// dashboard.
	Version string
	// ConfigFile is hearth.yaml for the dashboard's edits (nil: none).
	ConfigFile *configedit.File
	// Clock, when set, is the time for the resolver, the policy and the
	// alerts (tests); nil: the system clock.
	Clock clock.Timers
	// RootCAs, when set, replaces the system roots for the alerts' TLS
	// (tests with their own SMTP or ntfy server).
	RootCAs *x509.CertPool
	// NeighbourCommand, when set, replaces `ip neigh show` for the "online
	// but silent" device (tests: a fixture).
	NeighbourCommand []string
}

// Hearth is the running process: the DNS server, the policy engine and the
// lists that feed it, the journal and the dashboard.
type Hearth struct {
	log        zerolog.Logger
	version    string
	srv        *resolver.Server
	engine     *policy.Engine
	filtering  bool // the running configuration blocks something for someone (guarded by reloadMu)
	lists      *runningLists
	gen        atomic.Uint64 // which runningLists may update the engine
	stopEngine context.CancelFunc
	engineDone chan struct{}
	journal    *journal.Journal
	journalCfg journal.Config
	web        *web.Server  // nil: the dashboard is off or could not start
	metrics    *web.Metrics // nil: the dashboard is off
	webCfg     web.Config
	encDNS     atomic.Pointer[web.EncryptedDNS] // the running encrypted DNS, for the Devices page
	listsMu    sync.Mutex                       // guards lists: replaced by Reload, read by the dashboard
	reloadMu   sync.Mutex                       // one Reload at a time
	reloads    chan chan error                  // the dashboard's reload requests, served by the caller's loop
	configFile *configedit.File
	lastReload atomic.Pointer[web.ReloadOutcome] // NoteReload's
	control    net.Listener                      // the control socket (nil: none)
	clock      clock.Timers
	neighCmd   []string // `ip neigh show`, for silent and new devices
	newDev     *newDevices
	silent     atomic.Pointer[SilentStatus] // the neighbour check's last look
	rootCAs    *x509.CertPool
	rec        *recorder // the resolver's hand-off to the journal and the alerts
	alertsCfg  alerts.Config
	alertsLoc  *time.Location
	// helpCountries are policy.help.countries, for the weekly digest.
	helpCountries atomic.Pointer[[]string]
	cluster       *cluster.Node      // nil: state not shared (cluster.go)
	stateCfg      config.StateConfig // the state section started with
	// runningConfig is hearth.yaml's text as this node runs it (the start,
	// the last successful reload), for sharing it (clusterconfig.go).
	runningConfig atomic.Pointer[[]byte]
}

// Start builds everything from cfg, compiles the lists (waiting up to
// firstCompileWait, so filtering is on from the first query), then starts
// the DNS listeners and the dashboard.
func Start(_ context.Context, cfg *config.Config, opts Options) (*Hearth, error) {
	log := opts.Logger
	h := &Hearth{log: log, version: opts.Version, reloads: make(chan chan error), filtering: cfg.Policy.Filters(), configFile: opts.ConfigFile,
		clock: opts.Clock, rootCAs: opts.RootCAs, neighCmd: opts.NeighbourCommand, rec: &recorder{chat: chatDomains()}}
	if h.clock == nil {
		h.clock = clock.System{}
	}
	var err error
	if h.newDev, err = openNewDevices(filepath.Join(cfg.StateDirectory(), alerts.SpoolDir, newDevicesFile), h.clock.Now()); err != nil {
		log.Warn().Err(err).Msg("alerts")
	}
	if h.engine, err = newEngine(cfg, log, h.clock, h.newDeviceSeen); err != nil {
		return nil, err
	}
	// The journal never fails to open: without its database it keeps
	// events in memory and says so loudly.
	h.journalCfg = cfg.Journal
	ropts := resolver.Options{Logger: log, Policy: h.engine, Clock: h.clock, StateDir: cfg.StateDirectory()}
	if cfg.Journal.Enabled {
		h.journal = journal.Open(cfg.Journal, journal.Options{Logger: log, Dir: cfg.StateDirectory(), EventOutput: opts.EventOutput})
		h.rec.journal = h.journal
	}
	// Alerts: blocked lookups reach them through the journal's hand-off.
	h.alertsCfg, h.alertsLoc = cfg.Alerts, h.engine.Location()
	h.helpCountries.Store(&cfg.Policy.Help.Countries)
	h.rec.alerts.Store(h.startAlerts(cfg))
	if h.journal != nil || cfg.Alerts.Enabled() {
		ropts.Journal = h.rec
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
			Lists:    h.ListStatus,
			Resolver: func() resolver.Stats { return h.srv.Stats() },
		})
		ropts.Observer = h.metrics
		h.metrics.Registry().MustRegister(web.SharedCollector(h.sharedState)) // absent without state.redis
	}
	if h.srv, err = resolver.New(cfg.Config, ropts); err != nil {
		h.stopCluster()
		h.closeJournal(context.Background())
		h.closeAlerts(context.Background())
		return nil, err
	}
	h.engine.SetRouterLookup(h.srv.RouterName) // the Devices page's router names, in the background
	setup := listsSetupOf(cfg)
	// Drop the code that read the configuration and opened the stores
	// before the lists' compile, the start's peak, so the peak does not
	// hold it too.
	releaseCodePages()
	lists, err := h.newLists(setup)
	if err != nil {
		h.stopCluster()
		return nil, err
	}
	h.lists = h.runLists(setup, lists)
	ctx, cancel := context.WithCancel(context.Background())
	h.stopEngine, h.engineDone = cancel, make(chan struct{})
	go h.watchUnwell(ctx, cfg.StateDirectory()) // ends with the engine
	go trimCode(ctx)                            // likewise
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
		h.stopCluster()
		h.lists.stop()
		h.closeJournal(context.Background())
		h.closeAlerts(context.Background())
		return nil, err
	}
	h.startWeb(cfg)
	h.startCluster(cfg) // after the dashboard: its login lockouts are shared too
	if ln, err := listenControl(cfg.StateDirectory()); err != nil {
		log.Warn().Err(err).Msg("no control socket: `hearth reload` cannot reach this process (SIGHUP still reloads)")
	} else {
		h.control = ln
		go h.serveControl(ln)
	}
	releaseCodePages() // the start-up code has run
	return h, nil
}

// startWeb starts the dashboard. One that cannot start (its port taken) is
// logged loudly and DNS goes on: the family's internet comes first.
func (h *Hearth) startWeb(cfg *config.Config) {
	h.webCfg = cfg.Web
	h.noteEncryptedDNS(cfg.Config)
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
		Config: cfg.Web, Engine: h.engine, Backend: h, Journal: h.journal, Metrics: h.metrics, StateDir: cfg.StateDirectory(), Alerts: h,
		AllowClients: nets, HelpCountries: cfg.Policy.Help.Countries, Catalogue: blocklists.Builtin(),
		Logger: h.log, Version: h.version, ConfigFile: h.configFile, EncryptedDNS: h.encryptedDNS,
		Shared: h.sharedState,
	})
	if err := srv.Start(); err != nil {
		h.log.Error().Err(err).Msg("dashboard not started; DNS is unaffected")
		return
	}
	h.web = srv
}

// Addrs returns the DNS server's bound UDP addresses (useful with port 0).
func (h *Hearth) Addrs() []net.Addr { return h.srv.Addrs() }

// RequestReload asks the caller's loop (which reads ReloadRequests) to load
// the configuration again, as SIGHUP does, and returns its outcome (for the
// dashboard's "reload").
func (h *Hearth) RequestReload() error {
	done := make(chan error, 1)
	select {
	case h.reloads <- done:
	case <-time.After(10 * time.Second):
		return errors.New("hearth is busy (shutting down?); try again")
	}
	return <-done
}

// ReloadRequests is where the caller's loop takes the dashboard's reload
// requests, serving each with Reload and answering on the channel sent.
func (h *Hearth) ReloadRequests() <-chan chan error { return h.reloads }

// Shutdown stops the dashboard and the listeners (in-flight requests and
// queries finish), then the lists.
func (h *Hearth) Shutdown(ctx context.Context) error {
	var werr error
	if h.control != nil {
		h.control.Close()
	}
	if h.web != nil {
		werr = h.web.Shutdown(ctx)
	}
	err := errors.Join(h.srv.Shutdown(ctx), werr)
	h.stopEngine()
	<-h.engineDone
	h.stopCluster()
	h.lists.stop()
	// After the listeners: the last queries' lookups are in the queue.
	h.closeJournal(ctx)
	h.closeAlerts(ctx)
	return err
}

// closeAlerts stops the alerts; batches still counting are queued on disk.
func (h *Hearth) closeAlerts(ctx context.Context) {
	if a := h.rec.alerts.Swap(nil); a != nil {
		if err := a.Close(ctx); err != nil {
			h.log.Warn().Err(err).Msg("alerts")
		}
	}
}

// closeJournal flushes the journal and says what it wrote and dropped.
func (h *Hearth) closeJournal(ctx context.Context) {
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
