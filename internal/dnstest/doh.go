package dnstest

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const dnsMessage = "application/dns-message"

// NewDoH starts an RFC 8484 DNS-over-HTTPS server (POST and GET) over HTTP/2
// with a certificate from ca valid for "dns.test", "localhost" and 127.0.0.1.
// Its URL is "https://127.0.0.1:PORT/dns-query". In Drop mode a request gets
// no answer until its context ends. It stops when the test ends.
func NewDoH(t testing.TB, ca *CA) *Server {
	t.Helper()
	s := newServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dnstest: listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	s.URL = "https://" + s.Addr + "/dns-query"

	mux := http.NewServeMux()
	mux.HandleFunc("/dns-query", s.serveHTTP)
	cfg := ca.ServerTLS(t, serverNames...)
	cfg.NextProtos = []string{"h2", "http/1.1"}
	hs := &http.Server{
		Handler:           mux,
		TLSConfig:         cfg,
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := hs.ServeTLS(countingListener{ln, &s.conns}, "", "")
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("dnstest: doh serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		s.close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
		}
		<-done
	})
	return s
}

// serveHTTP is the RFC 8484 endpoint.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.protoMajor.Store(int32(r.ProtoMajor))
	var wire []byte
	switch r.Method {
	case http.MethodPost:
		if r.Header.Get("Content-Type") != dnsMessage {
			http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, dns.MaxMsgSize+1))
		if err != nil || len(b) > dns.MaxMsgSize {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		wire = b
	case http.MethodGet:
		b, err := base64.RawURLEncoding.DecodeString(r.URL.Query().Get("dns"))
		if err != nil {
			http.Error(w, "bad dns parameter", http.StatusBadRequest)
			return
		}
		wire = b
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := new(dns.Msg)
	if err := q.Unpack(wire); err != nil {
		http.Error(w, "bad dns message", http.StatusBadRequest)
		return
	}
	reply := s.answer(r.Context(), q, false)
	if reply == nil {
		// Dropped (or handler chose not to answer): abort the stream.
		panic(http.ErrAbortHandler)
	}
	out, err := reply.Pack()
	if err != nil {
		http.Error(w, "pack: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", dnsMessage)
	w.Header().Set("Cache-Control", "max-age=0")
	_, _ = w.Write(out)
}
