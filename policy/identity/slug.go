package identity

import (
	"strings"
	"unicode"
)

// MaxSlug is the longest device name the dashboard and API accept.
const MaxSlug = 40

// IsSlug reports whether name follows the naming rule for device names set
// on the dashboard or API, as group names already do: 1 to MaxSlug
// lowercase letters a-z, digits and '-', not starting or ending with '-'.
// Such a name is typed the same on a phone, in a URL and after --device.
func IsSlug(name string) bool {
	if name == "" || len(name) > MaxSlug || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Slug suggests a name that follows the rule: "Games Console" is
// "games-console", "Sam's phone" is "sams-phone". It may be "" (a name of
// no letters or digits of a-z and 0-9).
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r == '\'' || r == '’':
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
			dash = true
		}
	}
	s := b.String()
	if len(s) > MaxSlug {
		s = strings.TrimRight(s[:MaxSlug], "-")
	}
	return s
}
