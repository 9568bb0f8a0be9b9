package alerts

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy/schedule"
)

// Config is the `alerts:` section of hearth.yaml.
type Config struct {
	Webhook WebhookConfig `mapstructure:"webhook"`
	Ntfy    NtfyConfig    `mapstructure:"ntfy"`
	Email   EmailConfig   `mapstructure:"email"`
	Events  EventsConfig  `mapstructure:"events"`
	// For switches events for one group or one person (by name): what it
	// sets replaces the household's events for their devices; a person's
	// setting beats their group's.
	For map[string]EventsOverride `mapstructure:"for"`
	// QuietHours are windows ("daily 22:30-07:00", household zone) in which
	// alerts are held, then sent as one summary when they end.
	QuietHours []string `mapstructure:"quiet_hours"`
	// Digest is when the weekly digest goes out ("sun 18:00"); "" is never.
	Digest string `mapstructure:"digest"`
	// Detail puts the looked-up domain name into alerts; off, an alert
	// names only the service and category.
	Detail bool `mapstructure:"detail"`
	// Dashboard is the dashboard's address as the parent's phone reaches it
	// ("http://hearth.lan:8080"), the start of every alert's link; "" is
	// http:// + the first of web.hosts (or web.listen).
	Dashboard string `mapstructure:"dashboard"`
	// RatePerHour bounds the alerts one channel sends in an hour; past it
	// the rest wait and go as one summary.
	RatePerHour int `mapstructure:"rate_per_hour"`
	// Spool is how many alerts each channel keeps on disk at most; past it
	// the oldest are dropped (and counted).
	Spool int `mapstructure:"spool"`
}

// WebhookConfig is `alerts.webhook`: a POST of the alert as JSON.
type WebhookConfig struct {
	URL string `mapstructure:"url"`
}

// NtfyConfig is `alerts.ntfy`: a POST to an ntfy topic's URL.
type NtfyConfig struct {
	URL   string `mapstructure:"url"`   // the topic: https://ntfy.example.net/family
	Token string `mapstructure:"token"` // an access token (tk_...), sent as Bearer; "" none
}

// EmailConfig is `alerts.email`: SMTP submission.
type EmailConfig struct {
	SMTP     string   `mapstructure:"smtp"` // host:port; "" is no e-mail
	Username string   `mapstructure:"username"`
	Password string   `mapstructure:"password"`
	From     string   `mapstructure:"from"`
	To       []string `mapstructure:"to"`
	// TLS: auto (port 465 implicit TLS, any other STARTTLS, required),
	// starttls, tls, or none (a plain relay on the home network: no login).
	TLS string `mapstructure:"tls"`
}

// EventsConfig is `alerts.events`: which events alert.
type EventsConfig struct {
	// Blocked: categories or services whose blocked lookups alert (one
	// alert per owner and service per hour, with the count).
	Blocked     []string `mapstructure:"blocked"`
	BedtimeChat bool     `mapstructure:"bedtime_chat"`
	Bypass      bool     `mapstructure:"bypass"`
	NewDevice   bool     `mapstructure:"new_device"`
	// SilentDevice: a known device present on the network that has not
	// asked for this long, though it asked in the last day, alerts (0: off).
	SilentDevice time.Duration `mapstructure:"silent_device"`
	// Budget: a daily budget at 10 minutes left, and used up (once per
	// owner, budget and day each).
	Budget bool `mapstructure:"budget"`
	// Unwell: Hearth itself (every upstream failing, lists not updated for
	// a day, the journal failing).
	Unwell bool `mapstructure:"unwell"`
}

// EventsOverride is `alerts.for.<group or person>`: the events it sets
// replace the household's (alerts.events) for the group's or the person's
// devices; what it leaves out is inherited. A new device (nobody's yet)
// and Hearth unwell are the household's only.
type EventsOverride struct {
	Blocked      *[]string      `mapstructure:"blocked"`
	BedtimeChat  *bool          `mapstructure:"bedtime_chat"`
	Bypass       *bool          `mapstructure:"bypass"`
	SilentDevice *time.Duration `mapstructure:"silent_device"`
	Budget       *bool          `mapstructure:"budget"`
}

// Apply returns e with what o sets replaced.
func (o EventsOverride) Apply(e EventsConfig) EventsConfig {
	if o.Blocked != nil {
		e.Blocked = *o.Blocked
	}
	if o.BedtimeChat != nil {
		e.BedtimeChat = *o.BedtimeChat
	}
	if o.Bypass != nil {
		e.Bypass = *o.Bypass
	}
	if o.SilentDevice != nil {
		e.SilentDevice = *o.SilentDevice
	}
	if o.Budget != nil {
		e.Budget = *o.Budget
	}
	return e
}

