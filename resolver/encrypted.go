package resolver

// DNS-over-TLS and DNS-over-HTTPS listeners (listen_tls, listen_https): their
// lifecycle beside the UDP/TCP ones (Start, Prepare/Commit, Shutdown), the
// certificate they serve (pipeline.certs, so a reload swaps it with the
// rest) and their figures.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/tlscert"
)

// encListener is one encrypted listen address.
type encListener struct {
	proto Protocol
	tl    *tlsListener
	dot   *dns.Server  // DoT
	doh   *http.Server // DoH
}

func encKey(proto Protocol, addr string) string { return proto.String() + "|" + addr }

// encAddrs are the configured encrypted listen addresses, by key.
func (c Config) encAddrs() map[string]struct {
	proto Protocol
	addr  string
} {
	out := map[string]struct {
		proto Protocol
		addr  string
	}{}
	for _, a := range c.ListenTLS {
		out[encKey(ProtoDoT, a)] = struct {
			proto Protocol
			addr  string
		}{ProtoDoT, a}
	}
	for _, a := range c.ListenHTTPS {
		out[encKey(ProtoDoH, a)] = struct {
			proto Protocol
			addr  string
		}{ProtoDoH, a}
	}
	return out
}

// buildCerts gives p its certificate source: old's when the certificate's
// settings are unchanged, a new one (read or made now) otherwise.
func (s *Server) buildCerts(p, old *pipeline) error {
	c := p.cfg
	if !c.encrypted() {
		return nil
	}
	if old != nil && old.certs != nil && old.cfg.TLS.CertFile == c.TLS.CertFile && old.cfg.TLS.KeyFile == c.TLS.KeyFile &&
		old.cfg.TLS.SelfSigned == c.TLS.SelfSigned && strings.Join(old.cfg.TLS.Names, ",") == strings.Join(c.TLS.Names, ",") {
		p.certs = old.certs
		return nil
	}
	certs, err := tlscert.New(tlscert.Config{CertFile: c.TLS.CertFile, KeyFile: c.TLS.KeyFile, SelfSigned: c.TLS.SelfSigned,
		Names: c.TLS.Names, IPs: certIPs(c), Field: "tls"}, s.stateDir, s.clock)
	if err != nil {
		return err
	}
	p.certs = certs
	return nil
}

// certIPs are the addresses Hearth's own certificate is good for:
// loopback, the machine's (link-local aside) and the listen hosts.
func certIPs(c Config) []netip.Addr {
	set := map[netip.Addr]bool{netip.MustParseAddr("127.0.0.1"): true, netip.IPv6Loopback(): true}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLinkLocalUnicast() {
				set[p.Addr().Unmap()] = true
			}
		}
	}
	for _, a := range append(append([]string{}, c.ListenTLS...), c.ListenHTTPS...) {
		if ap, err := netip.ParseAddrPort(a); err == nil && !ap.Addr().IsUnspecified() {
			set[ap.Addr().Unmap()] = true
		}
	}
	out := make([]netip.Addr, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	return out
}

// tlsConfig is the encrypted listeners' TLS configuration: the certificate
// of the pipeline in force, TLS 1.2 at least, ALPN as the protocol needs.
func (s *Server) tlsConfig(alpn ...string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: alpn,
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := s.pipe.Load().certs; c != nil {
				return c.GetCertificate(h)
			}
			return nil, errors.New("no certificate configured")
		},
	}
}

// bindEncrypted binds addr over TCP for an encrypted listener.
func bindEncrypted(proto Protocol, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		key := "listen_tls"
		if proto == ProtoDoH {
			key = "listen_https"
		}
		return nil, fmt.Errorf("%s: %w", key, bindError("tcp", addr, err))
	}
	return ln, nil
}

// startEncrypted starts the listener for key on its bound socket. Called
// with s.mu held.
func (s *Server) startEncrypted(key string, proto Protocol, ln net.Listener) {
	tcfg := s.pipe.Load().cfg.TLS
	idle := func() time.Duration { return s.idleTimeout() }
	l := &encListener{proto: proto}
	switch proto {
	case ProtoDoT:
		l.tl = newTLSListener(ln, s.tlsConfig("dot"), tcfg.MaxConnections, &s.enc[proto], true)
		l.dot = &dns.Server{Listener: l.tl, Net: "tcp-tls", Handler: dotHandler{s}, MsgAcceptFunc: acceptQuery,
			ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: idle,
			// A phone keeps its DoT connection: no cap on the queries one
			// connection may ask (miekg/dns closes after 128 by default,
			// and each new connection costs a handshake).
			MaxTCPQueries: -1}
		started := make(chan struct{})
		l.dot.NotifyStartedFunc = func() { close(started) }
		go func() {
			if err := l.dot.ActivateAndServe(); err != nil {
				s.log.Error().Err(err).Str("listen_tls", ln.Addr().String()).Msg("DNS-over-TLS listener stopped")
			}
		}()
		<-started
	case ProtoDoH:
		l.tl = newTLSListener(ln, s.tlsConfig("h2", "http/1.1"), tcfg.MaxConnections, &s.enc[proto], false)
		l.doh = s.newDoHServer(l.tl, idle())
		go func() {
			if err := l.doh.Serve(l.tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error().Err(err).Str("listen_https", ln.Addr().String()).Msg("DNS-over-HTTPS listener stopped")
			}
		}()
	}
	s.encs[key] = l
	s.log.Info().Str("listen", ln.Addr().String()).Str("protocol", proto.String()).Msg("listening for encrypted DNS")
}

