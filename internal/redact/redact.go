// Package redact keeps passwords out of what Hearth prints: the addresses
// of Redis (state.redis) and the like in logs, status and errors.
package redact

import (
	"net/url"
	"strings"
)

// URL returns raw with any password replaced by "xxxxx"; a URL that cannot
// be parsed comes back as its scheme alone, if any, so nothing secret is
// printed.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i > 0 && !strings.Contains(raw[:i], "@") {
			return raw[:i] + "://…"
		}
		return "…"
	}
	return u.Redacted()
}

// Error returns msg with the password of the URL raw, wherever it appears
// in msg, replaced by "xxxxx".
func Error(msg, raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}
