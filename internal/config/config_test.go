package config

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/policy"
)

// TestDefaultYAMLDocumentsEveryKey checks that default.yaml lists exactly the
// keys of Config, each with a comment: it is the reference users read. What
// is under a leaf (the groups of groups:) is a value, not keys.
func TestDefaultYAMLDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	var doc yaml.Node
	if err := yaml.Unmarshal(DefaultYAML(), &doc); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	var walk func(m *yaml.Node, prefix string)
	walk = func(m *yaml.Node, prefix string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			found[path] = true
			if _, ok := configSchema.keys[path]; !ok {
				t.Errorf("default.yaml:%d: %s is not a key of Config", k.Line, path)
			}
			if strings.TrimSpace(k.HeadComment+k.LineComment) == "" {
				t.Errorf("default.yaml:%d: %s has no comment", k.Line, path)
			}
			// Only sections hold keys; the map under a leaf (groups:
			// default: {}) is data.
			if v.Kind == yaml.MappingNode && configSchema.keys[path].section {
				walk(v, path)
			}
		}
	}
	walk(doc.Content[0], "")
	for _, k := range configSchema.sortedKeys() {
		if !found[k] {
			t.Errorf("default.yaml lacks %s", k)
		}
	}
	fi, err := parseFile("default.yaml", DefaultYAML(), configSchema)
	if err != nil || len(fi.problems) != 0 {
		t.Errorf("default.yaml: %v %v", err, fi.problems)
	}
}

func TestDefaultYAMLIsACopy(t *testing.T) {
	t.Parallel()
	b := DefaultYAML()
	b[0] = 'X'
	if bytes.Equal(b, DefaultYAML()) {
		t.Error("DefaultYAML returned the embedded slice itself")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base, _, err := Load(LoadOptions{Search: []string{}, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *Config)
		keys   []string
	}{
		{"default", func(c *Config) {}, nil},
		{"schema 2", func(c *Config) { c.SchemaVersion = 2 }, []string{"schema_version"}},
		{"level", func(c *Config) { c.Log.Level = "verbose" }, []string{"log.level"}},
		{"empty level", func(c *Config) { c.Log.Level = "" }, []string{"log.level"}},
		{"format", func(c *Config) { c.Log.Format = "text" }, []string{"log.format"}},
		{"all levels", func(c *Config) { c.Log.Level = "disabled"; c.Log.Format = "console" }, nil},
		{"with resolver", func(c *Config) { c.Log.Format = "x"; c.UDPSize = 1 }, []string{"log.format", "udp_size"}},
		{"device by name, no encrypted listener", func(c *Config) {
			c.Policy.Devices = []policy.DeviceConfig{{Name: "alex-phone"}}
		}, []string{"devices[0]"}},
		{"device by name over DoT", func(c *Config) {
			c.Policy.Devices = []policy.DeviceConfig{{Name: "alex-phone"}}
			c.ListenTLS = []string{":853"}
			c.TLS.SelfSigned, c.TLS.Names = true, []string{"dns.home.arpa"}
		}, nil},
		{"DoH without a certificate", func(c *Config) { c.ListenHTTPS = []string{":443"} }, []string{"listen_https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *base
			tt.change(&c)
			var keys []string
			for _, err := range c.Validate() {
				key, _, _ := strings.Cut(err.Error(), ":")
				keys = append(keys, key)
			}
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("problems with %v, want %v", keys, tt.keys)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"upstreams.sever":  "upstreams.servers",
		"cache.sise":       "cache.size",
		"servers":          "upstreams.servers",
		"level":            "log.level",
		"chace":            "cache",
		"journl.enabled":   "journal.enabled",
		"blocking.enabled": "", // journal.enabled or web.enabled: no guess
		"web.listn":        "web.listen",
		"blocking.colour":  "",
		"cache.colour":     "",
	} {
		if got := configSchema.suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAlertsValidated: alerts keys are checked with their paths.
func TestAlertsValidated(t *testing.T) {
	cfg, _, err := Load(LoadOptions{Search: []string{}, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Alerts.Events.Blocked = []string{"random-video-chat", "omegel"}
	cfg.Alerts.QuietHours = []string{"daily 25:00-07:00"}
	cfg.Alerts.Email.SMTP = "mail.example.net"
	cfg.Alerts.Digest = "sunday"
	var got []string
	for _, e := range cfg.Validate() {
		got = append(got, e.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{`alerts.events.blocked[1]: "omegel" is not a catalogue category or service`,
		"alerts.quiet_hours[0]:", "alerts.email.smtp:", "alerts.email.from:", "alerts.email.to:", "alerts.digest:"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
}

// TestAlertsSecretsFromEnvironment: the mail password and the ntfy token
// may come from the environment instead of the file.
func TestAlertsSecretsFromEnvironment(t *testing.T) {
	env := []string{"HEARTH_ALERTS_EMAIL_PASSWORD=s3cret", "HEARTH_ALERTS_NTFY_TOKEN=tk_abc"}
	cfg, _, err := Load(LoadOptions{Search: []string{}, Environ: func() []string { return env }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Alerts.Email.Password != "s3cret" || cfg.Alerts.Ntfy.Token != "tk_abc" {
		t.Errorf("got %+v %+v", cfg.Alerts.Email, cfg.Alerts.Ntfy)
	}
}
