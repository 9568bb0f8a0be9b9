package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Decoding is strict: no weak typing (a quoted "100" is not a number, yes is
// not true) and unknown keys are errors (ErrorUnused). Fields may be left
// out (items of a list of sections need not name every field); a test checks
// that default.yaml sets every key.
// One loosening: a single string where a list of strings is wanted is a
// one-item list (ip: 192.168.1.40, block: gaming).
// Environment variables are strings, so envValue converts them by the key's
// type first; what does not convert is left as a string for the decoder to
// reject with the usual message.

func decoderConfig(out any) *mapstructure.DecoderConfig {
	return &mapstructure.DecoderConfig{
		Result:      out,
		ErrorUnused: true,
		DecodeHook:  mapstructure.ComposeDecodeHookFunc(durationHook, wholeNumberHook, stringListHook),
	}
}

func decodeInto(in, out any) error {
	d, err := mapstructure.NewDecoder(decoderConfig(out))
	if err != nil {
		return err
	}
	return d.Decode(in)
}

// checkValue reports whether raw decodes as a value of type t.
func checkValue(raw any, t reflect.Type) error {
	return decodeInto(raw, reflect.New(t).Interface())
}

var errNoUnit = errors.New("a duration needs a unit")

// durationHook parses durations from strings ("2s"). A bare number other
// than 0 is refused: "timeout: 5" would otherwise mean 5 nanoseconds.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	switch d := data.(type) {
	case string:
		return time.ParseDuration(strings.TrimSpace(d))
	case time.Duration:
		return d, nil
	case int, int64, uint64, float64:
		if reflect.ValueOf(d).IsZero() {
			return time.Duration(0), nil
		}
		return nil, errNoUnit
	}
	return data, nil
}

// wholeNumberHook refuses 1.5 for an integer (mapstructure would truncate it).
func wholeNumberHook(from, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.Int || to == durationType {
		return data, nil
	}
	if f, ok := data.(float64); ok && f != math.Trunc(f) {
		return nil, fmt.Errorf("%v is not a whole number", f)
	}
	return data, nil
}

// stringListHook makes a single string a one-item list where a list of
// strings is wanted. Other scalars (a number) stay errors.
func stringListHook(from, to reflect.Type, data any) (any, error) {
	if s, ok := data.(string); ok && to.Kind() == reflect.Slice && to.Elem().Kind() == reflect.String {
		return []string{s}, nil
	}
	return data, nil
}

// typeMessage says what a leaf key of type t wants, and what it got instead.
func typeMessage(t reflect.Type, raw any) string {
	w := want(t, raw)
	if isStringList(t) {
		w += " (comma-separated in environment variables)"
	}
	return w + ", got " + show(raw)
}

// want says what a value of type t is written as; raw is what was written
// instead.
func want(t reflect.Type, raw any) string {
	if t.Kind() == reflect.Pointer { // an optional value (budgets' amounts)
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "want a duration with a unit, such as 2s, 500ms or 1h30m"
	case t.Kind() == reflect.Int:
		return "want a whole number"
	case t.Kind() == reflect.Bool:
		return "want true or false"
	case t.Kind() == reflect.String:
		switch raw.(type) {
		case []any, map[string]any:
			return "want a string"
		}
		return "want a string (put it in quotes)"
	case isStringList(t):
		return "want a list of strings, such as [a, b]"
	case t.Kind() == reflect.Struct:
		return "want a map of keys (" + strings.Join(fieldNames(t), ", ") + ")"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "want a list, each item a map of keys (" + strings.Join(fieldNames(t.Elem()), ", ") + ")"
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Struct:
		return "want a map of names, each to a map of keys (" + strings.Join(fieldNames(t.Elem()), ", ") + ")"
	}
	return "want a " + t.String()
}

func isStringList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String
}

// partChecker checks, part by part, the value of a leaf that holds sections
// (devices, groups, lists.sources), so that a wrong type deep inside is
// reported at its own key ("devices[0].group") and line, and the rest of the
// value is kept for validation.
type partChecker struct {
	where    func(key string) string // Source.Where
	problems []error
	bad      map[string]bool // keys reported, whose value was dropped
}

// check returns raw, the value at path of type t, with each part of the
// wrong type reported and replaced by nil, which decodes as the zero value.
// Keys that are not fields of a struct are left out silently: the file
// walk (walkMapping) reported them, on the keys as written.
func (c *partChecker) check(raw any, t reflect.Type, path string) any {
	switch v := raw.(type) {
	case map[string]any:
		switch {
		case t.Kind() == reflect.Struct:
			out := map[string]any{}
			for _, f := range fieldsOf(t) {
				if x, ok := v[f.name]; ok {
					out[f.name] = c.check(x, f.typ, path+"."+f.name)
				}
			}
			return out
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
			names := make([]string, 0, len(v))
			for name := range v {
				names = append(names, name)
			}
			sort.Strings(names) // report in a stable order
			out := make(map[string]any, len(v))
			for _, name := range names {
				out[name] = c.check(v[name], t.Elem(), path+"."+name)
			}
			return out
		}
	case []any:
		if t.Kind() == reflect.Slice {
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = c.check(x, t.Elem(), path+"["+strconv.Itoa(i)+"]")
			}
			return out
		}
	}
	if err := checkValue(raw, t); err != nil {
		c.problems = append(c.problems, &Error{Where: c.where(path), Err: fielderr.New(path, "%s, got %s", want(t, raw), show(raw))})
		c.bad[path] = true
		return nil
	}
	return raw
}

// show writes a decoded YAML value the way a user would recognise it.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = show(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Quote(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "a map of " + strings.Join(keys, ", ")
	}
	return fmt.Sprint(v)
}

// envValue converts the text of an environment variable for a key of type t.
// Lists are comma-separated, items trimmed, empty items dropped (so "" is an
// empty list). Text that does not convert is returned unchanged.
func envValue(t reflect.Type, s string) any {
	switch {
	case t == durationType || t.Kind() == reflect.String:
		return s
	case t.Kind() == reflect.Slice:
		items := []string{}
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		return items
	case t.Kind() == reflect.Int:
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return n
		}
	case t.Kind() == reflect.Bool:
		if b, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return b
		}
	}
	return s
}

// setPath sets a dotted key in nested maps, creating them as needed.
func setPath(m map[string]any, path string, val any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	m[parts[len(parts)-1]] = val
}

// getPath reads a dotted key from nested maps.
func getPath(m map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			return nil, false
		}
		m = sub
	}
	v, ok := m[parts[len(parts)-1]]
	return v, ok
}
