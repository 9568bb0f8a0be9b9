package web

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hearth-dns/hearth/policy/identity"
)

// checkNewName applies the naming rule to a device name set on the
// dashboard or API: a slug (identity.IsSlug), so that the name a parent
// types after --device or in ?device= is the one they see. A name a device
// already has (hearth.yaml from before the rule) may be kept.
func (sv *service) checkNewName(name string) error {
	if identity.IsSlug(name) || name == "" || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) }) {
		return nil // empty, or control characters, separators or bidi controls: the store's own checks say which
	}
	if have, ok := sv.opts.Engine.HasDevice(name); ok && have == name {
		return nil
	}
	msg := fmt.Sprintf("%q: device names are lowercase letters, digits and '-', at most %d", name, identity.MaxSlug)
	if s := identity.Slug(name); s != "" {
		msg += fmt.Sprintf(" (write %q)", s)
	}
	return invalid("name", "name "+msg, msg)
}
