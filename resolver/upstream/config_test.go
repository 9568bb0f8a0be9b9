package upstream

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Config{Servers: []string{"9.9.9.9", "tls://1.1.1.1"}, Timeout: time.Second}
	if errs := ok.Validate("upstreams"); len(errs) != 0 {
		t.Fatalf("valid config: %v", errs)
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // "key: substring", one per expected error
	}{
		{"empty", Config{Timeout: time.Second}, []string{"upstreams.servers: at least one"}},
		{"bad server", Config{Servers: []string{"9.9.9.9", "quic://x"}, Timeout: time.Second},
			[]string{`upstreams.servers: entry 1: "quic://x": unknown scheme`}},
		{"strategy", Config{Servers: []string{"9.9.9.9"}, Strategy: "random", Timeout: time.Second},
			[]string{`upstreams.strategy: "random"`}},
		{"zero timeout", Config{Servers: []string{"9.9.9.9"}}, []string{"upstreams.timeout: 0s"}},
		{"long timeout", Config{Servers: []string{"9.9.9.9"}, Timeout: time.Minute}, []string{"upstreams.timeout: 1m0s"}},
		{"bootstrap", Config{Servers: []string{"9.9.9.9"}, Timeout: time.Second, Bootstrap: []string{"9.9.9.9:53", "dns.google"}},
			[]string{"upstreams.bootstrap: entry 1"}},
		{"no bootstrap", Config{Servers: []string{"tls://dns.quad9.net", "https://dns.quad9.net/dns-query"}, Timeout: time.Second},
			[]string{"upstreams.bootstrap: empty, but"}},
		{"all at once", Config{Strategy: "x", Timeout: -1}, []string{"upstreams.servers", "upstreams.strategy", "upstreams.timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.cfg.Validate("upstreams")
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tt.want))
			}
			for i, err := range errs {
				var fe *fielderr.Error
				if !errors.As(err, &fe) {
					t.Errorf("error %v is not a *fielderr.Error", err)
				}
				if !strings.Contains(err.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tt.want[i])
				}
			}
		})
	}
}

func TestNewGroupErrors(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{Servers: []string{"tls://dns.test"}},
		{Servers: []string{"bad://x"}},
		{Servers: []string{"127.0.0.1"}, Strategy: "x"},
		{Servers: []string{"127.0.0.1"}, Bootstrap: []string{"host"}},
	} {
		if g, err := NewGroup(cfg, Options{}); err == nil {
			g.Close()
			t.Errorf("NewGroup(%+v): no error", cfg)
		}
	}
}
