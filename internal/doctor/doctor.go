package doctor

import (
	"context"
	"crypto/x509"
	"net/netip"
	"time"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/config"
)

// Thresholds.
const (
	doctorSlowUpstream = 500 * time.Millisecond // an upstream slower than this is a warning
	doctorStaleLists   = 3                      // a list unconfirmed for this many lists.refresh is stale
	doctorMinFree      = 100 << 20              // bytes free on the journal's disk below which we warn
	doctorRecent       = 24 * time.Hour         // how far back the router check looks
	doctorProbeTimeout = time.Second            // per query to whatever holds a listen port
	doctorProbeName    = "example.com."         // asked of each upstream
)

// doctorCodeDate is when this code was written: the clock cannot be earlier
// on a machine running it, whatever the build stamp says.
var doctorCodeDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Status is how a finding turned out.
type Status int

const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string { return [...]string{"ok", "warn", "FAIL"}[s] }

// Finding is one result of a check: the CLI prints it as one line with the
// notes and, for Warn and Fail, what to do under it.
type Finding struct {
	Check  string   // which check: config, listen, dashboard, upstream, clock, timezone, lists, journal, disk, router, alerts, shared
	Status Status   //
	Text   string   // what was found, in one line
	Notes  []string // more about it
	Fix    string   // Warn and Fail: what to do, in plain words; lines after the first continue it
}

// Doctor runs the checks. Its unexported fields are what the checks take
// from the system, so that tests can replace them.
type Doctor struct {
	version   string                           // for the lists' User-Agent
	clock     clock.Clock                      //
	syncProbe func() (bool, error)             // whether the system clock is synchronised
	freeSpace func(dir string) (uint64, error) // bytes available on dir's file system
	hostAddrs func() []netip.Addr              // this machine's addresses
	bind      func(network, addr string) error // binds addr ("udp" or "tcp"), closing it at once
	rootCAs   *x509.CertPool                   // for DoT/DoH upstreams; nil: the system's
	built     time.Time                        // the clock cannot be earlier than this
	probe     time.Duration                    // per query to whatever holds a listen port
	slow      time.Duration                    // an upstream slower than this is a warning

	check    string        // the check running, for its findings
	findings []Finding     // so far
	each     func(Finding) // told of each finding as it is made; may be nil
}

// New returns a doctor for this build: version is Hearth's version, date
// its build date (RFC 3339 or 2006-01-02; the clock cannot be earlier).
func New(version, date string) *Doctor {
	return &Doctor{
		version:   version,
		clock:     clock.System{},
		syncProbe: clockSynchronised,
		freeSpace: diskFree,
		hostAddrs: machineAddrs,
		bind:      tryBind,
		built:     buildFloor(date),
		probe:     doctorProbeTimeout,
		slow:      doctorSlowUpstream,
	}
}

// Run runs every check and returns the findings in order; each, if not nil,
// is told of every finding as it is made (so a slow check does not hold up
// the lines before it). It changes nothing and downloads nothing: it binds
// and closes the listen ports, sends one or two queries to each upstream and
// to whatever holds a listen port, creates and removes a file in the
// journal's directory, and reads the state directory. Without a
// configuration only the clock can be checked.
func (d *Doctor) Run(ctx context.Context, opts config.LoadOptions, each func(Finding)) []Finding {
	d.findings, d.each = nil, each
	steps := []struct {
		check string
		run   func(*config.Config)
	}{
		{"listen", func(cfg *config.Config) { d.checkListen(ctx, cfg) }},
		{"dashboard", func(cfg *config.Config) { d.checkWeb(ctx, cfg) }},
		{"encrypted", d.checkEncryptedDNS},
		{"upstream", func(cfg *config.Config) { d.checkUpstreams(ctx, cfg) }},
		{"clock", nil},
		{"timezone", d.checkTimezone},
		{"lists", d.checkLists},
		{"journal", d.checkJournal},
		{"router", func(cfg *config.Config) { d.checkRouter(ctx, cfg) }},
		{"alerts", d.checkAlerts},
		{"shared", func(cfg *config.Config) { d.checkShared(ctx, cfg) }},
	}
	d.check = "config"
	cfg := d.checkConfig(opts)
	for _, s := range steps {
		d.check = s.check
		switch {
		case s.run == nil:
			d.checkClock()
		case cfg != nil:
			s.run(cfg)
		}
	}
	return d.findings
}

// Failed reports whether any of findings is a Fail.
func Failed(findings []Finding) bool {
	for _, f := range findings {
		if f.Status == Fail {
			return true
		}
	}
	return false
}

// report records f under the check running.
func (d *Doctor) report(f Finding) {
	if f.Check == "" {
		f.Check = d.check
	}
	d.findings = append(d.findings, f)
	if d.each != nil {
		d.each(f)
	}
}

// 1. The configuration.

func (d *Doctor) checkConfig(opts config.LoadOptions) *config.Config {
	cfg, src, err := config.Load(opts)
	if err != nil {
		f := Finding{Status: Fail, Text: "config: cannot be loaded (" + src.String() + ")",
			Fix: "correct the problems above; `hearth check-config` checks again"}
		for _, p := range config.Problems(err) {
			f.Notes = append(f.Notes, p.Error())
		}
		d.report(f)
		return nil
	}
	f := Finding{Status: OK, Text: "config: loaded from " + src.String()}
	if src.File == "" {
		f.Notes = append(f.Notes, "no hearth.yaml was found: Hearth runs on its built-in defaults (`hearth config default` prints them)")
	}
	if len(src.Warnings) > 0 {
		f.Status, f.Notes = Warn, append(f.Notes, src.Warnings...)
		f.Fix = "remove or correct the settings named above"
	}
	d.report(f)
	return cfg
}
