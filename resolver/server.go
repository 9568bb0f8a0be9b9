package resolver

import (
	"context"
	"crypto/x509"
	"net"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
)

// Options carries what the YAML file cannot.
type Options struct {
	Logger zerolog.Logger
	Clock  clock.Clock // nil means the system clock
	// RootCAs, when set, replaces the system roots for DoT/DoH upstreams (tests).
	RootCAs *x509.CertPool
}

// Server is Hearth's DNS server: listeners plus the query pipeline.
type Server struct{}

// New validates cfg and builds a server; nothing is bound until Start.
func New(cfg Config, opts Options) (*Server, error) { return &Server{}, nil }

// Start binds every listener (UDP and TCP per address) and starts serving.
// A bind error names the address and, for a privileged port, how to fix it.
func (s *Server) Start() error { return nil }

// Addrs returns the bound UDP addresses (useful with port 0).
func (s *Server) Addrs() []net.Addr { return nil }

// Reload swaps in a new configuration; on error the running one stays.
func (s *Server) Reload(cfg Config) error { return nil }

// Shutdown stops accepting queries and waits for in-flight ones to finish.
func (s *Server) Shutdown(ctx context.Context) error { return nil }
