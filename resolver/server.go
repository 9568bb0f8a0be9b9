package resolver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// Options carries what the YAML file cannot.
type Options struct {
	Logger zerolog.Logger
	Clock  clock.Clock // nil means the system clock
	// RootCAs, when set, replaces the system roots for DoT/DoH upstreams (tests).
	RootCAs *x509.CertPool
	// Policy, when set, decides which names are blocked. It is the concrete
	// engine, not an interface: the name handed to Decide lives in a stack
	// buffer, which a call through an interface would force onto the heap
	// on every query.
	Policy *policy.Engine
	// Journal, when set, is told of every blocked lookup (and of allowed
	// ones for groups with log_allowed). Record must never block.
	Journal Recorder
	// Observer, when set, is told what happens to each query and each
	// upstream attempt, for metrics (see metrics.go). Nil: no metrics.
	Observer Observer
	// StateDir keeps the local CA and the certificate it signs for the
	// encrypted listeners (tls.self_signed).
	StateDir string
}

// Recorder takes lookups for the journal without waiting. e.Name may be a
// view of the caller's stack or reused buffer, valid only during the call:
// a Recorder that keeps it copies it (the journal does so once per name and
// minute, so a repeated name costs no allocation).
type Recorder interface {
	Record(journal.Event)
}

// Server is Hearth's DNS server: listeners plus the query pipeline.
type Server struct {
	log     zerolog.Logger
	clock   clock.Clock
	rootCAs *x509.CertPool
	policy  *policy.Engine
	journal Recorder
	obs     Observer // never nil

	pipe    atomic.Pointer[pipeline]
	flights singleflight.Group
	bufs    sync.Pool

	ctx           context.Context // cancelled at shutdown; parent of upstream exchanges
	cancel        context.CancelFunc
	prefetchSlots chan struct{}
	bg            sync.WaitGroup // background work that lasts (the log limiter's ticker)
	prefetches    sync.WaitGroup // prefetches in flight
	logs          *logLimiter
	handoff       *handoff // goroutines for what the UDP workers hand on

	upstreamBusy atomic.Int64 // upstream queries not sent: max_in_flight reached
	rebinding    atomic.Int64 // upstream answers dropped by rebinding protection

	stateDir string
	enc      [NumProtocols]encCounters // DoT and DoH connections (encrypted.go)

	mu        sync.Mutex // guards listeners and encs
	listeners map[string]*listener
	encs      map[string]*encListener // DoT and DoH, by encKey
}

// listener is one configured address: Hearth's own UDP read loop (udp.go)
// and miekg/dns's TCP server, on one port.
type listener struct {
	udp  *udpServer
	tcp  *dns.Server
	addr net.Addr // the bound UDP address
}

const maxPrefetches = 16

