package blocklists

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
)

// Lists owns the sources of one configuration: it downloads the URL ones
// into a cache directory (Refresh), compiles everything into a Matcher from
// what is on disk (Compile), keeps both going (Run) and reports on them
// (Status). Its methods are safe for concurrent use.
type Lists struct {
	cfg     Config
	log     zerolog.Logger
	clock   clock.Clock
	client  *http.Client
	agent   string
	dir     string
	sources []*source
	poll    time.Duration // longest real sleep in Run before the clock is read again
	maxSize int64         // MaxDownload; smaller in tests

	refreshMu sync.Mutex // one Refresh at a time
	mu        sync.Mutex // guards the state of every source
}

// Options are what New needs besides the configuration.
type Options struct {
	Logger zerolog.Logger
	// Clock tells the time for refresh scheduling and ages; nil is the
	// system clock.
	Clock clock.Clock
	// HTTPClient downloads lists; nil is a client that gives up connecting
	// after 10s and on a whole download after 2m.
	HTTPClient *http.Client
	// UserAgent is sent with every download; "" is "hearth".
	UserAgent string
	// Dir is where downloads are cached, created (0o750) at the first
	// download if missing.
	Dir string
	// Catalogue supplies the services (one source each); nil: none.
	Catalogue *Catalogue
	// Categories are catalogue categories whose public lists are loaded,
	// each as a URL source named "<category>/<list name>".
	Categories []string
}

// SourceKind says where a source's entries come from.
type SourceKind int

const (
	// KindService is a catalogue service: its domains and their subdomains.
	KindService SourceKind = iota
	// KindCategoryList is a public list of a catalogue category (adult,
	// gambling, malware), downloaded like a URL source.
	KindCategoryList
	// KindList is a source from lists.sources.
	KindList
	// KindBackground is the one source named "background": the catalogue
	// services' background hosts (push, telemetry, store updates), with
	// their subdomains. It blocks nothing; a name's Match includes it when
	// the name is a background host, so daily budgets can leave it out.
	// Status does not report it: it is not a block list.
	KindBackground
)

// BackgroundSource is the name of the KindBackground source.
const BackgroundSource = "background"

func (k SourceKind) String() string {
	switch k {
	case KindService:
		return "service"
	case KindCategoryList:
		return "category list"
	case KindList:
		return "list"
	case KindBackground:
		return "background"
	}
	return fmt.Sprintf("SourceKind(%d)", int(k))
}

// FetchOutcome is what the last download attempt of a URL source did.
type FetchOutcome int

const (
	FetchNone        FetchOutcome = iota // not tried since start
	FetchUpdated                         // a new copy was stored
	FetchNotModified                     // the server said the copy is current (304), or sent the same bytes
	FetchFailed                          // unreachable, or rejected; the last good copy stays
)

func (o FetchOutcome) String() string {
	switch o {
	case FetchNone:
		return "-"
	case FetchUpdated:
		return "updated"
	case FetchNotModified:
		return "not modified"
	case FetchFailed:
		return "failed"
	}
	return fmt.Sprintf("FetchOutcome(%d)", int(o))
}

// source is one source of entries and what is known of it.
type source struct {
	name        string
	kind        SourceKind
	service     string   // KindService
	categories  []string // what the source counts as
	url, file   string
	domains     []string // inline entries (KindList) or a service's domains
	subdomains  bool
	allowShrink bool

	// Guarded by Lists.mu.
	meta       *meta // the cached copy's metadata (URL sources); nil: no copy
	stats      ParseStats
	compiled   bool   // stats are from a compile
	fetchErr   string // why the last download failed
	compileErr string // why the last compile could not read the source
	lastFetch  FetchOutcome
}

func (s *source) isURL() bool { return s.url != "" }

// lastError joins the download and compile problems (l.mu held).
func (s *source) lastError() string {
	switch {
	case s.fetchErr == "":
		return s.compileErr
	case s.compileErr == "":
		return s.fetchErr
	}
	return s.fetchErr + "; " + s.compileErr
}

