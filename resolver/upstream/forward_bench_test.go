package upstream

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fastResponder is the smallest UDP DNS server: it answers every query
// (one question, any name) with one A record 192.0.2.1 for that name, echoing
// the question's case and any OPT record is dropped. It allocates nothing
// per query, so a benchmark's allocations are the client's. It runs until
// the test ends.
func fastResponder(tb testing.TB) string {
	tb.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			out, ok := answerA(buf[:n])
			if ok {
				_, _ = pc.WriteToUDPAddrPort(out, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// answerA turns the query in b into its reply in place: QR, RA, one A
// record pointing at the question's name, the additional section dropped.
func answerA(b []byte) ([]byte, bool) {
	if len(b) < 12 || b[4] != 0 || b[5] != 1 {
		return nil, false
	}
	i := 12
	for i < len(b) && b[i] != 0 {
		i += int(b[i]) + 1
	}
	i += 5 // the root label, type, class
	if i > len(b) {
		return nil, false
	}
	b = b[:i]
	b[2] |= 0x80 // QR
	b[3] = 0x80  // RA, rcode 0
	b[6], b[7], b[8], b[9], b[10], b[11] = 0, 1, 0, 0, 0, 0
	b = append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1)
	return b, true
}

// BenchmarkForward is one plain UDP upstream answering from loopback: the
// forwarding path of a cache miss (pack, send, read, match, unpack), many
// queries in flight at once. ns/op is indicative on a shared machine;
// allocs/op and B/op are exact.
func BenchmarkForward(b *testing.B) {
	up, err := New("udp://"+fastResponder(b), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer up.(Closer).Close()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8) // queries in flight per CPU, as a busy resolver has
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		q := query("x.bench.example.", dns.TypeA)
		for pb.Next() {
			q.Question[0].Name = "n" + strconv.Itoa(int(n.Add(1)%1000)) + ".bench.example."
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			r, err := up.Exchange(ctx, q)
			cancel()
			if err != nil || len(r.Answer) != 1 {
				b.Errorf("%v %v", r, err)
				return
			}
		}
	})
}

// BenchmarkForwardSerial is one query at a time: the round trip's latency.
func BenchmarkForwardSerial(b *testing.B) {
	up, err := New("udp://"+fastResponder(b), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer up.(Closer).Close()
	q := query("www.bench.example.", dns.TypeA)
	b.ReportAllocs()
	for b.Loop() {
		r, err := up.Exchange(context.Background(), q)
		if err != nil || len(r.Answer) != 1 {
			b.Fatalf("%v %v", r, err)
		}
	}
}

// BenchmarkForwardGroup is the resolver's way in: a Group of one plain
// upstream (its per-attempt timeout and copy of the query included).
func BenchmarkForwardGroup(b *testing.B) {
	g, err := NewGroup(Config{Servers: []string{"udp://" + fastResponder(b)}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		q := query("x.bench.example.", dns.TypeA)
		for pb.Next() {
			q.Question[0].Name = "n" + strconv.Itoa(int(n.Add(1)%1000)) + ".bench.example."
			r, err := g.Exchange(context.Background(), q)
			if err != nil || len(r.Answer) != 1 {
				b.Errorf("%v %v", r, err)
				return
			}
		}
	})
}
