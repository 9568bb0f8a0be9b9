package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// 3. The upstreams.

// upstreamAnswer is how one upstream answered the doctor.
type upstreamAnswer struct {
	first, again time.Duration // the first exchange (connection set-up included) and the next
	rcode        int
	err          error
}

func (a upstreamAnswer) good() bool {
	return a.err == nil && a.rcode != dns.RcodeServerFailure && a.rcode != dns.RcodeRefused
}

func (d *Doctor) checkUpstreams(ctx context.Context, cfg *config.Config) {
	uc := cfg.Upstreams
	var boot *upstream.Bootstrap
	if len(uc.Bootstrap) > 0 {
		var err error
		if boot, err = upstream.NewBootstrap(uc.Bootstrap, uc.Timeout); err != nil {
			d.report(Finding{Status: Fail, Text: fmt.Sprintf("upstreams.bootstrap: %v", err),
				Fix: "list plain IP addresses of DNS servers, e.g. 9.9.9.9"})
			return
		}
	}
	opts := upstream.Options{Logger: zerolog.Nop(), RootCAs: d.rootCAs}
	answers := make([]upstreamAnswer, len(uc.Servers))
	var wg sync.WaitGroup
	for i, s := range uc.Servers {
		wg.Go(func() { answers[i] = askUpstream(ctx, s, opts, boot, uc.Timeout) })
	}
	wg.Wait()
	good := 0
	for _, a := range answers {
		if a.good() {
			good++
		}
	}
	for i, s := range uc.Servers {
		d.report(upstreamFinding(s, answers[i], good, d.slow))
	}
}

// askUpstream asks server for doctorProbeName over its own protocol, and
// once more when it answered well, to time it without the connection set-up.
func askUpstream(ctx context.Context, server string, opts upstream.Options, boot *upstream.Bootstrap, timeout time.Duration) upstreamAnswer {
	up, err := upstream.New(server, opts, boot)
	if err != nil {
		return upstreamAnswer{err: err}
	}
	if c, ok := up.(upstream.Closer); ok {
		defer c.Close()
	}
	ask := func() (time.Duration, int, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		q := new(dns.Msg).SetQuestion(doctorProbeName, dns.TypeA)
		q.SetEdns0(1232, false)
		start := time.Now()
		r, err := up.Exchange(ctx, q)
		took := time.Since(start)
		var ne net.Error
		switch {
		case err != nil && (ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()):
			return took, 0, fmt.Errorf("no answer within %v", timeout)
		case err != nil:
			return took, 0, err
		}
		return took, r.Rcode, nil
	}
	var a upstreamAnswer
	if a.first, a.rcode, a.err = ask(); a.good() {
		a.again, a.rcode, a.err = ask()
	}
	return a
}

func upstreamFinding(server string, a upstreamAnswer, good int, slow time.Duration) Finding {
	title := "upstream " + server
	if a.good() {
		f := Finding{Status: OK, Text: fmt.Sprintf("%s: answered in %s", title, millis(a.again))}
		if a.first > a.again+10*time.Millisecond {
			f.Text += fmt.Sprintf(" (the first time, connecting: %s)", millis(a.first))
		}
		if a.again > slow {
			f.Status = Warn
			f.Text += fmt.Sprintf(": slow, over %s", millis(slow))
			f.Fix = "choose a server closer to you, or list several with strategy: fastest (Hearth then uses the quickest)"
		}
		return f
	}
	f := Finding{Status: Fail}
	if good > 0 {
		f.Status = Warn
	}
	proto, port := "DNS", "53"
	switch {
	case strings.HasPrefix(server, "tls://"):
		proto, port = "DNS-over-TLS", "853"
	case strings.HasPrefix(server, "https://"):
		proto, port = "DNS-over-HTTPS", "443"
	}
	if u, err := url.Parse(server); err == nil && u.Port() != "" {
		port = u.Port()
	} else if _, p, err := net.SplitHostPort(server); err == nil {
		port = p // "9.9.9.9:5353"
	}
	proto += " (port " + port + ")"
	switch {
	case a.err != nil:
		f.Text = fmt.Sprintf("%s: %v", title, a.err)
		f.Fix = "check that this machine reaches the internet (`ping -c3 9.9.9.9`) and that the router or a firewall lets " +
			proto + " out; check the address in upstreams.servers"
		if strings.Contains(a.err.Error(), "certificate") {
			f.Fix = "the server's certificate was not accepted: a wrong clock makes every certificate look invalid (see the clock check); " +
				"otherwise check the address in upstreams.servers"
		}
	case a.rcode == dns.RcodeRefused:
		f.Text = fmt.Sprintf("%s: refused to answer %s", title, strings.TrimSuffix(doctorProbeName, "."))
		f.Fix = "this server does not serve this machine (it may serve only its own network or customers): choose another"
	default:
		f.Text = fmt.Sprintf("%s: answered %s for %s", title, dns.RcodeToString[a.rcode], strings.TrimSuffix(doctorProbeName, "."))
		f.Fix = "the server could not resolve a well-known name: it may be having trouble, or it checks DNSSEC and this " +
			"machine's clock is wrong (see the clock check); try again later, or choose another"
	}
	if good > 0 {
		f.Fix += "\nthe other upstreams answer, and Hearth uses them meanwhile"
	} else {
		f.Fix += "\nno upstream answers: names not in the cache cannot be resolved"
	}
	return f
}

// millis is a duration in whole milliseconds: "23 ms".
func millis(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