// New returns the Lists for cfg. cfg should have been validated (Validate);
// New checks only what it cannot work without: the catalogue categories
// named in opts.Categories, the number of sources and a cache directory for
// URL sources. It does no I/O besides reading cached metadata.
func New(cfg Config, opts Options) (*Lists, error) {
	l := &Lists{
		cfg:     cfg,
		log:     opts.Logger,
		clock:   opts.Clock,
		client:  opts.HTTPClient,
		agent:   opts.UserAgent,
		dir:     opts.Dir,
		poll:    time.Minute,
		maxSize: MaxDownload,
	}
	if l.clock == nil {
		l.clock = clock.System{}
	}
	if l.client == nil {
		l.client = defaultClient()
	}
	if l.agent == "" {
		l.agent = "hearth"
	}
	if l.cfg.Refresh <= 0 {
		l.cfg.Refresh = 24 * time.Hour
	}

	var errs []error
	if cat := opts.Catalogue; cat != nil {
		bg := &source{name: BackgroundSource, kind: KindBackground, subdomains: true}
		for _, svc := range cat.Services {
			l.sources = append(l.sources, &source{
				name: svc.ID, kind: KindService, service: svc.ID,
				categories: slices.Clone(svc.Categories), domains: svc.Domains, subdomains: true,
			})
			bg.domains = append(bg.domains, svc.Background...)
		}
		l.sources = append(l.sources, bg)
	}
	for _, id := range opts.Categories {
		c := findCategory(opts.Catalogue, id)
		if c == nil {
			errs = append(errs, fmt.Errorf("blocklists: %q is not a catalogue category", id))
			continue
		}
		for _, pl := range c.Lists {
			l.sources = append(l.sources, &source{
				name: c.ID + "/" + pl.Name, kind: KindCategoryList,
				categories: []string{c.ID}, url: pl.URL,
			})
		}
	}
	for _, sc := range cfg.Sources {
		l.sources = append(l.sources, &source{
			name: sc.Name, kind: KindList, categories: []string{sc.Category},
			url: sc.URL, file: sc.File, domains: sc.Domains,
			subdomains: sc.Subdomains, allowShrink: sc.AllowShrink,
		})
	}
	if n := len(l.sources); n > MaxSources {
		errs = append(errs, fmt.Errorf("blocklists: %d sources (catalogue services, the background source and category lists included); at most %d", n, MaxSources))
	}
	hasURL := false
	for _, s := range l.sources {
		if !s.isURL() {
			continue
		}
		hasURL = true
		m, err := readMeta(l.metaPath(s))
		switch {
		case err == nil && m.URL == s.url:
			s.meta = m
		case err != nil && !errors.Is(err, os.ErrNotExist):
			l.log.Warn().Err(err).Str("list", s.name).Msg("ignoring the cached copy's metadata")
		}
	}
	if hasURL && l.dir == "" {
		errs = append(errs, errors.New("blocklists: no directory to keep downloaded lists in"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

func findCategory(cat *Catalogue, id string) *Category {
	if cat == nil {
		return nil
	}
	for i := range cat.Categories {
		if cat.Categories[i].ID == id {
			return &cat.Categories[i]
		}
	}
	return nil
}

// defaultClient gives up on a connection after 10s and on a whole download
// (headers and body) after 2m.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// ShortAge writes how long ago a list was updated or confirmed, as
// `hearth lists` and `hearth doctor` print it: "45s", "12m", "30h", "4d".
func ShortAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// SourceStatus is what Status reports of one source.
type SourceStatus struct {
	Name       string
	Kind       SourceKind
	Service    string   // KindService: the service's id
	Categories []string // what the source counts as
	URL        string   // URL sources
	File       string   // file sources
	Inline     int      // inline sources: how many items
	// Entries, Exceptions, Skipped and SkippedLines (the first few line
	// numbers) come from the last Compile; before one, Entries and
	// Exceptions of a URL source are those counted at download.
	Entries      int
	Exceptions   int
	Skipped      int
	SkippedLines []int
	// LastUpdate is when the cached copy was downloaded (URL sources) or the
	// file last modified; zero if there is neither. LastCheck is the last
	// time the server confirmed the copy (URL sources). Age is measured from
	// LastUpdate on the Lists' clock.
	LastUpdate time.Time
	LastCheck  time.Time
	Age        time.Duration
	LastFetch  FetchOutcome // of this process's last Refresh
	LastError  string       // of the last download or compile; "" if it went well
}

// maxSkippedLines is how many skipped line numbers Status reports.
const maxSkippedLines = 5

// Status reports on every source but the background one (which is not a
// block list), in SourceID order.
func (l *Lists) Status() []SourceStatus {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]SourceStatus, 0, len(l.sources))
	for _, s := range l.sources {
		if s.kind == KindBackground {
			continue
		}
		st := SourceStatus{
			Name: s.name, Kind: s.kind, Service: s.service, Categories: s.categories,
			URL: s.url, File: s.file, LastFetch: s.lastFetch, LastError: s.lastError(),
			Entries: s.stats.Entries, Exceptions: s.stats.Exceptions, Skipped: s.stats.Skipped,
		}
		if s.kind == KindList && s.url == "" && s.file == "" {
			st.Inline = len(s.domains)
		}
		if n := len(s.stats.SkippedLines); n > 0 {
			st.SkippedLines = slices.Clone(s.stats.SkippedLines[:min(n, maxSkippedLines)])
		}
		switch {
		case s.isURL() && s.meta != nil:
			st.LastUpdate, st.LastCheck = s.meta.Fetched, s.meta.Checked
			if !s.compiled {
				st.Entries, st.Exceptions = s.meta.Entries, s.meta.Exceptions
			}
		case s.file != "":
			if fi, err := os.Stat(s.file); err == nil {
				st.LastUpdate = fi.ModTime()
			}
		}
		if !st.LastUpdate.IsZero() {
			st.Age = max(now.Sub(st.LastUpdate), 0)
		}
		out = append(out, st)
	}
	return out
}

// Run keeps the lists current until ctx ends. It compiles from disk at once
// (so a reboot without internet still filters) and hands the result to
// onUpdate; then it downloads at once if a URL source has no copy or one
// older than the refresh interval, and afterwards every interval (plus up to
// 10% at random), compiling again and calling onUpdate after each change.
// While a URL source has no copy at all, failed attempts are retried sooner
// (1m, 2m, 4m, ... up to the interval). A failed compile keeps the previous
// result (and is logged).
func (l *Lists) Run(ctx context.Context, onUpdate func(*Compiled)) {
	compile := func() {
		c, err := l.Compile()
		if err != nil {
			l.log.Error().Err(err).Msg("compiling lists failed; keeping the previous ones")
			return
		}
		l.log.Info().Int("sources", len(c.Sources)).Int("entries", c.Matcher.Len()).Msg("lists compiled")
		onUpdate(c)
	}
	compile()
	if !l.hasURL() {
		<-ctx.Done()
		return
	}
	due := l.firstDue()
	failures := 0
	for {
		if !l.sleepUntil(ctx, due) {
			return
		}
		started := l.clock.Now() // the interval runs from start to start
		changed, err := l.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		if changed {
			compile()
		}
		next := l.cfg.Refresh
		if err != nil && l.missingCopy() {
			failures++
			next = min(time.Minute<<min(failures-1, 20), l.cfg.Refresh)
		} else {
			failures = 0
		}
		due = started.Add(jitter(next))
	}
}

// jitter returns d plus up to 10% of d at random.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + rand.N(d/10+1)
}

// firstDue is when Run should first download: now if a URL source has no
// copy or one last confirmed an interval ago or more, else when the oldest
// copy reaches that age.
func (l *Lists) firstDue() time.Time {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var oldest time.Time
	for _, s := range l.sources {
		if !s.isURL() {
			continue
		}
		if s.meta == nil {
			return now
		}
		if t := s.meta.Checked; oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	due := oldest.Add(l.cfg.Refresh)
	if !due.After(now) {
		return now
	}
	return now.Add(jitter(due.Sub(now)))
}

// sleepUntil waits until the clock reads t or later, or ctx ends (false).
// It waits on the clock's own timers when it has them (clock.Timers: a
// test's fake clock wakes it when moved), and reads the clock at least every
// l.poll, so a clock that jumps (a suspended laptop) is noticed.
func (l *Lists) sleepUntil(ctx context.Context, t time.Time) bool {
	for {
		d := t.Sub(l.clock.Now())
		if d <= 0 {
			return ctx.Err() == nil
		}
		wake, stop := clock.After(l.clock, min(d, l.poll))
		select {
		case <-ctx.Done():
			stop()
			return false
		case <-wake:
		}
	}
}

func (l *Lists) hasURL() bool {
	for _, s := range l.sources {
		if s.isURL() {
			return true
		}
	}
	return false
}

func (l *Lists) missingCopy() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sources {
		if s.isURL() && s.meta == nil {
			return true
		}
	}
	return false
}
