package configedit

import (
	"encoding/json"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// The people: list (children and the devices they own, issue 16), edited
// item by item like devices: an item is found by its name.

// People returns every person in the file's order, each as JSON in the
// file's shape ({"name", "devices", "group", "budgets"}).
func (d *Doc) People() ([]NamedValue, error) {
	var out []NamedValue
	for _, item := range d.peopleItems() {
		v, err := ToJSON(item)
		if err != nil {
			return nil, err
		}
		out = append(out, NamedValue{nameOf(item), v})
	}
	return out, nil
}

// SetPerson makes the person called name v (a map in the file's shape,
// whose name, if given, must be name): the item with that name is changed
// in place (its comments and untouched keys kept), or an item is added.
func (d *Doc) SetPerson(name string, v *yaml.Node) error {
	if v == nil || v.Kind != yaml.MappingNode {
		return fielderr.New("person", "a person is a map of name, devices, group and budgets")
	}
	if _, n := lookup(v, "name"); n == nil {
		setKey(v, "name", strNode(name))
	} else if s := scalars(n); len(s) != 1 || s[0] != name {
		return fielderr.New("name", "the name in the body (%v) is not the one in the address (%q): rename by deleting and adding", s, name)
	}
	items := slices.Clone(d.peopleItems())
	i := slices.IndexFunc(items, func(n *yaml.Node) bool { return nameOf(n) == name })
	if i >= 0 {
		items[i] = v
	} else {
		items = append(items, v)
	}
	return d.setPath([]string{"people"}, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items})
}

// DeletePerson removes the person called name (ErrNotFound if none); their
// devices stay, owned by nobody.
func (d *Doc) DeletePerson(name string) error {
	items := slices.Clone(d.peopleItems())
	i := slices.IndexFunc(items, func(n *yaml.Node) bool { return nameOf(n) == name })
	if i < 0 {
		return fmt.Errorf("%w: no person %q in hearth.yaml", ErrNotFound, name)
	}
	items = slices.Delete(items, i, i+1)
	var seq *yaml.Node
	if len(items) > 0 {
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
	}
	return d.setPath([]string{"people"}, seq)
}

// Person returns one person as JSON (ErrNotFound if none).
func (d *Doc) Person(name string) (json.RawMessage, error) {
	for _, item := range d.peopleItems() {
		if nameOf(item) == name {
			return ToJSON(item)
		}
	}
	return nil, fmt.Errorf("%w: no person %q in hearth.yaml", ErrNotFound, name)
}

func (d *Doc) peopleItems() []*yaml.Node {
	_, ps := lookup(d.root, "people")
	ps = resolve(ps)
	if ps == nil || ps.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(ps.Content))
	for i, item := range ps.Content {
		out[i] = resolve(item)
	}
	return out
}

func nameOf(item *yaml.Node) string {
	_, n := lookup(item, "name")
	if s := scalars(n); len(s) == 1 {
		return s[0]
	}
	return ""
}
