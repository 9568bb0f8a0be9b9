package config

import (
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/suggest"
)

// The schema is every key of Config, derived once from its mapstructure tags,
// so that a field added to a section is known to the loader (unknown-key
// check, environment variable, type check) without a list to keep in step.
// A test checks that default.yaml lists exactly these keys.

// keyInfo describes one key path.
type keyInfo struct {
	path    string
	typ     reflect.Type
	section bool // a struct: a map of further keys
	// items: a leaf holding sections (a list or map of structs: devices,
	// groups, lists.sources). Its keys are checked part by part, on the
	// YAML (yamlfile.go) and on the decoded value (decode.go), and it has
	// no environment variable.
	items bool
}

type schema struct {
	keys   map[string]keyInfo // every key path, sections included
	leaves []string           // paths of non-section keys, in struct order
	env    map[string]string  // environment variable name -> leaf path
}

var durationType = reflect.TypeOf(time.Duration(0))

var configSchema = buildSchema(reflect.TypeOf(Config{}))

func buildSchema(t reflect.Type) *schema {
	s := &schema{keys: map[string]keyInfo{}, env: map[string]string{}}
	s.add(t, "")
	for _, leaf := range s.leaves {
		name := envName(leaf)
		if other, dup := s.env[name]; dup {
			panic("config: keys " + other + " and " + leaf + " share the variable " + name)
		}
		s.env[name] = leaf
	}
	return s
}

func (s *schema) add(t reflect.Type, prefix string) {
	for _, f := range fieldsOf(t) {
		path := f.name
		if prefix != "" {
			path = prefix + "." + f.name
		}
		if f.typ.Kind() == reflect.Struct {
			s.keys[path] = keyInfo{path: path, typ: f.typ, section: true}
			s.add(f.typ, path)
			continue
		}
		s.keys[path] = keyInfo{path: path, typ: f.typ, items: holdsSections(f.typ)}
		s.leaves = append(s.leaves, path)
	}
}

// field is one key of a struct: its name in the file and its type.
type field struct {
	name string
	typ  reflect.Type
}

// fieldsOf returns the keys of struct type t in order, from their
// mapstructure tags, with the keys of squashed structs in place.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "-" {
			continue
		}
		if opts == "squash" || (f.Anonymous && name == "") {
			out = append(out, fieldsOf(f.Type)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name: name, typ: f.Type})
	}
	return out
}

// fieldNames returns the keys of struct type t.
func fieldNames(t reflect.Type) []string {
	var names []string
	for _, f := range fieldsOf(t) {
		names = append(names, f.name)
	}
	return names
}

// holdsSections reports whether t is a list or map whose items are structs
// (or lists or maps of them).
func holdsSections(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem().Kind() == reflect.Struct || holdsSections(t.Elem())
	}
	return false
}

// envName is the environment variable that sets key: cache.min_ttl ->
// HEARTH_CACHE_MIN_TTL.
func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

const envPrefix = "HEARTH_"

// suggest returns the known key closest to an unknown one, or "".
// A key written at the wrong level ("size" for "cache.size") is matched by
// its last name; otherwise by edit distance on the whole path.
func (s *schema) suggest(unknown string) string {
	last := unknown[strings.LastIndex(unknown, ".")+1:]
	var byName []string
	for _, p := range s.sortedKeys() {
		if p[strings.LastIndex(p, ".")+1:] == last {
			byName = append(byName, p)
		}
	}
	if len(byName) == 1 {
		return byName[0]
	}
	return suggest.Closest(strings.ToLower(unknown), s.sortedKeys())
}

func (s *schema) sortedKeys() []string {
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
