package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/resolver/upstream"
	"github.com/hearth-dns/hearth/web"
)

// `hearth doctor`: what usually goes wrong on a Raspberry Pi install, each
// finding with what to do. It changes nothing and downloads nothing: it binds
// and closes the listen ports, sends one or two queries to each upstream and
// to whatever holds a listen port, creates and removes a file in the
// journal's directory, and reads the state directory.

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

func newDoctorCmd(a *app) *cobra.Command { return newDoctorCmdWith(a, nil) }

// newDoctorCmdWith is newDoctorCmd; adjust, if not nil, changes the doctor
// before it runs (tests replace its clock and probes).
func newDoctorCmdWith(a *app, adjust func(*doctor)) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "doctor [--config FILE]",
		Short: "Check this machine for what usually goes wrong: ports, upstreams, clock, lists, journal, router",
		Long: "doctor checks, one line each (ok, warn or FAIL, with a fix for the last two):\n" +
			"  - the configuration loads;\n" +
			"  - each listen address is free for UDP and TCP, or held by Hearth itself;\n" +
			"  - each upstream answers over its own protocol, within upstreams.timeout\n" +
			"    (slower than 500 ms is a warning; all failing is a FAIL);\n" +
			"  - the clock is set (not before this build) and synchronised: a Raspberry Pi\n" +
			"    has no battery-backed clock, and schedules depend on the time;\n" +
			"  - the household's time zone, with its time now to compare with a clock;\n" +
			"  - the lists compile from their cached copies, each downloaded and fresh\n" +
			"    (confirmed within 3 x lists.refresh); nothing is downloaded;\n" +
			"  - the journal's directory is writable, its disk has 100 MB free, and the\n" +
			"    database opens;\n" +
			"  - the router sends the household to Hearth: queries from more than one\n" +
			"    other device in the last 24 hours (the journal and state_dir/devices.json).\n\n" +
			"Run it as the user Hearth runs as (e.g. `sudo -u hearth hearth doctor`, or with\n" +
			"sudo) so that it checks the same state directory and permissions.\n\n" +
			"Exit status: 0 when nothing FAILed (warnings included), 1 when something did,\n" +
			"2 for a bad command line.",
		Example: "  hearth doctor\n  sudo hearth doctor --config /etc/hearth/hearth.yaml",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&file, "config", "c", "",
		"configuration file (default: ./hearth.yaml, then /etc/hearth/hearth.yaml, else built-in defaults)")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		d := newDoctor(a.stdout)
		if adjust != nil {
			adjust(d)
		}
		if !d.run(c.Context(), a.loadOptions(file, nil)) {
			return exitStatus(exitError)
		}
		return nil
	}
	return cmd
}

// level is how a finding turned out.
type level int

const (
	levelOK level = iota
	levelWarn
	levelFail
)

func (l level) String() string { return [...]string{"ok", "warn", "FAIL"}[l] }

// finding is one line of the doctor's report.
type finding struct {
	level level
	title string
	notes []string // shown under the title
	fix   string   // warn and FAIL: what to do, in plain words; lines after the first continue it
}

// doctor runs the checks. Its fields are what the checks take from the
// system, so that tests can replace them.
type doctor struct {
	out       io.Writer
	clock     clock.Clock
	syncProbe func() (bool, error)             // whether the system clock is synchronised
	freeSpace func(dir string) (uint64, error) // bytes available on dir's file system
	hostAddrs func() []netip.Addr              // this machine's addresses
	bind      func(network, addr string) error // binds addr ("udp" or "tcp"), closing it at once
	rootCAs   *x509.CertPool                   // for DoT/DoH upstreams; nil: the system's
	built     time.Time                        // the clock cannot be earlier than this
	probe     time.Duration                    // per query to whatever holds a listen port
	slow      time.Duration                    // an upstream slower than this is a warning
	counts    [3]int                           // findings per level
}

