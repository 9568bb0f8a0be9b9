package alerts_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// request is one HTTP request a receiver got.
type request struct {
	Path   string
	Header http.Header
	Body   string
}

// httpReceiver is a real HTTP server on 127.0.0.1 standing in for ntfy and
// a webhook (Home Assistant): it keeps each request.
type httpReceiver struct {
	addr string
	got  chan request
	srv  *httptest.Server
}

// newHTTPReceiver reserves a loopback port; start listens on it (a test
// may start it late, as a server that was down).
func newHTTPReceiver(t *testing.T) *httpReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &httpReceiver{addr: addr, got: make(chan request, 100)}
}

func (r *httpReceiver) url(path string) string { return "http://" + r.addr + path }

func (r *httpReceiver) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		b, _ := io.ReadAll(q.Body)
		if q.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		r.got <- request{Path: q.URL.Path, Header: q.Header.Clone(), Body: string(b)}
		w.Write([]byte(`{"ok":true}`))
	}))
	r.srv.Listener.Close()
	r.srv.Listener = ln
	r.srv.Start()
	t.Cleanup(r.srv.Close)
}

// next waits (on the wall clock, bounded) for the next request.
func (r *httpReceiver) next(t *testing.T) request {
	t.Helper()
	select {
	case q := <-r.got:
		return q
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing arrived at %s", r.addr)
	}
	return request{}
}

// none checks that nothing more arrives for a short while.
func (r *httpReceiver) none(t *testing.T) {
	t.Helper()
	select {
	case q := <-r.got:
		t.Fatalf("unexpected request at %s: %s", r.addr, q.Body)
	case <-time.After(200 * time.Millisecond):
	}
}

// mail is one message the SMTP server took.
type mail struct {
	From, User string
	To         []string
	TLS        bool
	Data       string
}

// smtpReceiver is go-smtp's server on loopback, with STARTTLS (httptest's
// certificate for 127.0.0.1) and AUTH PLAIN.
type smtpReceiver struct {
	addr  string
	roots *x509.CertPool
	got   chan mail
}

func newSMTPReceiver(t *testing.T, user, pass string) *smtpReceiver {
	return startSMTP(t, user, pass, "starttls")
}

// startSMTP starts the server with mode "starttls" (offered on a plain
// connection), "tls" (implicit, as on port 465) or "none" (no TLS at all).
func startSMTP(t *testing.T, user, pass, mode string) *smtpReceiver {
	t.Helper()
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	cert := ts.TLS.Certificates[0]
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	ts.Close()
	r := &smtpReceiver{roots: roots, got: make(chan mail, 10)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{r: r, c: c, user: user, pass: pass}, nil
	}))
	srv.Domain = "mail.test"
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if mode == "starttls" {
		srv.TLSConfig = tlsCfg
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if mode == "tls" {
		ln = tls.NewListener(ln, tlsCfg)
	}
	r.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *smtpReceiver) next(t *testing.T) mail {
	t.Helper()
	select {
	case m := <-r.got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived")
	}
	return mail{}
}

type smtpSession struct {
	r          *smtpReceiver
	c          *smtp.Conn
	user, pass string
	m          mail
	mu         sync.Mutex
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.user || password != s.pass {
			return &smtp.SMTPError{Code: 535, Message: "bad login"}
		}
		s.m.User = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user != "" && s.m.User == "" {
		return smtp.ErrAuthRequired
	}
	s.m.From = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.To = append(s.m.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.m.TLS = s.c.TLSConnectionState()
	if _, ok := s.c.Conn().(*tls.Conn); ok {
		s.m.TLS = true
	}
	s.m.Data = strings.ReplaceAll(string(b), "\r\n", "\n")
	s.r.got <- s.m
	return nil
}

func (s *smtpSession) Reset()        { s.m = mail{User: s.m.User} }
func (s *smtpSession) Logout() error { return nil }
