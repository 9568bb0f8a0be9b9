package alerts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// email sends through SMTP submission: STARTTLS (587) or implicit TLS
// (465), AUTH PLAIN only over TLS, or a plain relay with tls: none.
type email struct {
	cfg   EmailConfig
	roots *x509.CertPool // nil: the system's
}

func (e *email) Name() string { return "email" }

func (e *email) Send(ctx context.Context, a Alert) error {
	host, port, _ := net.SplitHostPort(e.cfg.SMTP)
	mode := e.cfg.TLS
	if mode == TLSAuto || mode == "" {
		mode = TLSStartTLS
		if port == "465" {
			mode = TLSImplicit
		}
	}
	tlsCfg := &tls.Config{ServerName: host, RootCAs: e.roots, MinVersion: tls.VersionTLS12}
	d := net.Dialer{Timeout: sendTimeout}
	var conn net.Conn
	var err error
	if mode == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", e.cfg.SMTP)
	} else {
		conn, err = d.DialContext(ctx, "tcp", e.cfg.SMTP)
	}
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(sendTimeout))
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("hearth"); err != nil {
		return err
	}
	if mode == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New(e.cfg.SMTP + " does not offer STARTTLS: refusing to send in the clear (set alerts.email.tls: tls for port 465)")
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return err
		}
	}
	if e.cfg.Username != "" {
		// net/smtp's PlainAuth refuses to send the password without TLS.
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, host)); err != nil {
			return fmt.Errorf("login as %s: %w", e.cfg.Username, err)
		}
	}
	if err := c.Mail(e.cfg.From); err != nil {
		return err
	}
	for _, to := range e.cfg.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("%s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(message(e.cfg.From, e.cfg.To, a)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message is the mail: plain text, UTF-8, the alert's text and link.
func message(from string, to []string, a Alert) []byte {
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from)
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", a.Title))
	h("Date", a.Time.Format(time.RFC1123Z))
	h("Message-ID", "<"+a.ID+"@hearth.invalid>")
	h("MIME-Version", "1.0")
	h("X-Hearth-Kind", string(a.Kind))
	const boundary = "hearth-alternative-boundary"
	if a.HTML != "" {
		h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b.WriteString("\r\n--" + boundary + "\r\n")
	}
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	line := func(s string) { b.WriteString(strings.ReplaceAll(s, "\n", "\r\n") + "\r\n") }
	line(a.Text)
	for _, s := range a.Alerts {
		line("- " + s.Text)
	}
	if a.Link != "" {
		line("")
		line(a.Link)
	}
	if a.HTML != "" {
		// The HTML part in base64: its lines may pass SMTP's 998.
		b.WriteString("\r\n--" + boundary + "\r\n")
		h("Content-Type", "text/html; charset=utf-8")
		h("Content-Transfer-Encoding", "base64")
		b.WriteString("\r\n")
		enc := base64.StdEncoding.EncodeToString([]byte(a.HTML))
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n--" + boundary + "--\r\n")
	}
	return []byte(b.String())
}
