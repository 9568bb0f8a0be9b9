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
	if name == "" || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) }) {
		return nil // empty, or control characters, separators or bidi controls: the store's own checks say which
	}
	have, ok := sv.opts.Engine.HasDevice(name)
	return checkSlug("name", "device", name, ok && have == name)
}

// checkNewGroupName applies the same rule to a group name set on the
// dashboard or API (field is the form's or request's field). A group the
// running configuration has already keeps its name, slug or not (hearth.yaml
// from before the rule; `check-config` warns about it).
func (sv *service) checkNewGroupName(field, name string) error {
	return checkSlug(field, "group", name, sv.opts.Engine.HasGroup(name))
}

// checkSlug is the naming rule for what (device, group) names, one wording
// for both: nil for a slug or a name kept, else a field error suggesting
// the slug to write ("Games Console" -> "games-console").
func checkSlug(field, what, name string, kept bool) error {
	if identity.IsSlug(name) || kept {
		return nil
	}
	msg := fmt.Sprintf("%q: %s names are lowercase letters, digits and '-', at most %d", name, what, identity.MaxSlug)
	if s := identity.Slug(name); s != "" {
		msg += fmt.Sprintf(" (write %q)", s)
	}
	return invalid(field, "name "+msg, msg)
}