// idleTimeout is how long a quiet encrypted connection is kept.
func (s *Server) idleTimeout() time.Duration {
	if d := s.pipe.Load().cfg.TLS.IdleTimeout; d > 0 {
		return d
	}
	return 30 * time.Second
}

// stopEncrypted shuts down every encrypted listener whose key is not in
// keep. Called with s.mu held.
func (s *Server) stopEncrypted(ctx context.Context, keep map[string]bool) error {
	var errs []error
	for key, l := range s.encs {
		if keep[key] {
			continue
		}
		delete(s.encs, key)
		if l.dot != nil {
			errs = append(errs, l.dot.ShutdownContext(ctx))
		} else {
			err := l.doh.Shutdown(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				err = l.doh.Close()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startAllEncrypted binds and starts every configured encrypted listener
// (Start). Called with s.mu held.
func (s *Server) startAllEncrypted() error {
	for key, e := range s.pipe.Load().cfg.encAddrs() {
		ln, err := bindEncrypted(e.proto, e.addr)
		if err != nil {
			return err
		}
		s.startEncrypted(key, e.proto, ln)
	}
	return nil
}

// bindNewEncrypted binds the encrypted addresses of cfg not yet listening,
// for Prepare. Called with s.mu held.
func (s *Server) bindNewEncrypted(cfg Config, pr *Prepared) error {
	for key, e := range cfg.encAddrs() {
		if s.encs[key] != nil || pr.encBound[key] != nil {
			continue
		}
		ln, err := bindEncrypted(e.proto, e.addr)
		if err != nil {
			return err
		}
		pr.encBound[key] = ln
	}
	return nil
}

// commitEncrypted starts pr's new encrypted listeners and stops those no
// longer configured. Called with s.mu held, after the new pipeline is in
// force.
func (s *Server) commitEncrypted(pr *Prepared) {
	addrs := pr.pipe.cfg.encAddrs()
	for key, ln := range pr.encBound {
		s.startEncrypted(key, addrs[key].proto, ln)
	}
	keep := make(map[string]bool, len(addrs))
	for key := range addrs {
		keep[key] = true
	}
	_ = s.stopEncrypted(context.Background(), keep)
}

// EncryptedAddrs returns the bound addresses of the DoT (ProtoDoT) or DoH
// (ProtoDoH) listeners, in configuration order (useful with port 0).
func (s *Server) EncryptedAddrs(proto Protocol) []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg := s.pipe.Load().cfg
	list := cfg.ListenTLS
	if proto == ProtoDoH {
		list = cfg.ListenHTTPS
	}
	var out []net.Addr
	for _, a := range list {
		if l := s.encs[encKey(proto, a)]; l != nil {
			out = append(out, l.tl.Addr())
		}
	}
	return out
}

// EncryptedStat is one encrypted protocol's connection figures.
type EncryptedStat struct {
	Proto             Protocol
	Accepted          int64 // connections whose TLS handshake succeeded, since start
	Open              int64 // connections open now (handshaking included)
	HandshakeFailures int64 // handshakes that failed or timed out, since start
}

// encryptedStats are the figures of DoT and DoH, and when the certificate
// served now ends (zero without encrypted listeners).
func (s *Server) encryptedStats() ([]EncryptedStat, time.Time) {
	var out []EncryptedStat
	for _, p := range []Protocol{ProtoDoT, ProtoDoH} {
		c := &s.enc[p]
		out = append(out, EncryptedStat{Proto: p, Accepted: c.accepted.Load(), Open: c.open.Load(), HandshakeFailures: c.handshakes.Load()})
	}
	var end time.Time
	if c := s.pipe.Load().certs; c != nil {
		end = c.Leaf().NotAfter
	}
	return out, end
}

// dotHandler serves DoT queries: ServeDNS with the device ID from the
// connection's server name.
type dotHandler struct{ s *Server }

func (h dotHandler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	id := ""
	if cs, ok := w.(dns.ConnectionStater); ok {
		if st := cs.ConnectionState(); st != nil {
			id = deviceIDFromSNI(st.ServerName, h.s.pipe.Load().cfg.TLS.Names)
		}
	}
	h.s.handle(w, req, ProtoDoT, id)
}
