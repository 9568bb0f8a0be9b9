package config

import (
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/internal/redact"
	"github.com/hearth-dns/hearth/policy/identity"
)

// StateConfig is the `state:` section: live state shared with other Hearths
// through Redis (docs/two-nodes.md). Empty, Hearth runs alone.
type StateConfig struct {
	// Redis is the server's URL (redis://[user:password@]host:port/db or
	// rediss:// for TLS); "" shares nothing.
	Redis string `mapstructure:"redis"`
	// Node is this Hearth's name among the others (a slug); "" is the host
	// name, made a slug.
	Node string `mapstructure:"node"`
}

// Shared reports whether state is shared through Redis.
func (s StateConfig) Shared() bool { return s.Redis != "" }

// NodeName is Node, or the host name made a slug ("hearth" if it has none).
func (s StateConfig) NodeName() string {
	if s.Node != "" {
		return s.Node
	}
	h, _ := os.Hostname()
	if n := identity.Slug(strings.ToLower(h)); n != "" {
		return n
	}
	return "hearth"
}

// Validate returns every problem with the section, keyed under prefix
// ("state"). The URL is checked by go-redis's parser; an error never
// repeats a password.
func (s StateConfig) Validate(prefix string) []error {
	var errs []error
	if s.Redis != "" {
		if _, err := redis.ParseURL(s.Redis); err != nil {
			errs = append(errs, fielderr.New(prefix+".redis", "%q is not a Redis URL (redis://host:port/db): %s", RedactURL(s.Redis), redact.Error(err.Error(), s.Redis)))
		}
	}
	if s.Node != "" && !identity.IsSlug(s.Node) {
		msg := "%q is not a slug (lowercase letters, digits and '-', at most %d)"
		if sl := identity.Slug(s.Node); sl != "" {
			return append(errs, fielderr.New(prefix+".node", msg+"; perhaps %q", s.Node, identity.MaxSlug, sl))
		}
		errs = append(errs, fielderr.New(prefix+".node", msg, s.Node, identity.MaxSlug))
	}
	return errs
}

// RedactURL returns raw with any password replaced by "xxxxx" (redact.URL).
func RedactURL(raw string) string { return redact.URL(raw) }
