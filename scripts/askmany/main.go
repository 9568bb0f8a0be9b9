// askmany: asks a DNS server for -n distinct TXT names b<size>-<i>.big.example
// (scripts/responder answers each with <size> bytes of text), over UDP and
// again over TCP when the answer is truncated, as a stub resolver does;
// for scripts/cachebytes.sh (dnsperf cannot read answers this large over TCP).
// Loopback only.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

func main() {
	server := flag.String("server", "127.0.0.1:53", "server to ask (loopback)")
	n := flag.Int("n", 12000, "distinct names")
	size := flag.Int("size", 56000, "bytes of text per answer")
	workers := flag.Int("c", 8, "queries at once")
	flag.Parse()
	if h, _, err := net.SplitHostPort(*server); err != nil || !net.ParseIP(h).IsLoopback() {
		log.Fatalf("-server %s: a loopback address and port, please", *server)
	}
	var next, ok, tc, failed, bytes atomic.Int64
	udp := &dns.Client{Net: "udp", Timeout: 5 * time.Second, UDPSize: 1232}
	tcp := &dns.Client{Net: "tcp", Timeout: 10 * time.Second}
	start := time.Now()
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(*n); i = next.Add(1) - 1 {
				m := new(dns.Msg)
				m.SetQuestion(fmt.Sprintf("b%d-%d.big.example.", *size, i), dns.TypeTXT)
				m.SetEdns0(1232, false)
				r, _, err := udp.Exchange(m, *server)
				if err == nil && r.Truncated {
					tc.Add(1)
					r, _, err = tcp.Exchange(m, *server)
				}
				if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
					failed.Add(1)
					continue
				}
				ok.Add(1)
				bytes.Add(int64(r.Len()))
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d answered (%d truncated over UDP, then TCP), %d failed, %.0f MB received in %.1f s\n",
		ok.Load(), tc.Load(), failed.Load(), float64(bytes.Load())/1e6, time.Since(start).Seconds())
}
