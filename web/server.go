package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
)

// Backend is what the dashboard asks of the running process beyond the
// policy engine: the lists and a configuration reload.
type Backend interface {
	// ListStatus reports on every list source.
	ListStatus() []blocklists.SourceStatus
	// RefreshLists downloads the lists now and applies them if changed.
	RefreshLists(ctx context.Context) error
	// Reload reads the configuration file again, as SIGHUP does; a bad
	// file is refused and the running configuration kept.
	RequestReload() error
	// LastReload is how the last reload went, whoever asked for it.
	LastReload() ReloadOutcome
}

// Options are what a Server serves.
type Options struct {
	Config   Config
	Engine   *policy.Engine
	Backend  Backend
	Journal  *journal.Journal // nil: the journal is off (no report, no log)
	Metrics  *Metrics         // nil: no /metrics
	Alerts   AlertsBackend    // nil: no alerts (GET /api/alerts says so)
	StateDir string           // admin.json, audit.jsonl
	// AllowClients are the networks that may connect, already resolved
	// (Config.AllowClients, or DNS's allow_clients when that is empty).
	AllowClients []netip.Prefix
	// HelpCountries choose the report's "where to get help".
	HelpCountries []string
	Catalogue     *blocklists.Catalogue
	Clock         clock.Clock
	Logger        zerolog.Logger
	Version       string
	ConfigFile    *configedit.File // hearth.yaml for the dashboard's edits; nil: none (read only)
	// EncryptedDNS is the running configuration's encrypted DNS, for the
	// Devices page's setup instructions; nil: none.
	EncryptedDNS func() EncryptedDNS
	// Shared is the status of state shared through Redis; nil, or false:
	// this Hearth runs alone.
	Shared func() (SharedState, bool)
}

// Server is the dashboard's HTTP server.
type Server struct {
	opts  Options
	auth  *Auth
	audit *audit
	svc   *service // what the API and the pages both ask
	hosts *hostCheck
	certs *certSource // nil: plain HTTP
	mux   *http.ServeMux
	srv   *http.Server
	ln    net.Listener
	done  chan error
}

//go:embed static
var staticFS embed.FS

// New builds the server (without listening).
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Catalogue == nil {
		opts.Catalogue = blocklists.Builtin()
	}
	if opts.Config.SessionTTL == 0 {
		opts.Config.SessionTTL = 12 * time.Hour
	}
	s := &Server{
		opts:  opts,
		auth:  NewAuth(opts.StateDir, opts.Clock, opts.Config.SessionTTL),
		audit: &audit{path: auditPath(opts.StateDir), log: opts.Logger},
		hosts: newHostCheck(opts.Config),
		mux:   http.NewServeMux(),
	}
	s.svc = &service{opts: &s.opts, audit: s.audit}
	s.routes()
	return s
}

// Handler returns the whole dashboard as one handler: client and Host
// checks, HTTPS redirect, security headers and panic recovery around the
// routes.
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

// Start listens on the configured address and serves in the background:
// with web.tls, HTTPS, and plain HTTP on the same port redirected to it.
func (s *Server) Start() error {
	if s.opts.Config.TLS.Enabled() {
		certs, err := newCertSource(s.opts.Config, s.opts.StateDir, s.opts.Clock)
		if err != nil {
			return fmt.Errorf("web: %w", err)
		}
		s.certs = certs
	}
	ln, err := net.Listen("tcp", s.opts.Config.Listen)
	if err != nil {
		return fmt.Errorf("web: %w (set web.listen to a free port, or web.enabled: false)", err)
	}
	s.ln = ln
	if _, err := s.PrepareSetup(); err != nil {
		s.opts.Logger.Error().Err(err).Msg("no setup code: set the password with `sudo hearth passwd`")
	}
	scheme := "http"
	if s.certs != nil {
		ln = newSniffListener(ln, s.certs.tlsConfig())
		scheme = "https"
	}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      3 * time.Minute, // a list refresh may take up to 2 minutes
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.srv.Serve(ln) }()
	ev := s.opts.Logger.Info().Str("addr", ln.Addr().String()).Str("scheme", scheme)
	if s.certs != nil {
		ev = ev.Str("sha256", s.certs.fingerprint())
	}
	ev.Msg("dashboard listening")
	return nil
}

// Addr is where the server listens (after Start).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Fingerprint is the SHA-256 fingerprint of the certificate served, "" for
// plain HTTP.
func (s *Server) Fingerprint() string {
	if s.certs == nil {
		return ""
	}
	return s.certs.fingerprint()
}

// Shutdown stops the server, letting requests in flight finish until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// guard refuses clients outside the allowed networks and Host headers the
// dashboard does not answer to (hosts.go), redirects plain HTTP to HTTPS
// when TLS is on, sets the security headers and turns a panic into a 500.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Logger.Error().Interface("panic", v).Str("path", r.URL.Path).Bytes("stack", debug.Stack()).Msg("dashboard handler panicked")
				writeError(w, http.StatusInternalServerError, "internal error (logged)")
			}
		}()
		if !s.clientAllowed(r) {
			http.Error(w, "Hearth's dashboard is only reachable from the home network (web.allow_clients).", http.StatusForbidden)
			return
		}
		if !s.hosts.allowed(r.Host) {
			refuseHost(w, r)
			return
		}
		if s.certs != nil && r.TLS == nil && r.Host == "" {
			http.Error(w, "Hearth's dashboard speaks HTTPS: use https://", http.StatusBadRequest)
			return
		}
		if s.certs != nil && r.TLS == nil {
			// 307 keeps the method and is not remembered by the browser (a
			// permanent one would outlive turning TLS off); the Host was
			// checked just above.
			http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: with no-referrer browsers send
		// "Origin: null" on the pages' own form posts, which the CSRF check
		// refuses. Nothing is sent to other sites either way.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) clientAllowed(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	for _, p := range s.opts.AllowClients {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
	// Fields maps a request field to what is wrong with it.
	Fields map[string]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}