func newDoctor(out io.Writer) *doctor {
	return &doctor{
		out:       out,
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

// run runs every check and reports whether none FAILed. Without a
// configuration only the clock can be checked.
func (d *doctor) run(ctx context.Context, opts config.LoadOptions) bool {
	cfg := d.checkConfig(opts)
	if cfg != nil {
		d.checkListen(ctx, cfg)
		d.checkWeb(ctx, cfg)
		d.checkUpstreams(ctx, cfg)
	}
	d.checkClock()
	if cfg != nil {
		d.checkTimezone(cfg)
		d.checkLists(cfg)
		d.checkJournal(cfg)
		d.checkRouter(ctx, cfg)
	}
	fmt.Fprintf(d.out, "\n%d ok, %d warn, %d FAIL\n", d.counts[levelOK], d.counts[levelWarn], d.counts[levelFail])
	return d.counts[levelFail] == 0
}

// report prints f: "ok    title", notes and fix indented under it.
func (d *doctor) report(f finding) {
	d.counts[f.level]++
	fmt.Fprintf(d.out, "%-4s  %s\n", f.level, f.title)
	for _, n := range f.notes {
		fmt.Fprintf(d.out, "      %s\n", n)
	}
	if f.level != levelOK && f.fix != "" {
		fmt.Fprintf(d.out, "      fix: %s\n", strings.ReplaceAll(f.fix, "\n", "\n           "))
	}
}

// 1. The configuration.

func (d *doctor) checkConfig(opts config.LoadOptions) *config.Config {
	cfg, src, err := config.Load(opts)
	if err != nil {
		f := finding{level: levelFail, title: "config: cannot be loaded (" + src.String() + ")",
			fix: "correct the problems above; `hearth check-config` checks again"}
		for _, p := range config.Problems(err) {
			f.notes = append(f.notes, p.Error())
		}
		d.report(f)
		return nil
	}
	f := finding{level: levelOK, title: "config: loaded from " + src.String()}
	if src.File == "" {
		f.notes = append(f.notes, "no hearth.yaml was found: Hearth runs on its built-in defaults (`hearth config default` prints them)")
	}
	if len(src.Warnings) > 0 {
		f.level, f.notes = levelWarn, append(f.notes, src.Warnings...)
		f.fix = "remove or correct the settings named above"
	}
	d.report(f)
	return cfg
}

// 2. The listen addresses.

// holder is what answers on a port the doctor cannot bind.
type holder int

const (
	heldByNobody   holder = iota // no DNS answer: not a DNS server, or nothing
	heldByHearth                 // answers ANY as Hearth does (RFC 8482 HINFO)
	heldByResolved               // systemd-resolved's stub listener answers on 127.0.0.53
	heldByRefusal                // a DNS server that refuses this machine
	heldByOther                  // another DNS server
)

func (d *doctor) checkListen(ctx context.Context, cfg *config.Config) {
	for _, addr := range cfg.Listen {
		d.report(d.listenFinding(ctx, addr))
	}
}

func (d *doctor) listenFinding(ctx context.Context, addr string) finding {
	title := "listen " + addr
	host, port, _ := net.SplitHostPort(addr) // validated by config.Load
	if port == "0" {
		return finding{level: levelOK, title: title + ": a free port is chosen at start"}
	}
	var bindErr error
	for _, network := range []string{"udp", "tcp"} {
		if err := d.bind(network, addr); err != nil && bindErr == nil {
			bindErr = fmt.Errorf("%s: %w", strings.ToUpper(network), err)
		}
	}
	if bindErr == nil {
		return finding{level: levelOK, title: title + ": free for UDP and TCP"}
	}
	inUse, denied := errors.Is(bindErr, syscall.EADDRINUSE), errors.Is(bindErr, syscall.EACCES)
	if errors.Is(bindErr, syscall.EADDRNOTAVAIL) {
		return finding{level: levelFail, title: title + ": this machine has no address " + host,
			fix: fmt.Sprintf("listen on one of this machine's addresses (%s), or on \":%s\" for all of them; "+
				"give this machine a fixed address on the router (a DHCP reservation) so that it keeps it",
				addrList(d.lanIPv4()), port)}
	}
	if !inUse && !denied {
		return finding{level: levelFail, title: fmt.Sprintf("%s: cannot listen (%v)", title, bindErr),
			fix: "check the address in listen: in hearth.yaml"}
	}
	find := fmt.Sprintf("find it with `sudo ss -ulpn 'sport = :%s'` and `sudo ss -tlpn 'sport = :%s'`", port, port)
	switch d.whoHolds(ctx, host, port) {
	case heldByHearth:
		return finding{level: levelOK, title: title + ": in use by Hearth (it answers there)"}
	case heldByResolved:
		return finding{level: levelFail, title: title + ": in use by systemd-resolved's stub listener (127.0.0.53:53)",
			fix: "set DNSStubListener=no in /etc/systemd/resolved.conf (or a file in /etc/systemd/resolved.conf.d/), " +
				"then `sudo systemctl restart systemd-resolved`;\n" +
				"or listen only on this machine's network address, e.g. " + listenExample(d.lanIPv4(), port)}
	case heldByRefusal:
		return finding{level: levelFail, title: title + ": in use by a DNS server that refuses this machine",
			fix: "if it is Hearth, add 127.0.0.0/8 to allow_clients so that it can be checked; otherwise stop that server or " +
				"choose another address for Hearth (" + find + ")"}
	case heldByOther:
		return finding{level: levelFail, title: title + ": in use by another DNS server, not Hearth",
			fix: "stop it, or give Hearth another address; " + find + ".\n" +
				"Usually it is systemd-resolved (set DNSStubListener=no in /etc/systemd/resolved.conf and restart it), " +
				"dnsmasq (`sudo systemctl disable --now dnsmasq`) or Pi-hole"}
	}
	if denied {
		return finding{level: levelFail, title: fmt.Sprintf("%s: permission denied, and nothing answers DNS there", title),
			fix: "ports below 1024 need a privilege: run Hearth from its systemd unit (AmbientCapabilities=CAP_NET_BIND_SERVICE), " +
				"or grant it once with `sudo setcap cap_net_bind_service=+ep $(command -v hearth)`, " +
				"or listen on a port above 1023; `sudo hearth doctor` tests the port itself"}
	}
	return finding{level: levelFail, title: fmt.Sprintf("%s: in use by a program that does not answer DNS (%v)", title, bindErr),
		fix: "stop that program or give Hearth another address; " + find}
}

// whoHolds asks what holds host:port: an ANY query for localhost, which
// Hearth answers itself with RFC 8482's HINFO. For a wildcard address on port
// 53 with no answer from 127.0.0.1, systemd-resolved's stub is asked too.
func (d *doctor) whoHolds(ctx context.Context, host, port string) holder {
	target := host
	wildcard := host == ""
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		wildcard = true
	}
	if wildcard {
		target = "127.0.0.1"
	}
	r := d.askDNS(ctx, net.JoinHostPort(target, port), "localhost.", dns.TypeANY)
	switch {
	case r != nil && isHearthANY(r):
		return heldByHearth
	case target == "127.0.0.53" && r != nil:
		return heldByResolved
	case r != nil && r.Rcode == dns.RcodeRefused:
		return heldByRefusal
	case r != nil:
		return heldByOther
	case wildcard && port == "53":
		if d.askDNS(ctx, "127.0.0.53:53", "localhost.", dns.TypeA) != nil {
			return heldByResolved
		}
	}
	return heldByNobody
}

// askDNS sends one query to addr over UDP, then TCP, and returns the first
// reply, or nil.
func (d *doctor) askDNS(ctx context.Context, addr, name string, qtype uint16) *dns.Msg {
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: d.probe}
		q := new(dns.Msg).SetQuestion(name, qtype)
		q.SetEdns0(1232, false)
		if r, _, err := c.ExchangeContext(ctx, q, addr); err == nil {
			return r
		}
	}
	return nil
}

