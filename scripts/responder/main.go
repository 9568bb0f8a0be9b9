// responder: a local upstream for the load scripts (scripts/flood.sh,
// cachebytes.sh, soak.sh). It answers every A query with 192.0.2.1 and
// every TXT query with about -txt bytes of text (in 255-byte strings), or
// N bytes for a name whose first label starts "bN-" (b7000-x.test), for any
// name, over UDP and TCP; a UDP answer larger than the client's size
// is truncated (TC), so the client asks again over TCP. SIGUSR1 switches
// it off (every query is dropped unanswered, as a dead server's) and on
// again, to make a flapping upstream. Loopback only.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/miekg/dns"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5301", "listen address (UDP and TCP)")
	txt := flag.Int("txt", 1024, "bytes of text in a TXT answer")
	ttl := flag.Uint("ttl", 3600, "TTL of the answers")
	flag.Parse()
	if h, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(h).IsLoopback() {
		log.Fatalf("-addr %s: a loopback address and port, please", *addr)
	}
	var texts sync.Map // size -> []string
	text := func(size int) []string {
		if v, ok := texts.Load(size); ok {
			return v.([]string)
		}
		var strs []string
		for left := size; left > 0; left -= 255 {
			strs = append(strs, strings.Repeat("x", min(left, 255)))
		}
		texts.Store(size, strs)
		return strs
	}
	var off atomic.Bool
	var answered, dropped atomic.Int64
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		if off.Load() || len(q.Question) != 1 {
			dropped.Add(1)
			return
		}
		m := new(dns.Msg)
		m.SetReply(q)
		m.Compress = true
		qq := q.Question[0]
		hdr := dns.RR_Header{Name: qq.Name, Class: dns.ClassINET, Rrtype: qq.Qtype, Ttl: uint32(*ttl)}
		switch qq.Qtype {
		case dns.TypeA:
			m.Answer = []dns.RR{&dns.A{Hdr: hdr, A: net.IPv4(192, 0, 2, 1).To4()}}
		case dns.TypeTXT:
			size := *txt
			if l, _, ok := strings.Cut(qq.Name, "-"); ok && len(l) > 1 && (l[0] == 'b' || l[0] == 'B') {
				if n, err := strconv.Atoi(l[1:]); err == nil && n > 0 && n <= 65000 {
					size = n
				}
			}
			m.Answer = []dns.RR{&dns.TXT{Hdr: hdr, Txt: text(size)}}
		}
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			size := dns.MinMsgSize
			if o := q.IsEdns0(); o != nil {
				size = max(int(o.UDPSize()), dns.MinMsgSize)
				m.SetEdns0(o.UDPSize(), false)
			}
			m.Truncate(size)
		}
		answered.Add(1)
		_ = w.WriteMsg(m)
	})
	for _, n := range []string{"udp", "tcp"} {
		s := &dns.Server{Addr: *addr, Net: n, Handler: h, UDPSize: 65535}
		go func() { log.Fatal(s.ListenAndServe()) }()
	}
	log.Printf("responder on %s pid %d, TXT answers of %d bytes", *addr, os.Getpid(), *txt)
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
	for s := range c {
		if s != syscall.SIGUSR1 {
			break
		}
		now := !off.Load()
		off.Store(now)
		fmt.Fprintf(os.Stderr, "responder off=%v (answered %d, dropped %d)\n", now, answered.Load(), dropped.Load())
	}
	log.Printf("answered %d, dropped %d", answered.Load(), dropped.Load())
}
