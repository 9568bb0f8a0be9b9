// Package fielderr is the error type that configuration sections return from
// Validate: a problem tied to one key path (e.g. "cache.min_ttl"), so the
// loader can say which file line, environment variable or flag set it.
package fielderr

import "fmt"

// Error is a problem with the value of one configuration key.
type Error struct {
	Key string // dotted key path, as written in the YAML file
	Msg string
}

func (e *Error) Error() string { return e.Key + ": " + e.Msg }

// New returns an *Error for key with a formatted message.
func New(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}
