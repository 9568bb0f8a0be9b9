package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/internal/suggest"
)

// fileInfo is what the YAML nodes of a configuration file say: the line of
// every key (and of every item of a list, as "key[i]"), down to the keys and
// items inside a leaf's value ("groups.kids.rules[1].outside[0]"), and the
// problems the structure shows before any value is decoded. Lines are kept
// under lowercased paths, as viper lowercases keys.
type fileInfo struct {
	values   map[string]any // the decoded file, nil if it is not a map
	lines    map[string]int
	problems []error

	visiting map[*yaml.Node]bool // maps being walked: catches "<<: *self"
	budget   int                 // entries left to walk: bounds alias expansion
}

// walkBudget bounds the entries walked, merge keys and aliases included, so
// that a file of nested aliases cannot make the walk exponential.
const walkBudget = 100_000

// parseFile parses data (named name in messages) and checks its keys against
// the schema. A YAML syntax error is returned as err: nothing else can be
// said about such a file.
func parseFile(name string, data []byte, s *schema) (fileInfo, error) {
	fi := fileInfo{lines: map[string]int{}, visiting: map[*yaml.Node]bool{}, budget: walkBudget}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fi, syntaxError(name, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 { // empty file: all defaults
		return fi, nil
	}
	datesAsText(&doc)
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		if isNull(root) {
			return fi, nil
		}
		fi.problems = append(fi.problems, &Error{
			Where: fmt.Sprintf("%s:%d", name, root.Line),
			Err:   fmt.Errorf("the file must be a map of keys (schema_version: 1, listen: ..., cache: ...), not %s", describeNode(root)),
		})
		return fi, nil
	}
	fi.walk(name, root, "", s)
	if len(fi.problems) == 0 {
		if err := root.Decode(&fi.values); err != nil {
			fi.problems = append(fi.problems, yamlError(name, err))
		}
	} else {
		// Decode what can be decoded, so that values elsewhere in the file
		// are still checked; duplicate keys make Decode fail, so skip then.
		_ = root.Decode(&fi.values)
	}
	return fi, nil
}

func (fi *fileInfo) walk(name string, m *yaml.Node, prefix string, s *schema) {
	if fi.visiting[m] {
		fi.problems = append(fi.problems, &Error{Where: fmt.Sprintf("%s:%d", name, m.Line), Err: errors.New("a map merges itself (<<: alias of its own anchor)")})
		return
	}
	fi.visiting[m] = true
	defer delete(fi.visiting, m)
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !fi.spend(name) {
			return
		}
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		if isMerge(k) { // "<<: *anchor"
			for _, src := range mergeSources(v) {
				fi.walk(name, src, prefix, s)
			}
			continue
		}
		at := fmt.Sprintf("%s:%d", name, k.Line)
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		info, known := s.keys[path]
		if !known {
			hint := ""
			if best := s.suggest(path); best != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", best)
			}
			fi.problems = append(fi.problems, &Error{Where: at, Err: unknownKey(path, hint)})
			continue
		}
		if first, dup := seen[path]; dup {
			fi.problems = append(fi.problems, &Error{Where: at, Err: fmt.Errorf("%s is set twice (first on line %d)", path, first)})
			continue
		}
		seen[path] = k.Line
		fi.lines[path] = k.Line
		switch {
		case info.section && v.Kind == yaml.MappingNode:
			fi.walk(name, v, path, s)
		case info.section && !isNull(v):
			fi.problems = append(fi.problems, &Error{
				Where: fmt.Sprintf("%s:%d", name, v.Line),
				Err:   fmt.Errorf("%s: want a section of keys (%s.<key>: value, indented below it), got %s", path, path, describeNode(v)),
			})
		case info.typ.Kind() == reflect.Map && v.Kind != yaml.MappingNode && !isNull(v):
			// Viper would keep the default map and drop this value
			// without a word, so decode would never see it.
			var x any
			_ = v.Decode(&x)
			fi.problems = append(fi.problems, &Error{Where: at, Err: fielderr.New(path, "%s, got %s", want(info.typ, x), show(x))})
		case !info.section:
			fi.walkValue(name, m.Content[i+1], path, info.typ)
		}
	}
}

// walkValue records the lines of the keys and items inside v, the value of
// path, whose type in Config is t. Where t says that a key's value is a
// section (an item of devices, a group), its keys are checked here, on the
// YAML as written: viper lowercases keys, so "Name" could not be told from
// "name" later. t is nil for data the schema says nothing about (a map
// where a string is wanted, say): its lines are recorded and decode reports
// the type.
func (fi *fileInfo) walkValue(name string, v *yaml.Node, path string, t reflect.Type) {
	n := resolveAlias(v)
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return
	}
	if fi.visiting[n] {
		fi.problems = append(fi.problems, &Error{Where: fmt.Sprintf("%s:%d", name, v.Line), Err: fmt.Errorf("%s contains itself (an alias of an enclosing anchor)", path)})
		return
	}
	fi.visiting[n] = true
	defer delete(fi.visiting, n)
	if n.Kind == yaml.MappingNode {
		fi.walkMapping(name, n, path, t)
		return
	}
	var elem reflect.Type
	if t != nil && t.Kind() == reflect.Slice {
		elem = t.Elem()
	}
	for j, item := range n.Content {
		if !fi.spend(name) {
			return
		}
		p := fmt.Sprintf("%s[%d]", path, j)
		fi.lines[strings.ToLower(p)] = item.Line
		fi.walkValue(name, item, p, elem)
	}
}