// New validates cfg and builds a server; nothing is bound until Start.
func New(cfg Config, opts Options) (*Server, error) {
	s := &Server{
		log:           opts.Logger,
		clock:         opts.Clock,
		rootCAs:       opts.RootCAs,
		policy:        opts.Policy,
		journal:       opts.Journal,
		obs:           opts.Observer,
		prefetchSlots: make(chan struct{}, maxPrefetches),
		listeners:     make(map[string]*listener),
		encs:          make(map[string]*encListener),
		stateDir:      opts.StateDir,
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.obs == nil || isNilPointer(s.obs) {
		s.obs = nopObserver{}
	}
	s.bufs.New = func() any { b := make([]byte, 0, 1232); return &b }
	s.logs = newLogLimiter(s.log)
	s.handoff = newHandoff()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	p, err := s.build(cfg, nil)
	if err != nil {
		return nil, err
	}
	s.pipe.Store(p)
	return s, nil
}

// build makes a pipeline from cfg, reusing old's cache when its settings are
// unchanged.
func (s *Server) build(cfg Config, old *pipeline) (*pipeline, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	p := &pipeline{cfg: cfg, local: newLocalNames(cfg.Local.Domains)}
	for _, c := range cfg.AllowClients {
		pre, _ := parseClientPrefix(c) // validated above
		p.allow = append(p.allow, pre)
		if !isPrivatePrefix(pre) {
			s.log.Warn().Str("allow_clients", c).
				Msg("allow_clients includes public addresses: anyone there who can reach this machine may use Hearth as their resolver; list only the home's networks unless that is intended")
		}
	}
	uopts := upstream.Options{Logger: s.log, RootCAs: s.rootCAs, Observe: s.obs.Upstream}
	var err error
	if p.upstreams, err = upstream.NewGroup(cfg.Upstreams, uopts); err != nil {
		return nil, fmt.Errorf("upstreams: %w", err)
	}
	if cfg.Local.Router != "" {
		addr, _ := hostPort(cfg.Local.Router, "53")
		rcfg := upstream.Config{Servers: []string{addr}, Strategy: "ordered", Timeout: cfg.Upstreams.Timeout, MaxInFlight: cfg.Upstreams.MaxInFlight}
		if p.router, err = upstream.NewGroup(rcfg, uopts); err != nil {
			p.upstreams.Close()
			return nil, fmt.Errorf("local.router: %w", err)
		}
	}
	p.budget = min(cfg.Upstreams.Timeout*time.Duration(max(1, len(cfg.Upstreams.Servers))), 10*time.Second)
	if old != nil && old.cfg.Cache.Equal(cfg.Cache) {
		p.cache = old.cache
	} else {
		p.cache = newCache(cfg.Cache)
	}
	if old != nil && old.cfg.RateLimit == cfg.RateLimit {
		p.limiter = old.limiter // the buckets carry over a reload
	} else {
		p.limiter = newRateLimiter(cfg.RateLimit)
	}
	p.rebind = newRebindGuard(cfg.Rebinding)
	if err := s.buildCerts(p, old); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// Start binds every listener (UDP and TCP per address) and starts serving.
// A bind error names the address and says how to fix the usual causes.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, addr := range s.pipe.Load().cfg.Listen {
		if err := s.listen(addr); err != nil {
			s.stopListeners(context.Background(), nil)
			return err
		}
	}
	if err := s.startAllEncrypted(); err != nil {
		s.stopListeners(context.Background(), nil)
		s.stopEncrypted(context.Background(), nil)
		return err
	}
	s.bg.Add(1)
	go s.runLogFlush()
	return nil
}

// listen binds addr over UDP and TCP (the same port, also when addr asks for
// port 0) and starts both servers. Called with s.mu held.
func (s *Server) listen(addr string) error {
	conns, ln, err := bindPair(addr)
	if err != nil {
		return err
	}
	s.startListener(addr, conns, ln)
	return nil
}

// startListener starts the UDP read loop and the TCP server of addr on their
// bound sockets. Called with s.mu held.
func (s *Server) startListener(addr string, conns []*net.UDPConn, ln net.Listener) {
	l := &listener{addr: conns[0].LocalAddr(), udp: newUDPServer(s, conns)}
	l.tcp = &dns.Server{Listener: ln, Handler: s, MsgAcceptFunc: acceptQuery,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: func() time.Duration { return 10 * time.Second }}
	started := make(chan struct{})
	l.tcp.NotifyStartedFunc = func() { close(started) }
	go func() {
		if err := l.tcp.ActivateAndServe(); err != nil {
			s.log.Error().Err(err).Str("listen", addr).Msg("DNS listener stopped")
		}
	}()
	<-started
	l.udp.start()
	s.listeners[addr] = l
	s.log.Info().Str("listen", l.addr.String()).Int("udp_sockets", len(conns)).Msg("listening on UDP and TCP")
}

