package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/miekg/dns"
)

const dnsMessage = "application/dns-message"

// doh is DNS-over-HTTPS (RFC 8484): POST application/dns-message over
// HTTP/2, reusing connections through net/http's pool.
type doh struct {
	addr   address
	url    string
	client *http.Client
	tr     *http.Transport
}

var _ Upstream = (*doh)(nil)

func newDoH(a address, opts Options, boot *Bootstrap) (*doh, error) {
	dial, err := dialerFor(a, boot)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{ServerName: a.host, RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     60 * time.Second,
		// Find dead HTTP/2 connections by pinging idle ones, rather than by
		// timing out a query on them.
		HTTP2: &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 5 * time.Second},
		Proxy: nil, // never an HTTP proxy from the environment
	}
	return &doh{addr: a, url: a.url(), tr: tr, client: &http.Client{Transport: tr}}, nil
}

func (u *doh) String() string { return u.addr.raw }

// Exchange posts q with ID 0 (RFC 8484 4.1, for HTTP caches) and restores
// q's ID on the reply.
func (u *doh) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	wire, err := packWithID(q, 0)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.url, bytes.NewReader(wire))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", dnsMessage)
	req.Header.Set("Accept", dnsMessage)
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("doh: HTTP status %s", resp.Status)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != dnsMessage {
		return nil, fmt.Errorf("doh: content type %q, want %s", resp.Header.Get("Content-Type"), dnsMessage)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, dns.MaxMsgSize+1))
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("doh: read body: %w", err))
	}
	if len(body) > dns.MaxMsgSize {
		return nil, fmt.Errorf("doh: reply larger than %d bytes", dns.MaxMsgSize)
	}
	r := new(dns.Msg)
	if err := r.Unpack(body); err != nil {
		return nil, fmt.Errorf("doh: unpack reply: %w", err)
	}
	if r.Id != 0 || !matches(q, r) {
		return nil, fmt.Errorf("doh: %w", errMismatch)
	}
	r.Id = q.Id
	return r, nil
}

// Close closes idle connections.
func (u *doh) Close() { u.tr.CloseIdleConnections() }
