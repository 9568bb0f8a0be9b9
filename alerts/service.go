package alerts

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/policy/schedule"
)

// SpoolDir is the alerts' directory under the state directory.
const SpoolDir = "alerts"

// Options carries what the configuration cannot.
type Options struct {
	Dir      string         // the state directory; the spool is Dir/alerts/<channel>
	Clock    clock.Timers   // nil: the system clock
	Location *time.Location // the household's zone (quiet hours, times in texts)
	Logger   zerolog.Logger
	RootCAs  *x509.CertPool // nil: the system's (tests set their own)
	// Dashboard is the start of every alert's link, when alerts.dashboard
	// is "" (the app derives it from web.hosts or web.listen); "": no link.
	Dashboard string
	// Names turns a catalogue service or category id into its display name
	// ("omegle" -> "Omegle"); nil or "" keeps the id.
	Names func(id string) string
}

// Service takes the resolver's lookups and Hearth's own events, makes
// alerts of them, and delivers them through each channel from a spool on
// disk. Look never blocks and never allocates.
type Service struct {
	cfg     Config
	opts    Options
	clk     clock.Timers
	loc     *time.Location
	log     zerolog.Logger
	link    string
	routes  atomic.Pointer[routes]
	senders []*sender
	looks   chan Lookup
	posts   chan Alert
	lost    atomic.Uint64 // lookups dropped: the collector was behind
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped chan struct{}
}

// New opens the spool of each configured channel; nothing runs until Start.
func New(cfg Config, opts Options) (*Service, error) {
	s := &Service{cfg: cfg, opts: opts, clk: opts.Clock, loc: opts.Location, log: opts.Logger,
		looks: make(chan Lookup, lookQueue), posts: make(chan Alert, postQueue), stopped: make(chan struct{})}
	if s.clk == nil {
		s.clk = clock.System{}
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	s.link = cfg.Dashboard
	if s.link == "" {
		s.link = opts.Dashboard
	}
	s.routes.Store(newRoutes(cfg, Household{}))
	var quiet *schedule.Schedule
	if len(cfg.QuietHours) > 0 {
		var ws []schedule.Window
		for i, q := range cfg.QuietHours {
			w, err := schedule.ParseWindow(q)
			if err != nil {
				return nil, fmt.Errorf("alerts.quiet_hours[%d]: %w", i, err)
			}
			ws = append(ws, w)
		}
		quiet = schedule.NewSchedule(s.loc, ws)
	}
	for _, ch := range channelsOf(cfg, opts.RootCAs) {
		sp, err := openSpool(filepath.Join(opts.Dir, SpoolDir, ch.Name()), max(cfg.Spool, 1))
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		s.senders = append(s.senders, &sender{ch: ch, sp: sp, clk: s.clk, quiet: quiet, rate: max(cfg.RatePerHour, 1),
			link: s.link, log: s.log, kick: make(chan struct{}, 1), state: ChannelState{Name: ch.Name()},
			statusFile: filepath.Join(opts.Dir, SpoolDir, ch.Name()+statusSuffix)})
	}
	return s, nil
}

// Start runs the collector and one sender per channel; alerts queued
// before a restart go out now.
func (s *Service) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, snd := range s.senders {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); snd.run(ctx) }()
		snd.wake()
	}
	go func() { defer close(s.stopped); s.collect(ctx) }()
}

// Close stops the senders and the collector; batches still counting are
// queued on disk first, so they go out after the next start.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); <-s.stopped; close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("alerts: a channel was still sending at shutdown")
	}
}

// ChannelNames are the names of the channels cfg sets, in order.
func ChannelNames(cfg Config) []string {
	var out []string
	for _, ch := range channelsOf(cfg, nil) {
		out = append(out, ch.Name())
	}
	return out
}

// Channels returns each channel's state.
func (s *Service) Channels() []ChannelState {
	out := make([]ChannelState, 0, len(s.senders))
	for _, snd := range s.senders {
		out = append(out, snd.State())
	}
	return out
}

// Lost is how many lookups were not looked at because the collector was
// behind (never the alerts already made).
func (s *Service) Lost() uint64 { return s.lost.Load() }

