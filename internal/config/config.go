package config

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/web"
)

// SchemaVersion is the layout version of hearth.yaml this build reads.
const SchemaVersion = 1

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration, with a comment on
// every key: what `hearth config default` prints.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Config is the whole of hearth.yaml.
type Config struct {
	// SchemaVersion is the file's layout version; only SchemaVersion is read.
	SchemaVersion   int `mapstructure:"schema_version"`
	resolver.Config `mapstructure:",squash"`
	// StateDir holds what Hearth keeps between runs (downloaded lists);
	// "" means StateDirectory's choice.
	StateDir string `mapstructure:"state_dir"`
	// State is live state shared with other Hearths (Redis); empty: alone.
	State StateConfig       `mapstructure:"state"`
	Lists blocklists.Config `mapstructure:"lists"`
	// Policy is timezone, calendar, blocking, help, identify, devices and
	// groups, at the top level of the file.
	Policy  policy.Config  `mapstructure:",squash"`
	Journal journal.Config `mapstructure:"journal"`
	Web     web.Config     `mapstructure:"web"`
	Log     LogConfig      `mapstructure:"log"`
	Alerts  alerts.Config  `mapstructure:"alerts"`
}

// StateDirectory is where Hearth keeps state: state_dir if set; else
// $STATE_DIRECTORY (set by systemd's StateDirectory=); else /var/lib/hearth
// when running as root; else $XDG_STATE_HOME/hearth or ~/.local/state/hearth.
func (c *Config) StateDirectory() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		return strings.Split(d, ":")[0]
	}
	if os.Geteuid() == 0 {
		return "/var/lib/hearth"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "hearth")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "hearth")
	}
	return "hearth-state"
}

// ListsDir is where downloaded lists are cached.
func (c *Config) ListsDir() string { return filepath.Join(c.StateDirectory(), "lists") }

// LogConfig is the `log:` section.
type LogConfig struct {
	// Level is a zerolog level name: trace, debug, info, warn, error, fatal,
	// panic or disabled.
	Level string `mapstructure:"level"`
	// Format is auto (console when stdout is a terminal, else JSON), json or
	// console.
	Format string `mapstructure:"format"`
}

// Log formats.
const (
	FormatAuto    = "auto"
	FormatJSON    = "json"
	FormatConsole = "console"
)

// ListCategories returns the categories of the configured lists, which the
// policy names like catalogue categories.
func (c Config) ListCategories() []string {
	var cats []string
	for _, src := range c.Lists.Sources {
		if !slices.Contains(cats, src.Category) {
			cats = append(cats, src.Category)
		}
	}
	return cats
}

// logLevels are the accepted log.level values (zerolog's level names).
var logLevels = []string{"trace", "debug", "info", "warn", "error", "fatal", "panic", "disabled"}

// Validate returns every problem in c, each a *fielderr.Error naming its key.
func (c Config) Validate() []error {
	var errs []error
	if c.SchemaVersion != SchemaVersion {
		errs = append(errs, schemaVersionError(c.SchemaVersion))
	}
	errs = append(errs, c.Log.validate()...)
	errs = append(errs, c.Config.Validate()...)
	errs = append(errs, c.State.Validate("state")...)
	errs = append(errs, c.Lists.Validate("lists")...)
	errs = append(errs, c.Journal.Validate("journal")...)
	errs = append(errs, c.Web.Validate("web")...)
	errs = append(errs, c.Alerts.Validate("alerts")...)
	errs = append(errs, c.alertNames()...)
	errs = append(errs, c.Policy.Validate(blocklists.Builtin(), c.ListCategories())...)
	if len(c.ListenTLS)+len(c.ListenHTTPS) == 0 {
		for i, d := range c.Policy.Devices {
			if len(d.IP) == 0 && len(d.MAC) == 0 {
				errs = append(errs, fielderr.New(fmt.Sprintf("devices[%d]", i), "device %q has neither ip nor mac: Hearth cannot recognise it (a device known by its name alone needs listen_tls or listen_https, see docs/encrypted-dns.md)", d.Name))
			}
		}
	}
	return errs
}

func (l LogConfig) validate() []error {
	var errs []error
	if !slices.Contains(logLevels, l.Level) {
		errs = append(errs, fielderr.New("log.level", "%q is not a level; use one of %s", l.Level, strings.Join(logLevels, ", ")))
	}
	switch l.Format {
	case FormatAuto, FormatJSON, FormatConsole:
	default:
		errs = append(errs, fielderr.New("log.format", "%q is not a format; use auto, json or console", l.Format))
	}
	return errs
}

func schemaVersionError(v int) error {
	if v > SchemaVersion {
		return fielderr.New("schema_version", "%d: this file is for a newer Hearth, which reads schema version %d; "+
			"upgrade Hearth, or rewrite the file for version %d (`hearth config default` prints a version %d file)",
			v, SchemaVersion, SchemaVersion, SchemaVersion)
	}
	return fielderr.New("schema_version", "%d is not a schema version; write schema_version: %d", v, SchemaVersion)
}

// alertNames checks that alerts.events.blocked names catalogue categories or
// services, or the categories of configured lists.
func (c Config) alertNames() []error {
	var errs []error
	for i, name := range c.Alerts.Events.Blocked {
		if slices.Contains(c.ListCategories(), name) {
			continue
		}
		if _, _, err := blocklists.Builtin().Lookup(name); err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("alerts.events.blocked[%d]", i), "%v", err))
		}
	}
	return append(errs, c.alertsFor()...)
}
