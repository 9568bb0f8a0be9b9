// Package upstream sends DNS queries to the servers that really resolve them:
// plain DNS over UDP/TCP, DNS-over-TLS and DNS-over-HTTPS, with bootstrap
// resolution of DoT/DoH host names and a Group that picks among several
// servers by recent latency.
package upstream

import (
	"context"
	"crypto/x509"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// Upstream exchanges one query with one server.
type Upstream interface {
	Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error)
	// String is the address as configured, for logs and metrics.
	String() string
}

// Options carries what the YAML file cannot.
type Options struct {
	Logger zerolog.Logger
	// RootCAs, when set, replaces the system roots for DoT/DoH (tests).
	RootCAs *x509.CertPool
}

// Validate returns every problem in the section; prefix is its key path.
// TODO(helper): real validation.
func (c Config) Validate(prefix string) []error { return nil }

// Group is the set of configured upstreams and the strategy choosing among them.
// TODO(helper): real implementation.
type Group struct{}

// NewGroup builds a Group from the configuration.
func NewGroup(cfg Config, opts Options) (*Group, error) { return &Group{}, nil }

// Exchange sends q following the group's strategy. It returns the first good
// answer, or the last answer/error when every server failed.
func (g *Group) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	return nil, context.Canceled
}

// Close releases idle connections.
func (g *Group) Close() {}