// walkMapping walks the keys of m, the value of path: a struct's keys
// (which must be its fields) when t is a struct, names chosen by the user
// (which must be lowercase) when t is a map.
func (fi *fileInfo) walkMapping(name string, m *yaml.Node, path string, t reflect.Type) {
	var fields []field
	isStruct := t != nil && t.Kind() == reflect.Struct
	isMap := t != nil && t.Kind() == reflect.Map && t.Key().Kind() == reflect.String
	if isStruct {
		fields = fieldsOf(t)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !fi.spend(name) {
			return
		}
		k, v := m.Content[i], m.Content[i+1]
		at := fmt.Sprintf("%s:%d", name, k.Line)
		if isMerge(k) {
			for _, src := range mergeSources(resolveAlias(v)) {
				if fi.visiting[src] {
					fi.problems = append(fi.problems, &Error{Where: at, Err: errors.New("a map merges itself (<<: alias of its own anchor)")})
					continue
				}
				fi.visiting[src] = true
				fi.walkMapping(name, src, path, t)
				delete(fi.visiting, src)
			}
			continue
		}
		p := path + "." + k.Value
		var vt reflect.Type
		switch {
		case isStruct:
			fx := slices.IndexFunc(fields, func(f field) bool { return f.name == k.Value })
			if fx < 0 {
				hint := ""
				if best := suggest.Closest(strings.ToLower(k.Value), fieldNames(t)); best != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", best)
				}
				fi.problems = append(fi.problems, &Error{Where: at, Err: unknownKey(p, hint)})
				continue
			}
			vt = fields[fx].typ
		case isMap:
			if lower := strings.ToLower(k.Value); lower != k.Value {
				noun := strings.TrimSuffix(path[strings.LastIndexAny(path, ".]")+1:], "s")
				fi.problems = append(fi.problems, &Error{Where: at, Err: fielderr.New(p, "%s names are lowercase (write %s)", noun, lower)})
			}
			vt = t.Elem()
		}
		if first, dup := seen[p]; dup {
			fi.problems = append(fi.problems, &Error{Where: at, Err: fmt.Errorf("%s is set twice (first on line %d)", p, first)})
			continue
		}
		seen[p] = k.Line
		fi.lines[strings.ToLower(p)] = k.Line
		fi.walkValue(name, v, p, vt)
	}
}

// spend counts one entry walked against the budget; false: stop walking.
func (fi *fileInfo) spend(name string) bool {
	if fi.budget--; fi.budget == 0 {
		fi.problems = append(fi.problems, &Error{Where: name, Err: errors.New("too many aliases and merge keys to expand")})
	}
	return fi.budget > 0
}

func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" }

// datesAsText makes the dates of the file, which YAML would decode as
// time.Time, the strings they were written as: no key of Config is a
// time, and "holidays: [2027-05-31]" means the text.
func datesAsText(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Style&yaml.TaggedStyle == 0 && n.ShortTag() == "!!timestamp" {
		n.Tag = "!!str"
	}
	for _, c := range n.Content {
		datesAsText(c)
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// mergeSources returns the maps a "<<" merge key brings in.
func mergeSources(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	var out []*yaml.Node
	if v.Kind == yaml.SequenceNode {
		for _, c := range v.Content {
			if c = resolveAlias(c); c.Kind == yaml.MappingNode {
				out = append(out, c)
			}
		}
	}
	return out
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	default:
		return strconv.Quote(n.Value)
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError rewrites "yaml: line 3: ..." as "<name>:3: ...", the form every
// other problem takes.
func yamlError(name string, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return &Error{Where: name + ":" + m[1], Err: errors.New(m[2])}
	}
	if msg, ok := strings.CutPrefix(err.Error(), "yaml: "); ok {
		return &Error{Where: name, Err: errors.New(msg)}
	}
	return &Error{Where: name, Err: err}
}

// keyedError is a problem worded on its own (`unknown key "x"`) that still
// names its key for errors.As(*fielderr.Error) (the dashboard's fields).
type keyedError struct {
	msg string
	fe  *fielderr.Error
}

func (e *keyedError) Error() string { return e.msg }
func (e *keyedError) Unwrap() error { return e.fe }

func unknownKey(path, hint string) error {
	return &keyedError{msg: fmt.Sprintf("unknown key %q%s", path, hint), fe: &fielderr.Error{Key: path, Msg: "unknown key" + hint}}
}
