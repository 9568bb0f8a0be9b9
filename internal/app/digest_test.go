package app

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/journal"
)

// mailReceiver is go-smtp's server on loopback (a relay on the home
// network: no TLS, no login), handing over each message's data.
func mailReceiver(t *testing.T) (string, chan string) {
	t.Helper()
	got := make(chan string, 10)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{got: got}, nil }))
	srv.Domain = "mail.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), got
}

type relaySession struct{ got chan string }

func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *relaySession) Reset()                               {}
func (s *relaySession) Logout() error                        { return nil }
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.got <- string(b)
	return err
}

// mailParts reads a mail's subject and its text and HTML parts.
func mailParts(t *testing.T, data string) (subject, text, html string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v): want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			if p.Header.Get("Content-Transfer-Encoding") != "base64" {
				t.Fatalf("HTML part's encoding %q", p.Header.Get("Content-Transfer-Encoding"))
			}
			d, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(strings.ReplaceAll(string(b), "\r", ""), "\n", ""))
			if err != nil {
				t.Fatal(err)
			}
			html = string(d)
		}
	}
	return subject, text, html
}

// TestWeeklyDigest: alex-tablet tries random video chat on Sunday
// afternoon (real queries, journal on); the injected clock crosses
// "sun 18:00" in London: exactly one mail with the report in HTML for
// mail clients, one webhook summary with no HTML and no domain; a restart
// sends neither again, and the next minutes send nothing more.
func TestWeeklyDigest(t *testing.T) {
	hookURL, hooks := webhookReceiver(t)
	smtpAddr, mails := mailReceiver(t)
	up := upstreamAnswering(t, "192.0.2.1")
	dir := t.TempDir()
	yaml := testHead(dir, up.Addr) +
		"devices:\n  - {name: alex-tablet, ip: [127.0.0.2], group: kids}\n" +
		"groups:\n  kids:\n    rules:\n      - {block: [random-video-chat]}\n" +
		"journal: {enabled: true, flush_interval: 100ms}\nweb: {enabled: false}\n" +
		"alerts:\n  webhook: {url: \"" + hookURL + "\"}\n" +
		"  email: {smtp: \"" + smtpAddr + "\", tls: none, from: hearth@example.net, to: [parent@example.net]}\n" +
		"  dashboard: http://hearth.lan:8080\n  digest: \"sun 18:00\"\n" +
		"  events: {new_device: false, blocked: []}\n"
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 6, 17, 57, 30, 0, london)) // a Sunday
	h := startAt(t, dir, yaml, clk)
	addr := h.Addrs()[0].String()
	for _, name := range []string{"omegle.com", "chatroulette.com", "omegle.com"} {
		askFrom(t, "127.0.0.2", addr, name)
	}
	// The journal writes on its own (wall) clock: wait for the rows.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := h.journal.Rows(context.Background(), journal.Filter{Since: clk.Now().Add(-time.Hour), Until: clk.Now().Add(time.Hour), Action: journal.OnlyBlocked})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the journal has no rows")
		}
		time.Sleep(20 * time.Millisecond)
	}
	tick(t, clk, 2) // 17:59:30: not yet
	if a := drain(hooks); len(a) != 0 {
		t.Fatalf("sent before 18:00: %+v", a)
	}
	tick(t, clk, 1) // 18:00:30
	got := drain(hooks)
	if len(got) != 1 {
		t.Fatalf("%d webhook posts: %+v", len(got), got)
	}
	a := got[0]
	if a.Kind != alerts.KindDigest || a.HTML != "" || a.Link != "http://hearth.lan:8080/report" ||
		a.Title != "Hearth weekly report: 29 Nov to 6 Dec" ||
		!strings.HasPrefix(a.Text, "This week: alex-tablet 3 blocked.") ||
		!strings.Contains(a.Text, "The whole report: http://hearth.lan:8080/report") || strings.Contains(a.Text, "omegle.com") {
		t.Errorf("webhook summary: %+v", a)
	}
	var data string
	select {
	case data = <-mails:
	case <-time.After(10 * time.Second):
		t.Fatal("no mail")
	}
	subject, text, html := mailParts(t, data)
	if subject != a.Title || !strings.Contains(text, "alex-tablet 3 blocked") {
		t.Errorf("mail subject %q, text %q", subject, text)
	}
	for _, bad := range []string{"<svg", "<script", "<style", "class="} {
		if strings.Contains(html, bad) {
			t.Errorf("mail HTML has %q", bad)
		}
	}
	for _, want := range []string{"Hearth weekly report", "alex-tablet", "Random video chat", "Where to get help in", `style="`, `href="http://hearth.lan:8080/report"`} {
		if !strings.Contains(html, want) {
			t.Errorf("mail HTML lacks %q:\n%s", want, html)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	h = startAt(t, dir, yaml, clk)
	defer h.Shutdown(context.Background())
	tick(t, clk, 3)
	if a := drain(hooks); len(a) != 0 {
		t.Errorf("sent again after a restart: %+v", a)
	}
	select {
	case m := <-mails:
		t.Errorf("a second mail: %.300s", m)
	default:
	}
}

// TestDigestTime: the last scheduled time at or before now, in the
// household's zone, across the change to and from summer time.
func TestDigestTime(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	for _, c := range []struct {
		now, want time.Time
	}{
		{time.Date(2026, 12, 6, 18, 0, 0, 0, london), time.Date(2026, 12, 6, 18, 0, 0, 0, london)},
		{time.Date(2026, 12, 6, 17, 59, 0, 0, london), time.Date(2026, 11, 29, 18, 0, 0, 0, london)},
		{time.Date(2026, 12, 9, 9, 0, 0, 0, london), time.Date(2026, 12, 6, 18, 0, 0, 0, london)},
		// Summer time begins 29 March 2026, ends 25 October 2026 (Sundays).
		{time.Date(2026, 3, 29, 18, 30, 0, 0, london), time.Date(2026, 3, 29, 18, 0, 0, 0, london)},
		{time.Date(2026, 10, 25, 18, 30, 0, 0, london), time.Date(2026, 10, 25, 18, 0, 0, 0, london)},
	} {
		if got := digestTime(c.now.UTC(), time.Sunday, 18*time.Hour, london); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.now, got, c.want)
		}
	}
	sun := time.Date(2026, 12, 6, 18, 0, 0, 0, london)
	// A first start on Monday: last Sunday's digest is not sent.
	dir := t.TempDir()
	first, err := openDigestWatch(filepath.Join(dir, "first.json"), sun.Add(16*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first.due(sun.Add(17*time.Hour), time.Sunday, 18*time.Hour, london); ok {
		t.Error("a new installation sends the week before it started")
	}
	if first, _ = openDigestWatch(filepath.Join(dir, "first.json"), sun.Add(18*time.Hour)); !first.Since.Equal(sun.Add(16 * time.Hour)) {
		t.Errorf("first look not kept: %s", first.Since)
	}
	w, err := openDigestWatch(filepath.Join(dir, "d.json"), sun.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.due(sun.Add(25*time.Hour), time.Sunday, 18*time.Hour, london); ok {
		t.Error("due more than a day late")
	}
	at, ok := w.due(sun.Add(time.Minute), time.Sunday, 18*time.Hour, london)
	if !ok {
		t.Fatal("not due at 18:01")
	}
	if err := w.sent(at); err != nil {
		t.Fatal(err)
	}
	w2, err := openDigestWatch(w.path, sun)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w2.due(sun.Add(2*time.Minute), time.Sunday, 18*time.Hour, london); ok {
		t.Error("due again after it was sent (read back)")
	}
	if _, ok := w2.due(sun.Add(7*24*time.Hour), time.Sunday, 18*time.Hour, london); !ok {
		t.Error("next week's not due")
	}
}