func isHearthANY(r *dns.Msg) bool {
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		return false
	}
	h, ok := r.Answer[0].(*dns.HINFO)
	return ok && h.Cpu == "RFC8482"
}

// 2b. The dashboard's port and password.

func (d *doctor) checkWeb(ctx context.Context, cfg *config.Config) {
	if !cfg.Web.Enabled {
		d.report(finding{level: levelOK, title: "dashboard: off (web.enabled: false)"})
		return
	}
	addr := cfg.Web.Listen
	title := "dashboard " + addr
	host, port, _ := net.SplitHostPort(addr) // validated by config.Load
	switch err := d.bind("tcp", addr); {
	case port == "0":
		d.report(finding{level: levelOK, title: title + ": a free port is chosen at start"})
	case err == nil:
		at := "THIS-MACHINE"
		if ips := d.lanIPv4(); len(ips) > 0 {
			at = ips[0].String()
		}
		d.report(finding{level: levelOK, title: title + ": free",
			notes: []string{"parents open http://" + net.JoinHostPort(at, port) + "/ on the home network"}})
	case d.hearthDashboard(ctx, host, port):
		d.report(finding{level: levelOK, title: title + ": in use by Hearth's dashboard (it answers there)"})
	default:
		d.report(finding{level: levelFail, title: fmt.Sprintf("%s: in use by another program (%v)", title, err),
			fix: fmt.Sprintf("Hearth answers DNS without its dashboard then; set web.listen to a free port (e.g. \":8081\") "+
				"or stop that program (Pi-hole's and AdGuard Home's pages often use 80 or 8080): `sudo ss -tlpn 'sport = :%s'` finds it", port)})
	}
	auth := web.NewAuth(cfg.StateDirectory(), d.clock, time.Hour)
	switch {
	case auth.Problem() != nil:
		d.report(finding{level: levelFail, title: fmt.Sprintf("dashboard password: %v", auth.Problem()),
			fix: "set it again with `sudo hearth passwd`"})
	case !auth.PasswordSet():
		d.report(finding{level: levelWarn, title: "dashboard password: not set, so the dashboard only says how to set one",
			fix: "`sudo hearth passwd`"})
	default:
		d.report(finding{level: levelOK, title: "dashboard password: set"})
	}
}