// bindPair binds addr over UDP (one socket per core where the system can
// share a port, see udp_linux.go) and TCP on the same port. With port 0 a
// port free over UDP is found first, TCP is bound on it (which holds it:
// every Hearth listener holds its TCP port), then the UDP sockets; if any
// of them finds the port taken meanwhile, another port is tried.
func bindPair(addr string) ([]*net.UDPConn, net.Listener, error) {
	host, want, _ := net.SplitHostPort(addr)
	n := udpSockets()
	if want != "0" {
		conns, err := listenUDPGroup(addr, n)
		if err != nil {
			return nil, nil, bindError("udp", addr, err)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll(conns)
			return nil, nil, bindError("tcp", addr, err)
		}
		return conns, ln, nil
	}
	for attempt := 0; ; attempt++ {
		probe, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, bindError("udp", addr, err)
		}
		_, port, _ := net.SplitHostPort(probe.LocalAddr().String())
		at := net.JoinHostPort(host, port)
		ln, err := net.Listen("tcp", at)
		probe.Close()
		if err != nil {
			if !errors.Is(err, syscall.EADDRINUSE) || attempt == 20 {
				return nil, nil, bindError("tcp", addr, err)
			}
			continue
		}
		conns, err := listenUDPGroup(at, n)
		if err == nil {
			return conns, ln, nil
		}
		ln.Close()
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 20 {
			return nil, nil, bindError("udp", addr, err)
		}
	}
}

func closeAll(conns []*net.UDPConn) {
	for _, c := range conns {
		c.Close()
	}
}

// bindError explains the two usual reasons a DNS port cannot be bound.
func bindError(network, addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("listen %s %s: permission denied: ports below 1024 need a privilege. "+
			"Grant it once with `sudo setcap cap_net_bind_service=+ep $(command -v hearth)` "+
			"(the systemd unit in deploy/ does this with AmbientCapabilities=CAP_NET_BIND_SERVICE), "+
			"or try Hearth on a high port: --listen 127.0.0.1:5353", network, addr)
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("listen %s %s: address already in use: another DNS server holds this port "+
			"(often systemd-resolved's stub listener on 127.0.0.53:53, or dnsmasq); stop it or "+
			"choose another address, e.g. --listen 127.0.0.1:5353", network, addr)
	}
	return fmt.Errorf("listen %s %s: %w", network, addr, err)
}

// acceptQuery screens raw headers before unpacking: responses are dropped,
// opcodes other than QUERY get NOTIMP, anything but one question FORMERR.
func acceptQuery(dh dns.Header) dns.MsgAcceptAction {
	const qrBit = 1 << 15
	if dh.Bits&qrBit != 0 {
		return dns.MsgIgnore
	}
	if int(dh.Bits>>11)&0xF != dns.OpcodeQuery {
		return dns.MsgRejectNotImplemented
	}
	if dh.Qdcount != 1 || dh.Ancount > 0 || dh.Nscount > 0 || dh.Arcount > 2 {
		return dns.MsgReject
	}
	return dns.MsgAccept
}

// Addrs returns the bound UDP addresses (useful with port 0).
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, addr := range s.pipe.Load().cfg.Listen {
		if l := s.listeners[addr]; l != nil {
			out = append(out, l.addr)
		}
	}
	return out
}

// Prepared is a resolver configuration built aside: its pipeline (with its
// upstreams) made and its new listen addresses bound, nothing yet serving
// with it. Commit puts it in force; Discard drops it. It is the resolver's
// half of a reload that applies in full or not at all.
type Prepared struct {
	old      *pipeline // the pipeline it was prepared against
	pipe     *pipeline
	bound    map[string]boundPair    // new listen addresses, bound, not serving
	encBound map[string]net.Listener // new encrypted listen addresses, by encKey
	done     bool
}

type boundPair struct {
	conns []*net.UDPConn
	ln    net.Listener
}

