package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fileInfo is what the YAML nodes of a configuration file say: the line of
// every key (and of every item of a list, as "key[i]"), and the problems the
// structure shows before any value is decoded.
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
		return fi, yamlError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 { // empty file: all defaults
		return fi, nil
	}
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
		if fi.budget--; fi.budget == 0 {
			fi.problems = append(fi.problems, &Error{Where: name, Err: errors.New("too many aliases and merge keys to expand")})
		}
		if fi.budget <= 0 {
			return
		}
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" { // "<<: *anchor"
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
			msg := fmt.Sprintf("unknown key %q", path)
			if hint := s.suggest(path); hint != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", hint)
			}
			fi.problems = append(fi.problems, &Error{Where: at, Err: errors.New(msg)})
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
		case v.Kind == yaml.SequenceNode:
			for j, item := range v.Content {
				fi.lines[fmt.Sprintf("%s[%d]", path, j)] = item.Line
			}
		}
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