// hearthDashboard reports whether Hearth's dashboard answers on host:port.
func (d *doctor) hearthDashboard(ctx context.Context, host, port string) bool {
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, d.probe)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+net.JoinHostPort(host, port)+"/api/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var health struct{ Status, Version string }
	return json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&health) == nil && health.Status == "ok" && health.Version != ""
}

// 3. The upstreams.

// upstreamAnswer is how one upstream answered the doctor.
type upstreamAnswer struct {
	first, again time.Duration // the first exchange (connection set-up included) and the next
	rcode        int
	err          error
}

func (a upstreamAnswer) good() bool {
	return a.err == nil && a.rcode != dns.RcodeServerFailure && a.rcode != dns.RcodeRefused
}

func (d *doctor) checkUpstreams(ctx context.Context, cfg *config.Config) {
	uc := cfg.Upstreams
	var boot *upstream.Bootstrap
	if len(uc.Bootstrap) > 0 {
		var err error
		if boot, err = upstream.NewBootstrap(uc.Bootstrap, uc.Timeout); err != nil {
			d.report(finding{level: levelFail, title: fmt.Sprintf("upstreams.bootstrap: %v", err),
				fix: "list plain IP addresses of DNS servers, e.g. 9.9.9.9"})
			return
		}
	}
	opts := upstream.Options{Logger: zerolog.Nop(), RootCAs: d.rootCAs}
	answers := make([]upstreamAnswer, len(uc.Servers))
	var wg sync.WaitGroup
	for i, s := range uc.Servers {
		wg.Go(func() { answers[i] = askUpstream(ctx, s, opts, boot, uc.Timeout) })
	}
	wg.Wait()
	good := 0
	for _, a := range answers {
		if a.good() {
			good++
		}
	}
	for i, s := range uc.Servers {
		d.report(upstreamFinding(s, answers[i], good, d.slow))
	}
}

// askUpstream asks server for doctorProbeName over its own protocol, and
// once more when it answered well, to time it without the connection set-up.
func askUpstream(ctx context.Context, server string, opts upstream.Options, boot *upstream.Bootstrap, timeout time.Duration) upstreamAnswer {
	up, err := upstream.New(server, opts, boot)
	if err != nil {
		return upstreamAnswer{err: err}
	}
	if c, ok := up.(upstream.Closer); ok {
		defer c.Close()
	}
	ask := func() (time.Duration, int, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		q := new(dns.Msg).SetQuestion(doctorProbeName, dns.TypeA)
		q.SetEdns0(1232, false)
		start := time.Now()
		r, err := up.Exchange(ctx, q)
		took := time.Since(start)
		var ne net.Error
		switch {
		case err != nil && (ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()):
			return took, 0, fmt.Errorf("no answer within %v", timeout)
		case err != nil:
			return took, 0, err
		}
		return took, r.Rcode, nil
	}
	var a upstreamAnswer
	if a.first, a.rcode, a.err = ask(); a.good() {
		a.again, a.rcode, a.err = ask()
	}
	return a
}

