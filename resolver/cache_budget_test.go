package resolver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// largeTXT answers TXT queries for names under "big." with about size bytes
// of TXT records (255-byte strings): over UDP the test upstream truncates
// them (TC=1) and Hearth asks again over TCP.
func largeTXT(q *dns.Msg, size int) *dns.Msg {
	r := new(dns.Msg)
	r.SetReply(q)
	chunk := strings.Repeat("x", 250)
	for n := 0; n < size; n += len(chunk) + 12 {
		r.Answer = append(r.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT,
			Class: dns.ClassINET, Ttl: 3600}, Txt: []string{chunk}})
	}
	return r
}

// TestCacheByteBudget: many large answers (TC over UDP, then TCP) keep the
// bytes the cache holds under cache.max_mb, while it is still used to the
// full; an answer over cache.max_answer_bytes (a 56 KB flood) is passed on
// but never stored.
func TestCacheByteBudget(t *testing.T) {
	up, s, addr, _ := upstreamAndServer(t, func(c *Config) {
		c.Cache.Size = 100000 // the entry bound is not what stops it
		c.Cache.MaxMB = 1
		c.Cache.MaxAnswerBytes = 8192
	})
	up.SetHandler(func(q *dns.Msg) *dns.Msg { return largeTXT(q, 6000) })

	const budget = 1 << 20
	for i := range 250 { // 250 x ~6 KB: half as much again as the budget
		r := ask(t, addr, fmt.Sprintf("n%d.big.", i), dns.TypeTXT, overTCP(), withEDNS(1232, false))
		if len(r.Answer) < 20 {
			t.Fatalf("answer %d has %d records, want the whole large answer", i, len(r.Answer))
		}
		if st := s.Stats().Cache; st.Bytes > budget {
			t.Fatalf("after %d large answers the cache holds %d bytes, over its budget of %d", i+1, st.Bytes, budget)
		}
	}
	st := s.Stats().Cache
	if st.Bytes < budget*3/4 || st.Entries < 100 || st.Entries >= 250 || st.MaxBytes != budget {
		t.Errorf("cache stats %+v; want it nearly full (over 768 KiB, 100-249 entries) and bounded by 1 MiB", st)
	}
	if n := int64(p(s).cache.len()); n != st.Entries {
		t.Errorf("the cache holds %d entries, its count says %d", n, st.Entries)
	}

	// A 56 KB answer is answered, never cached: asked twice, it is asked
	// upstream twice, and the cache's bytes do not move.
	up.SetHandler(func(q *dns.Msg) *dns.Msg { return largeTXT(q, 56000) })
	before, queries := s.Stats().Cache, up.Queries()
	for range 2 {
		if r := ask(t, addr, "flood.big.", dns.TypeTXT, overTCP()); len(r.Answer) < 200 {
			t.Fatalf("56 KB answer came back with %d records", len(r.Answer))
		}
	}
	if after := s.Stats().Cache; after.Bytes != before.Bytes || after.Entries != before.Entries {
		t.Errorf("a 56 KB answer changed the cache from %+v to %+v; want it not stored", before, after)
	}
	if n := up.Queries() - queries; n < 4 { // UDP (TC) then TCP, twice
		t.Errorf("the upstream saw %d queries for the 56 KB answer asked twice, want 4 (not cached)", n)
	}
}

func p(s *Server) *pipeline { return s.pipe.Load() }