// Prepare validates cfg and builds what it needs aside: the pipeline (the
// cache is kept when its settings are unchanged) and a socket pair for each
// new listen address. On any problem nothing is left behind and the running
// configuration is untouched. The caller commits or discards the result
// before preparing another.
func (s *Server) Prepare(cfg Config) (*Prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.pipe.Load()
	p, err := s.build(cfg, old)
	if err != nil {
		return nil, err
	}
	pr := &Prepared{old: old, pipe: p, bound: map[string]boundPair{}, encBound: map[string]net.Listener{}}
	for _, addr := range cfg.Listen {
		if s.listeners[addr] != nil || pr.bound[addr].conns != nil {
			continue
		}
		conns, ln, err := bindPair(addr)
		if err != nil {
			s.discardLocked(pr)
			return nil, err
		}
		pr.bound[addr] = boundPair{conns, ln}
	}
	if err := s.bindNewEncrypted(cfg, pr); err != nil {
		s.discardLocked(pr)
		return nil, err
	}
	return pr, nil
}

// Commit puts pr in force: new listeners start serving on their bound
// sockets, the new pipeline answers from now on, listeners on addresses no
// longer configured stop, and the old upstreams close once queries in flight
// are surely done. It fails only when pr is stale (the server changed since
// Prepare, or pr was committed or discarded): then pr is discarded and the
// running configuration stays.
func (s *Server) Commit(pr *Prepared) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.pipe.Load()
	if pr.done || pr.old != old {
		s.discardLocked(pr)
		return errors.New("resolver: configuration prepared against an older one; nothing changed")
	}
	pr.done = true
	for addr, b := range pr.bound {
		s.startListener(addr, b.conns, b.ln)
	}
	s.pipe.Store(pr.pipe)
	want := make(map[string]bool, len(pr.pipe.cfg.Listen))
	for _, addr := range pr.pipe.cfg.Listen {
		want[addr] = true
	}
	s.stopListeners(context.Background(), want)
	s.commitEncrypted(pr)
	// Queries still in flight may be using the old upstreams: close them
	// once those queries are surely done.
	time.AfterFunc(old.budget+time.Second, old.close)
	return nil
}

// Discard drops a prepared configuration that will not be committed: its
// sockets and upstreams close. The running configuration is untouched.
func (s *Server) Discard(pr *Prepared) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discardLocked(pr)
}

func (s *Server) discardLocked(pr *Prepared) {
	if pr.done {
		return
	}
	pr.done = true
	for _, b := range pr.bound {
		closeAll(b.conns)
		b.ln.Close()
	}
	for _, ln := range pr.encBound {
		ln.Close()
	}
	pr.pipe.close()
}

// Reload swaps in a new configuration: Prepare, then Commit. If anything
// fails the running configuration stays, untouched.
func (s *Server) Reload(cfg Config) error {
	pr, err := s.Prepare(cfg)
	if err != nil {
		return err
	}
	return s.Commit(pr)
}

// stopListeners shuts down every listener whose address is not in keep.
// Called with s.mu held.
func (s *Server) stopListeners(ctx context.Context, keep map[string]bool) error {
	var errs []error
	for addr := range s.listeners {
		if !keep[addr] {
			errs = append(errs, s.stopListener(ctx, addr))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) stopListener(ctx context.Context, addr string) error {
	l := s.listeners[addr]
	delete(s.listeners, addr)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = l.udp.shutdown(ctx) }()
	go func() { defer wg.Done(); errs[1] = l.tcp.ShutdownContext(ctx) }()
	wg.Wait()
	return errors.Join(errs...)
}

// Shutdown stops accepting queries, waits for in-flight ones to finish (up to
// ctx), then stops background work and closes upstream connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	err := errors.Join(s.stopListeners(ctx, nil), s.stopEncrypted(ctx, nil))
	s.mu.Unlock()
	s.cancel()
	s.bg.Wait()
	s.prefetches.Wait()
	s.handoff.close()
	s.pipe.Load().close()
	return err
}

func (p *pipeline) close() {
	p.upstreams.Close()
	if p.router != nil {
		p.router.Close()
	}
}