func upstreamFinding(server string, a upstreamAnswer, good int, slow time.Duration) finding {
	title := "upstream " + server
	if a.good() {
		f := finding{level: levelOK, title: fmt.Sprintf("%s: answered in %s", title, millis(a.again))}
		if a.first > a.again+10*time.Millisecond {
			f.title += fmt.Sprintf(" (the first time, connecting: %s)", millis(a.first))
		}
		if a.again > slow {
			f.level = levelWarn
			f.title += fmt.Sprintf(": slow, over %s", millis(slow))
			f.fix = "choose a server closer to you, or list several with strategy: fastest (Hearth then uses the quickest)"
		}
		return f
	}
	f := finding{level: levelFail}
	if good > 0 {
		f.level = levelWarn
	}
	proto, port := "DNS", "53"
	switch {
	case strings.HasPrefix(server, "tls://"):
		proto, port = "DNS-over-TLS", "853"
	case strings.HasPrefix(server, "https://"):
		proto, port = "DNS-over-HTTPS", "443"
	}
	if u, err := url.Parse(server); err == nil && u.Port() != "" {
		port = u.Port()
	} else if _, p, err := net.SplitHostPort(server); err == nil {
		port = p // "9.9.9.9:5353"
	}
	proto += " (port " + port + ")"
	switch {
	case a.err != nil:
		f.title = fmt.Sprintf("%s: %v", title, a.err)
		f.fix = "check that this machine reaches the internet (`ping -c3 9.9.9.9`) and that the router or a firewall lets " +
			proto + " out; check the address in upstreams.servers"
		if strings.Contains(a.err.Error(), "certificate") {
			f.fix = "the server's certificate was not accepted: a wrong clock makes every certificate look invalid (see the clock check); " +
				"otherwise check the address in upstreams.servers"
		}
	case a.rcode == dns.RcodeRefused:
		f.title = fmt.Sprintf("%s: refused to answer %s", title, strings.TrimSuffix(doctorProbeName, "."))
		f.fix = "this server does not serve this machine (it may serve only its own network or customers): choose another"
	default:
		f.title = fmt.Sprintf("%s: answered %s for %s", title, dns.RcodeToString[a.rcode], strings.TrimSuffix(doctorProbeName, "."))
		f.fix = "the server could not resolve a well-known name: it may be having trouble, or it checks DNSSEC and this " +
			"machine's clock is wrong (see the clock check); try again later, or choose another"
	}
	if good > 0 {
		f.fix += "\nthe other upstreams answer, and Hearth uses them meanwhile"
	} else {
		f.fix += "\nno upstream answers: names not in the cache cannot be resolved"
	}
	return f
}

// millis is a duration in whole milliseconds: "23 ms".
func millis(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// 4. The clock.

func (d *doctor) checkClock() {
	now := d.clock.Now()
	const advice = "a Raspberry Pi has no battery-backed clock and sets the time from the internet after each boot: " +
		"enable time synchronisation (`sudo timedatectl set-ntp true` for systemd-timesyncd, or install chrony) " +
		"and check that this machine reaches the internet (the router's connection, NTP on UDP port 123)"
	if now.Before(d.built) {
		d.report(finding{level: levelFail,
			title: fmt.Sprintf("clock: %s is before this build of Hearth (%s): the clock looks unset",
				now.UTC().Format("Mon 2006-01-02 15:04 MST"), d.built.Format("2006-01-02")),
			fix: advice + ";\nuntil it is right, schedules and bedtimes apply at the wrong hours and encrypted upstreams fail"})
		return
	}
	title := "clock: " + now.UTC().Format("Mon 2006-01-02 15:04 MST")
	synced, err := d.syncProbe()
	switch {
	case err != nil:
		d.report(finding{level: levelWarn, title: fmt.Sprintf("%s, but cannot tell whether it is synchronised (%v)", title, err),
			fix: advice})
	case !synced:
		d.report(finding{level: levelWarn, title: title + ", not synchronised with a time server", fix: advice})
	default:
		d.report(finding{level: levelOK, title: title + ", synchronised"})
	}
}

// buildFloor is the earliest the clock can be: the build date stamped in
// main.date (RFC 3339 or a date), or when this code was written.
func buildFloor(stamp string) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, stamp); err == nil && t.After(doctorCodeDate) {
			return t.UTC()
		}
	}
	return doctorCodeDate
}

var errSyncUnknown = errors.New("neither timedatectl nor systemd-timesyncd says")