// TLS modes of alerts.email.tls.
const (
	TLSAuto     = "auto"
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Enabled reports whether any channel is configured.
func (c Config) Enabled() bool {
	return c.Webhook.URL != "" || c.Ntfy.URL != "" || c.Email.SMTP != ""
}

// Validate returns every problem, each naming its key under prefix.
func (c Config) Validate(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fielderr.New(prefix+"."+key, format, args...))
	}
	checkURL := func(key, s string) {
		if s == "" {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key, "%q is not an http:// or https:// address", s)
		}
	}
	checkURL("webhook.url", c.Webhook.URL)
	checkURL("ntfy.url", c.Ntfy.URL)
	if c.Ntfy.URL != "" {
		if u, err := url.Parse(c.Ntfy.URL); err == nil && strings.Trim(u.Path, "/") == "" {
			bad("ntfy.url", "%q has no topic: write the topic's address, like https://ntfy.sh/my-family-topic", c.Ntfy.URL)
		}
	}
	checkURL("dashboard", c.Dashboard)
	e := c.Email
	switch e.TLS {
	case TLSAuto, TLSStartTLS, TLSImplicit:
	case TLSNone:
		if e.Username != "" {
			bad("email.tls", "none sends the password unencrypted: use auto, starttls or tls with a username")
		}
	default:
		bad("email.tls", "%q is not a mode; use auto, starttls, tls or none", e.TLS)
	}
	if e.SMTP != "" {
		if _, port, err := net.SplitHostPort(e.SMTP); err != nil {
			bad("email.smtp", "%q is not host:port (mail.example.net:587)", e.SMTP)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("email.smtp", "%q: the port is not a number", e.SMTP)
		}
		if !strings.Contains(e.From, "@") {
			bad("email.from", "%q is not an e-mail address", e.From)
		}
		if len(e.To) == 0 {
			bad("email.to", "no address to send to")
		}
		for i, to := range e.To {
			if !strings.Contains(to, "@") || strings.ContainsAny(to, "\r\n<>,") {
				bad("email.to["+strconv.Itoa(i)+"]", "%q is not an e-mail address", to)
			}
		}
		if strings.ContainsAny(e.From, "\r\n<>,") {
			bad("email.from", "%q is not an e-mail address", e.From)
		}
	}
	for i, b := range c.Events.Blocked {
		if b == "" || b != strings.ToLower(b) || strings.ContainsAny(b, " \t") {
			bad("events.blocked["+strconv.Itoa(i)+"]", "%q is not a category or service id (lowercase, like random-video-chat)", b)
		}
	}
	if c.Events.SilentDevice < 0 {
		bad("events.silent_device", "%s is negative; 0 is off", c.Events.SilentDevice)
	}
	for _, who := range slices.Sorted(maps.Keys(c.For)) {
		o := c.For[who]
		if o.Blocked != nil {
			for i, b := range *o.Blocked {
				if b == "" || b != strings.ToLower(b) || strings.ContainsAny(b, " \t") {
					bad("for."+who+".blocked["+strconv.Itoa(i)+"]", "%q is not a category or service id (lowercase, like random-video-chat)", b)
				}
			}
		}
		if o.SilentDevice != nil && *o.SilentDevice < 0 {
			bad("for."+who+".silent_device", "%s is negative; 0 is off", *o.SilentDevice)
		}
	}
	for i, w := range c.QuietHours {
		if _, err := schedule.ParseWindow(w); err != nil {
			bad("quiet_hours["+strconv.Itoa(i)+"]", "%v", err)
		}
	}
	if c.Digest != "" {
		if _, _, err := ParseDigest(c.Digest); err != nil {
			bad("digest", "%v", err)
		}
	}
	if c.RatePerHour < 1 {
		bad("rate_per_hour", "%d: at least 1", c.RatePerHour)
	}
	if c.Spool < 1 {
		bad("spool", "%d: at least 1", c.Spool)
	}
	return errs
}

var digestDays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseDigest reads "sun 18:00": a weekday and a time of day.
func ParseDigest(s string) (time.Weekday, time.Duration, error) {
	day, clock, ok := strings.Cut(strings.TrimSpace(s), " ")
	i := slices.Index(digestDays, strings.ToLower(day))
	if !ok || i < 0 {
		return 0, 0, fmt.Errorf("%q: write a day and a time, like \"sun 18:00\"", s)
	}
	t, err := time.Parse("15:04", strings.TrimSpace(clock))
	if err != nil {
		return 0, 0, fmt.Errorf("%q: %q is not a time of day (HH:MM)", s, clock)
	}
	return time.Weekday(i), time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
