package config

import (
	"github.com/hearth-dns/hearth/internal/suggest"
	"reflect"
	"sort"
	"strings"
	"time"
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
			s.add(f.Type, prefix)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct {
			s.keys[path] = keyInfo{path: path, typ: f.Type, section: true}
			s.add(f.Type, path)
			continue
		}
		s.keys[path] = keyInfo{path: path, typ: f.Type}
		s.leaves = append(s.leaves, path)
	}
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
	best, bestD := "", 1<<30
	for _, p := range s.sortedKeys() {
		if d := suggest.Distance(strings.ToLower(unknown), p); d < bestD {
			best, bestD = p, d
		}
	}
	if bestD <= max(2, len(unknown)/4) {
		return best
	}
	return ""
}

func (s *schema) sortedKeys() []string {
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