// clockSynchronised asks timedatectl whether the clock is synchronised, else
// looks for systemd-timesyncd's flag file.
func clockSynchronised() (bool, error) {
	if path, err := exec.LookPath("timedatectl"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		out, err := exec.CommandContext(ctx, path, "show", "-p", "NTPSynchronized", "--value").Output()
		cancel()
		if err == nil {
			switch strings.TrimSpace(string(out)) {
			case "yes":
				return true, nil
			case "no":
				return false, nil
			}
		}
	}
	if _, err := os.Stat("/run/systemd/timesync/synchronized"); err == nil {
		return true, nil
	}
	if _, err := os.Stat("/run/systemd/timesync"); err == nil {
		return false, nil // timesyncd runs, and has not synchronised yet
	}
	return false, errSyncUnknown
}

// 5. The time zone.

func (d *doctor) checkTimezone(cfg *config.Config) {
	loc, err := time.LoadLocation(cfg.Policy.Timezone)
	if err != nil { // config.Load has validated it
		d.report(finding{level: levelFail, title: fmt.Sprintf("timezone %q: %v", cfg.Policy.Timezone, err),
			fix: "use an IANA name like Europe/London in timezone: in hearth.yaml"})
		return
	}
	d.report(finding{level: levelOK,
		title: fmt.Sprintf("timezone %s: it is %s in the household now", loc, d.clock.Now().In(loc).Format("Mon 2006-01-02 15:04 MST")),
		notes: []string{"if a clock in the house disagrees, correct the clock (above) or timezone: in hearth.yaml"}})
}

// 6. The lists.

func (d *doctor) checkLists(cfg *config.Config) {
	cat := blocklists.Builtin()
	ls, err := blocklists.New(cfg.Lists, blocklists.Options{
		Logger: zerolog.Nop(), Clock: d.clock, Dir: cfg.ListsDir(), Catalogue: cat,
		Categories: cfg.Policy.Categories(cat), UserAgent: "hearth/" + version,
	})
	if err == nil {
		_, err = ls.Compile()
	}
	if err != nil {
		f := finding{level: levelFail, title: "lists: cannot be compiled", fix: "correct lists: in hearth.yaml"}
		for _, p := range config.Problems(err) {
			f.notes = append(f.notes, p.Error())
		}
		d.report(f)
		return
	}
	services := 0
	var others []blocklists.SourceStatus
	for _, st := range ls.Status() {
		if st.Kind == blocklists.KindService {
			services++
		} else {
			others = append(others, st)
		}
	}
	d.report(finding{level: levelOK, title: fmt.Sprintf("lists: compiled from the cached copies: %d catalogue services, %d lists", services, len(others))})
	stale := doctorStaleLists * cfg.Lists.Refresh
	now := d.clock.Now()
	for _, st := range others {
		title := "list " + st.Name
		update := "`hearth lists update` downloads the lists now and shows what goes wrong; if it cannot, check this machine's internet connection"
		switch confirmed := latest(st.LastUpdate, st.LastCheck); {
		case st.URL != "" && st.LastUpdate.IsZero():
			d.report(finding{level: levelWarn, title: title + ": never downloaded, so its entries are not blocked",
				fix: update + " (a running Hearth keeps trying by itself)"})
		case st.URL != "" && now.Sub(confirmed) > stale:
			d.report(finding{level: levelWarn,
				title: fmt.Sprintf("%s: last confirmed %s ago, more than %d x lists.refresh (%s)", title, shortAge(now.Sub(confirmed)), doctorStaleLists, stale),
				notes: errNote(st.LastError),
				fix:   "Hearth refreshes lists while it runs: check that it runs, then " + update})
		case st.LastError != "":
			d.report(finding{level: levelWarn, title: title + ": " + st.LastError,
				fix: "check the source in lists.sources (for a file: that it exists and Hearth may read it)"})
		default:
			entries := fmt.Sprintf("%d entries", st.Entries)
			if st.Entries == 1 {
				entries = "1 entry"
			}
			f := finding{level: levelOK, title: title + ": " + entries}
			if !st.LastUpdate.IsZero() {
				f.title += ", updated " + shortAge(now.Sub(st.LastUpdate)) + " ago"
			}
			d.report(f)
		}
	}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func errNote(e string) []string {
	if e == "" {
		return nil
	}
	return []string{"last error: " + e}
}

// 7. The journal.

func (d *doctor) checkJournal(cfg *config.Config) {
	if !cfg.Journal.Enabled {
		d.report(finding{level: levelOK, title: "journal: off (journal.enabled: false): nothing is recorded, so there is no report"})
		return
	}
	path := journal.DefaultPath(cfg.Journal, cfg.StateDirectory())
	dir := filepath.Dir(path)
	perms := fmt.Sprintf("make it writable by the user Hearth runs as (e.g. `sudo chown -R hearth: %s`), "+
		"and check that the disk is not full or read-only (`df -h`; an SD card that turned read-only is failing)", dir)
	existing, err := existingDir(dir)
	if err != nil {
		d.report(finding{level: levelFail, title: fmt.Sprintf("journal directory %s: %v", dir, err),
			fix: "journal.path (or state_dir) must name a place for a directory: correct it in hearth.yaml"})
		return
	}
	if err := tryWrite(existing); err != nil {
		d.report(finding{level: levelFail, title: fmt.Sprintf("journal directory %s: cannot write there (%v)", dir, err), fix: perms})
		return
	}
	title := "journal directory " + dir + ": writable"
	if existing != dir {
		title = fmt.Sprintf("journal directory %s: not there yet; Hearth creates it (%s is writable)", dir, existing)
	}
	d.report(finding{level: levelOK, title: title})

	if free, err := d.freeSpace(existing); err == nil {
		f := finding{level: levelOK, title: fmt.Sprintf("disk: %s free for the journal", bytesText(free))}
		if free < doctorMinFree {
			f.level, f.title = levelWarn, fmt.Sprintf("disk: only %s free for the journal", bytesText(free))
			f.fix = fmt.Sprintf("free some space (`df -h` shows what is full; `sudo apt-get clean` and "+
				"`sudo journalctl --vacuum-size=50M` often help); the journal may grow to journal.max_size_mb (%d MB)", cfg.Journal.MaxSizeMB)
		}
		d.report(f)
	}

	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		d.report(finding{level: levelOK, title: "journal " + path + ": not created yet (Hearth creates it when it first records)"})
		return
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "journal: "), "opening "+path+": ")
		d.report(finding{level: levelWarn, title: fmt.Sprintf("journal %s: %s", path, msg),
			fix: "if this user may not read it, run the doctor as the user Hearth runs as; a damaged journal is set aside " +
				"and a new one started when Hearth starts"})
		return
	}
	r.Close()
	d.report(finding{level: levelOK, title: "journal " + path + ": opens"})
}