// TestResult is one channel's answer to a test alert.
type TestResult struct {
	Channel string `json:"channel"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// Test sends a test alert through every channel now (not queued, not held
// by quiet hours) and says which worked.
func (s *Service) Test(ctx context.Context) []TestResult {
	now := s.clk.Now().In(s.loc)
	a := Alert{ID: "test-" + strconv.FormatInt(now.UnixNano(), 36), Kind: KindTest, Title: "Hearth: test alert",
		Text: "This is a test alert from Hearth: alerts reach you this way.", Time: now, Link: s.pageLink("")}
	out := make([]TestResult, len(s.senders))
	var wg sync.WaitGroup
	for i, snd := range s.senders {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			defer cancel()
			err := snd.ch.Send(sctx, a)
			out[i] = TestResult{Channel: snd.ch.Name(), OK: err == nil}
			if err != nil {
				out[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	return out
}

// Notify queues a for every channel (Hearth's own events: a new device,
// Hearth unwell), if its kind is switched on. ID, Time and Link are filled
// in when empty.
func (s *Service) Notify(a Alert) {
	if !s.routes.Load().forOwner(a.Owner).kindOn(a.Kind) {
		return
	}
	if a.Time.IsZero() {
		a.Time = s.clk.Now()
	}
	a.Time = a.Time.In(s.loc)
	if a.ID == "" {
		a.ID = string(a.Kind) + "-" + strconv.FormatInt(a.Time.UnixNano(), 36)
	}
	if a.Link == "" {
		a.Link = s.pageLink(a.Kind)
	}
	s.enqueue(a)
}

func (s *Service) enqueue(a Alert) {
	stamp := s.clk.Now().UnixNano()
	for _, snd := range s.senders {
		b := a
		if snd.ch.Name() != "email" {
			b.HTML = ""
		}
		if err := snd.sp.add(b, stamp); err != nil {
			s.log.Error().Err(err).Str("channel", snd.ch.Name()).Msg("alert not queued")
			continue
		}
		snd.wake()
	}
}

// pageLink is the dashboard page an alert of kind k points to.
func (s *Service) pageLink(k Kind) string {
	if s.link == "" {
		return ""
	}
	switch k {
	case KindNewDevice, KindSilent:
		return s.link + "/devices"
	case KindUnwell:
		return s.link + "/"
	case KindDigest:
		return s.link + "/report"
	}
	return s.link + "/now"
}

// PageLink is the dashboard's page path as alerts link to it ("": no
// dashboard address known).
func (s *Service) PageLink(path string) string {
	if s.link == "" {
		return ""
	}
	return s.link + path
}

// Digest is when the weekly digest goes out (alerts.digest); ok is false
// when it is off.
func (s *Service) Digest() (day time.Weekday, at time.Duration, ok bool) {
	if s.cfg.Digest == "" {
		return 0, 0, false
	}
	day, at, err := ParseDigest(s.cfg.Digest)
	return day, at, err == nil
}

// postQueue bounds the alerts Post may have waiting for the collector.
const postQueue = 64

// Post queues a like Notify but never waits: for hooks on the query path
// (a device seen for the first time). Past postQueue waiting it is counted
// as lost.
func (s *Service) Post(a Alert) {
	select {
	case s.posts <- a:
	default:
		s.lost.Add(1)
	}
}

// NewDevice is a device seen for the first time, not configured.
type NewDevice struct {
	Key   string // "mac:..." or "ip:..."
	MAC   string
	Addr  string
	Lease string // its DHCP lease's host name, if known
	First time.Time
	// NeighbourOnly: seen in the kernel's neighbour table, never in DNS.
	NeighbourOnly bool
}

// NewDeviceAlert words a new device's alert.
func NewDeviceAlert(d NewDevice) Alert {
	if d.NeighbourOnly {
		return Alert{Kind: KindNewDevice, Title: "A new device joined", Time: d.First,
			Text: "A new device joined the network (" + d.MAC + ", " + d.Addr + ") and is not named yet; it has not used Hearth: its DNS may point elsewhere",
			ID:   idSafe("new-" + d.Key + "-" + strconv.FormatInt(d.First.Unix(), 36))}
	}
	what := d.Addr
	if d.Lease != "" {
		what = fmt.Sprintf("%q (%s)", d.Lease, d.Addr)
	}
	if id, ok := strings.CutPrefix(d.Key, "id:"); ok {
		what = fmt.Sprintf("device ID %q (%s)", id, d.Addr)
	}
	if d.MAC != "" {
		what += ", " + d.MAC
	}
	return Alert{Kind: KindNewDevice, Title: "A new device joined", Time: d.First,
		Text: "A new device joined the network and is not named yet: " + what + ". Name it on the dashboard to give it its rules.",
		ID:   idSafe("new-" + d.Key + "-" + strconv.FormatInt(d.First.Unix(), 36))}
}
