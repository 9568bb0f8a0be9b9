// Package resolvertest starts Hearth's resolver on loopback for the tests of
// other packages (the dashboard, the commands): a real server, stopped when
// the test ends.
package resolvertest

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// Config is a configuration for tests: a free port on 127.0.0.1, answering
// 127.0.0.0/8, the one upstream at upstreamAddr (host:port, plain DNS), and
// a small cache.
func Config(upstreamAddr string) resolver.Config {
	return resolver.Config{
		Listen:       []string{"127.0.0.1:0"},
		AllowClients: []string{"127.0.0.0/8"},
		UDPSize:      1232,
		Upstreams:    upstream.Config{Servers: []string{"udp://" + upstreamAddr}, Strategy: "ordered", Timeout: time.Second},
		Cache:        resolver.CacheConfig{Size: 1000, MaxTTL: time.Hour, NegativeTTL: time.Hour},
	}
}

// Start builds and starts a resolver, shut down at the end of the test.
// Its address is srv.Addrs()[0].
func Start(t testing.TB, cfg resolver.Config, opts resolver.Options) *resolver.Server {
	t.Helper()
	srv, err := resolver.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}