// existingDir returns dir, or its nearest ancestor that exists when dir does
// not (Hearth creates the rest); an error when that is not a directory.
func existingDir(dir string) (string, error) {
	for {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && fi.IsDir():
			return dir, nil
		case err == nil:
			return "", fmt.Errorf("%s is a file, not a directory", dir)
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", err
		}
		dir = parent
	}
}

// tryWrite creates and removes a file in dir.
func tryWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".hearth-doctor-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// bytesText is a size as df -h writes it: 12G, 87M, 512K.
func bytesText(n uint64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d MB", n>>20)
}

// diskFree asks df (POSIX output, 1024-byte blocks) how much is available on
// dir's file system. (statfs would need a file per operating system.)
func diskFree(dir string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "df", "-Pk", dir).Output()
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	// Filesystem 1024-blocks Used Available Capacity% Mounted-on: the file
	// system's and the mount point's names may hold spaces; Capacity ends in %.
	for i := 3; i < len(fields); i++ {
		if strings.HasSuffix(fields[i], "%") {
			kb, err := strconv.ParseUint(fields[i-1], 10, 64)
			if err != nil {
				break
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("df: cannot read %q", lines[len(lines)-1])
}

// 8. The router sends the household to Hearth.

func (d *doctor) checkRouter(ctx context.Context, cfg *config.Config) {
	since := d.clock.Now().Add(-doctorRecent)
	own := map[netip.Addr]bool{}
	for _, a := range d.hostAddrs() {
		own[a.Unmap()] = true
	}
	// A device is its configured name when it has one (a phone asks over
	// IPv4 and IPv6), else its address.
	others := map[string]netip.Addr{}
	self := false
	add := func(device, addr string) {
		a, err := netip.ParseAddr(addr)
		switch {
		case err != nil:
		case a.Unmap().IsLoopback() || own[a.Unmap()]:
			self = true
		case device != "":
			others[device] = netip.Addr{}
		default:
			others[a.Unmap().String()] = a.Unmap()
		}
	}
	var notes []string
	if cfg.Journal.Enabled {
		path := journal.DefaultPath(cfg.Journal, cfg.StateDirectory())
		if _, err := os.Stat(path); err == nil {
			if r, err := journal.OpenReader(path); err == nil { // else the journal check has said why
				rows, err := r.Rows(ctx, journal.Filter{Since: since})
				r.Close()
				if err != nil {
					notes = append(notes, fmt.Sprintf("the journal could not be read: %v", err))
				}
				for _, row := range rows {
					add(row.Device, row.Client)
				}
			}
		}
	}
	devices, err := seenDevices(filepath.Join(cfg.StateDirectory(), state.DevicesFile))
	if err != nil {
		notes = append(notes, err.Error())
	}
	for _, sd := range devices {
		if !sd.LastSeen.Before(since) {
			add(sd.Device, sd.Addr)
		}
	}

	// Named devices first, then addresses in order.
	names := slices.Collect(maps.Keys(others))
	slices.SortFunc(names, func(x, y string) int {
		ax, ay := others[x], others[y]
		if ax.IsValid() != ay.IsValid() {
			if ax.IsValid() {
				return 1
			}
			return -1
		}
		if ax.IsValid() {
			return ax.Compare(ay)
		}
		return strings.Compare(x, y)
	})
	f := finding{level: levelWarn, notes: notes}
	switch {
	case len(names) > 1:
		f.level = levelOK
		f.title = fmt.Sprintf("router: queries from %d devices in the last 24 hours (%s)", len(names), listText(names))
	case len(names) == 1:
		f.title = fmt.Sprintf("router: queries from only one device in the last 24 hours (%s)", names[0])
	case self:
		f.title = "router: queries only from this machine in the last 24 hours"
	default:
		f.title = "router: no queries seen from the household in the last 24 hours"
		f.notes = append(f.notes, "Hearth may not have run yet, or the router does not send the devices to it")
	}
	you := "this machine's address"
	if v4 := d.lanIPv4(); len(v4) > 0 {
		you += " (" + addrList(v4) + ")"
	}
	f.fix = "set the router's DHCP DNS server to " + you + ", so that every device asks Hearth; " +
		"devices take it up when they reconnect or renew their lease.\n" +
		"IPv6: a router that advertises its own DNS server (RDNSS in router advertisements, or DHCPv6) lets devices ask it " +
		"instead: turn that off on the router, or have it advertise this machine's IPv6 address"
	d.report(f)
}

// seenDevices reads the device registry at path, read-only: a registry it
// cannot parse is reported and left as it is.
func seenDevices(path string) ([]state.SeenDevice, error) {
	reg, err := state.OpenRegistryReadOnly(path)
	if reg == nil {
		return nil, fmt.Errorf("%s cannot be read: %v", path, err)
	}
	if err != nil {
		return nil, err
	}
	return reg.List(), nil
}

// lanIPv4 is this machine's IPv4 addresses but loopback: what the router
// should hand out as the DNS server.
func (d *doctor) lanIPv4() []netip.Addr {
	var out []netip.Addr
	for _, a := range d.hostAddrs() {
		if a = a.Unmap(); a.Is4() && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			out = append(out, a)
		}
	}
	return out
}

// addrList is "a, b, c" (at most five, then ", ..."), or "none found".
func addrList(as []netip.Addr) string {
	if len(as) == 0 {
		return "none found"
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return listText(parts)
}

// listText is "a, b, c", at most five, then ", ...".
func listText(parts []string) string {
	if len(parts) > 5 {
		parts = append(parts[:5:5], "...")
	}
	return strings.Join(parts, ", ")
}

// listenExample is a listen setting for this machine's first LAN address.
func listenExample(v4 []netip.Addr, port string) string {
	host := "192.168.1.10"
	if len(v4) > 0 {
		host = v4[0].String()
	}
	return fmt.Sprintf("listen: [%q]", net.JoinHostPort(host, port))
}

// machineAddrs is every address of this machine's interfaces that are up.
func machineAddrs() []netip.Addr {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					out = append(out, ip.Unmap())
				}
			}
		}
	}
	return out
}

// tryBind binds addr over network ("udp" or "tcp") and closes it at once.
func tryBind(network, addr string) error {
	if network == "udp" {
		pc, err := net.ListenPacket("udp", addr)
		if err == nil {
			pc.Close()
		}
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
	}
	return err
}
