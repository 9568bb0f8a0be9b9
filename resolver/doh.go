package resolver

// DNS-over-HTTPS (RFC 8484): GET with ?dns= (base64url) and POST with an
// application/dns-message body, over HTTP/2 or HTTP/1.1, at /dns-query or
// /dns-query/{device-id}. Each query goes through handle, as a UDP or TCP
// one does (access control, rate limit, policy, cache); the answer carries
// Cache-Control max-age of its smallest TTL.

import (
	"encoding/base64"
	"encoding/binary"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DoHPath is where DNS-over-HTTPS is served; /dns-query/{device-id} names
// the device.
const DoHPath = "/dns-query"

func (s *Server) newDoHServer(tl *tlsListener, idle time.Duration) *http.Server {
	return &http.Server{
		Handler:           s.DoHHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       idle,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // clients that go away are not news
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				tl.closed()
			}
		},
	}
}

// DoHHandler serves DNS-over-HTTPS at DoHPath (and below it, with a device
// ID), for the listen_https listeners or another HTTPS server.
func (s *Server) DoHHandler() http.Handler { return dohHandler{s} }

type dohHandler struct{ s *Server }

func (h dohHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, DoHPath)
	switch {
	case !ok || id != "" && id[0] != '/':
		http.NotFound(rw, r)
		return
	case id != "":
		if id = deviceID(strings.Trim(id, "/")); id == "" {
			http.Error(rw, "the device ID after /dns-query/ may hold only letters a-z, digits and '-' (at most 40)", http.StatusBadRequest)
			return
		}
	case r.TLS != nil:
		id = deviceIDFromSNI(r.TLS.ServerName, h.s.pipe.Load().cfg.TLS.Names)
	}
	var wire []byte
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query().Get("dns")
		if q == "" {
			http.Error(rw, "a GET needs the query in ?dns= (base64url, RFC 8484)", http.StatusBadRequest)
			return
		}
		var err error
		if wire, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(q, "=")); err != nil {
			http.Error(rw, "?dns= is not base64url: "+err.Error(), http.StatusBadRequest)
			return
		}
	case http.MethodPost:
		if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "application/dns-message") {
			http.Error(rw, "a POST's Content-Type must be application/dns-message", http.StatusUnsupportedMediaType)
			return
		}
		var err error
		if wire, err = io.ReadAll(http.MaxBytesReader(rw, r.Body, dns.MaxMsgSize)); err != nil {
			http.Error(rw, "the body could not be read: "+err.Error(), http.StatusBadRequest)
			return
		}
	default:
		rw.Header().Set("Allow", "GET, POST")
		http.Error(rw, "DNS-over-HTTPS takes GET or POST", http.StatusMethodNotAllowed)
		return
	}
	if len(wire) < 12 {
		http.Error(rw, "not a DNS message: shorter than its header", http.StatusBadRequest)
		return
	}
	dh := dns.Header{Id: binary.BigEndian.Uint16(wire), Bits: binary.BigEndian.Uint16(wire[2:]), Qdcount: binary.BigEndian.Uint16(wire[4:]),
		Ancount: binary.BigEndian.Uint16(wire[6:]), Nscount: binary.BigEndian.Uint16(wire[8:]), Arcount: binary.BigEndian.Uint16(wire[10:])}
	req := new(dns.Msg)
	if err := req.Unpack(wire); err != nil {
		http.Error(rw, "not a DNS message: "+err.Error(), http.StatusBadRequest)
		return
	}
	w := &dohWriter{local: localAddr(r)}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		w.remote = net.TCPAddrFromAddrPort(ap)
	}
	switch acceptQuery(dh) {
	case dns.MsgIgnore:
		http.Error(rw, "a DNS response, not a query", http.StatusBadRequest)
		return
	case dns.MsgRejectNotImplemented:
		h.s.reply(w, req, dns.RcodeNotImplemented)
		h.s.obs.Query(ProtoDoH, ResultInvalid)
	case dns.MsgReject:
		h.s.reply(w, req, dns.RcodeFormatError)
		h.s.obs.Query(ProtoDoH, ResultInvalid)
	default:
		h.s.handle(w, req, ProtoDoH, id)
	}
	if w.out == nil {
		http.Error(rw, "no answer", http.StatusInternalServerError)
		return
	}
	hd := rw.Header()
	hd.Set("Content-Type", "application/dns-message")
	hd.Set("Content-Length", strconv.Itoa(len(w.out)))
	hd.Set("Cache-Control", "max-age="+strconv.FormatUint(uint64(minTTL(w.out)), 10))
	if r.Method != http.MethodHead {
		_, _ = rw.Write(w.out)
	}
}

func localAddr(r *http.Request) net.Addr {
	a, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return a
}

// dohWriter is the dns.ResponseWriter of one DoH query: it keeps the
// answer for the HTTP response. Its remote address is a *net.TCPAddr, so
// the pipeline treats it as a stream (no truncation).
type dohWriter struct {
	local, remote net.Addr
	out           []byte
}

func (w *dohWriter) LocalAddr() net.Addr  { return w.local }
func (w *dohWriter) RemoteAddr() net.Addr { return w.remote }
func (w *dohWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err == nil {
		w.out = b
	}
	return err
}
func (w *dohWriter) Write(b []byte) (int, error) {
	w.out = append(w.out[:0], b...)
	return len(b), nil
}
func (w *dohWriter) Close() error        { return nil }
func (w *dohWriter) TsigStatus() error   { return nil }
func (w *dohWriter) TsigTimersOnly(bool) {}
func (w *dohWriter) Hijack()             {}

// minTTL is the smallest TTL of the records in the answer and authority
// sections of a DNS message (RFC 8484 section 5.1), 0 when there are none
// or the message cannot be read.
func minTTL(msg []byte) uint32 {
	if len(msg) < 12 {
		return 0
	}
	qd, an, ns := binary.BigEndian.Uint16(msg[4:]), binary.BigEndian.Uint16(msg[6:]), binary.BigEndian.Uint16(msg[8:])
	off := 12
	for range qd {
		var err error
		if off, err = skipName(msg, off); err != nil || off+4 > len(msg) {
			return 0
		}
		off += 4
	}
	least, found := uint32(math.MaxUint32), false
	for range int(an) + int(ns) {
		var err error
		if off, err = skipName(msg, off); err != nil || off+10 > len(msg) {
			return 0
		}
		ttl := binary.BigEndian.Uint32(msg[off+4:])
		off += 10 + int(binary.BigEndian.Uint16(msg[off+8:]))
		if off > len(msg) {
			return 0
		}
		least, found = min(least, ttl), true
	}
	if !found {
		return 0
	}
	return least
}
