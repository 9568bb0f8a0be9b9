package alerts

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Channel delivers an alert to the parent one way.
type Channel interface {
	Name() string // "webhook", "ntfy", "email": the spool's directory too
	Send(ctx context.Context, a Alert) error
}

// sendTimeout bounds one delivery attempt.
const sendTimeout = 30 * time.Second

// channelsOf makes the configured channels.
func channelsOf(c Config, roots *x509.CertPool) []Channel {
	hc := &http.Client{Timeout: sendTimeout}
	if roots != nil {
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	}
	var out []Channel
	if c.Webhook.URL != "" {
		out = append(out, &webhook{url: c.Webhook.URL, hc: hc})
	}
	if c.Ntfy.URL != "" {
		out = append(out, &ntfy{url: c.Ntfy.URL, token: c.Ntfy.Token, hc: hc})
	}
	if c.Email.SMTP != "" {
		out = append(out, &email{cfg: c.Email, roots: roots})
	}
	return out
}

// webhook POSTs the alert as JSON (Home Assistant's webhook trigger reads
// it as trigger.json).
type webhook struct {
	url string
	hc  *http.Client
}

func (w *webhook) Name() string { return "webhook" }

func (w *webhook) Send(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(w.hc, req)
}

// ntfy publishes to a topic as ntfy documents: the message as the body,
// and the Title, Tags, Priority and Click headers.
type ntfy struct {
	url, token string
	hc         *http.Client
}

func (n *ntfy) Name() string { return "ntfy" }

func (n *ntfy) Send(ctx context.Context, a Alert) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, strings.NewReader(a.Text))
	if err != nil {
		return err
	}
	req.Header.Set("Title", headerSafe(a.Title))
	req.Header.Set("Tags", ntfyTags(a.Kind))
	req.Header.Set("Priority", ntfyPriority(a.Kind))
	if a.Link != "" {
		req.Header.Set("Click", a.Link)
	}
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	return do(n.hc, req)
}

// ntfyTags are ntfy tags; those naming an emoji show as one.
func ntfyTags(k Kind) string {
	switch k {
	case KindBypass:
		return "warning,hearth,bypass"
	case KindUnwell:
		return "rotating_light,hearth,unwell"
	case KindNewDevice:
		return "iphone,hearth,new_device"
	case KindBudgetLow, KindBudgetSpent:
		return "hourglass,hearth," + string(k)
	case KindSilent:
		return "warning,hearth,silent_device"
	}
	return "house,hearth," + string(k)
}

func ntfyPriority(k Kind) string {
	switch k {
	case KindBypass, KindUnwell, KindSilent:
		return "high"
	case KindSummary, KindTest:
		return "default"
	}
	return "default"
}

// headerSafe keeps a header value on one line and in ASCII's printable
// range (ntfy also reads RFC 2047, but plain text is enough for ours).
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, s)
}

// do sends req and wants a 2xx.
func do(hc *http.Client, req *http.Request) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", req.URL.Host, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
