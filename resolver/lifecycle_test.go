package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

func TestReloadSwapsUpstreamsAndRejectsBadConfig(t *testing.T) {
	t.Parallel()
	up1, up2 := dnstest.NewServer(t), dnstest.NewServer(t)
	cfg := testConfig("udp://" + up1.Addr)
	s, addr := start(t, cfg, nil)
	ask(t, addr, "one.example.", dns.TypeA)

	bad := cfg
	bad.Upstreams.Servers = nil
	bad.Cache.MinTTL = -time.Second
	err := s.Reload(bad)
	if err == nil || !strings.Contains(err.Error(), "upstreams.servers") || !strings.Contains(err.Error(), "cache.min_ttl") {
		t.Fatalf("bad reload: %v, want errors naming upstreams.servers and cache.min_ttl", err)
	}
	ask(t, addr, "two.example.", dns.TypeA)
	if up1.Queries() != 2 {
		t.Errorf("after a rejected reload, the old upstream should still serve")
	}

	good := cfg
	good.Upstreams.Servers = []string{"udp://" + up2.Addr}
	if err := s.Reload(good); err != nil {
		t.Fatal(err)
	}
	ask(t, addr, "three.example.", dns.TypeA)
	ask(t, addr, "one.example.", dns.TypeA) // still cached: the cache outlives the reload
	if up2.Queries() != 1 || up1.Queries() != 2 {
		t.Errorf("after reload: old upstream %d, new %d queries, want 2 and 1", up1.Queries(), up2.Queries())
	}
}

func TestReloadMovesListeners(t *testing.T) {
	t.Parallel()
	up := dnstest.NewServer(t)
	s, addr := start(t, testConfig("udp://"+up.Addr), nil)
	cfg := testConfig("udp://" + up.Addr)
	cfg.Listen = []string{"127.0.0.1:0", "127.0.0.2:0"}
	if err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	addrs := s.Addrs()
	if len(addrs) != 2 {
		t.Fatalf("listening on %v, want two addresses", addrs)
	}
	for _, a := range addrs {
		ask(t, a.String(), "example.com.", dns.TypeA)
	}
	_ = addr
	// A listen address that cannot be bound rejects the reload as a whole.
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg.Listen = append(cfg.Listen, busy.LocalAddr().String())
	if err := s.Reload(cfg); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("reload onto a busy port: %v", err)
	}
	for _, a := range addrs {
		ask(t, a.String(), "example.com.", dns.TypeA)
	}
}

// Serial: it checks that nothing answers on the closed port afterwards,
// which a parallel test binding 127.0.0.1:0 could take over.
func TestShutdownFinishesInFlightQueries(t *testing.T) {
	up := dnstest.NewServer(t)
	up.SetDelay(300 * time.Millisecond)
	s, err := New(testConfig("udp://"+up.Addr), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addrs()[0].String()
	done := make(chan *dns.Msg, 1)
	go func() { done <- ask(t, addr, "slow.example.", dns.TypeA) }()
	eventually(t, "query at upstream", func() bool { return up.Queries() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("in-flight query got %v", r)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("in-flight query was not answered")
	}
	if _, _, err := (&dns.Client{Timeout: 200 * time.Millisecond}).Exchange(new(dns.Msg).SetQuestion("x.", dns.TypeA), addr); err == nil {
		t.Errorf("server still answers after shutdown")
	}
}

func TestBindErrorsExplainTheFix(t *testing.T) {
	t.Parallel()
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig("udp://127.0.0.1:1")
	cfg.Listen = []string{busy.LocalAddr().String()}
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "systemd-resolved") {
		t.Errorf("busy port: %v", err)
	}
	perm := bindError("udp", ":53", fmt.Errorf("wrapped: %w", syscall.EACCES))
	if !strings.Contains(perm.Error(), "--listen 127.0.0.1:5353") || !strings.Contains(perm.Error(), "cap_net_bind_service") {
		t.Errorf("permission error: %v", perm)
	}
	if !errors.Is(bindError("tcp", ":1", syscall.ECONNREFUSED), syscall.ECONNREFUSED) {
		t.Errorf("other bind errors should wrap the cause")
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.AllowClients = []string{"192.168.1.0/33"}
	cfg.UDPSize = 100
	_, err := New(cfg, Options{})
	for _, key := range []string{"upstreams.servers", "allow_clients", "udp_size"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}

func TestListensOnIPv6(t *testing.T) {
	t.Parallel()
	if ln, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	} else {
		ln.Close()
	}
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	cfg.Listen = []string{"[::1]:0", "127.0.0.1:0"}
	s, _ := start(t, cfg, nil)
	addrs := s.Addrs()
	if len(addrs) != 2 || !strings.HasPrefix(addrs[0].String(), "[::1]:") {
		t.Fatalf("listening on %v", addrs)
	}
	for _, o := range [][]qopt{nil, {overTCP()}} {
		if r := ask(t, addrs[0].String(), "six.example.", dns.TypeAAAA, o...); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("over IPv6: %v", r)
		}
	}
}
