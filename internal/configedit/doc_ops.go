package configedit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Errors from the operations, for the API's statuses.
var (
	// ErrNotFound: no such group in the file.
	ErrNotFound = errors.New("configedit: not found")
	// ErrConflict: the change contradicts the file (a name taken by another
	// device, the default group deleted).
	ErrConflict = errors.New("configedit: conflict")
)

// InUseError refuses to delete a group that devices are in.
type InUseError struct {
	Group   string
	Devices []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("group %q is used by %s: move them to another group first", e.Group, strings.Join(e.Devices, ", "))
}

func (e *InUseError) Unwrap() error { return ErrConflict }

// Doc is hearth.yaml's text being edited, and its parsed nodes. Each
// operation edits the text and parses it again.
type Doc struct {
	data []byte
	root *yaml.Node // the top mapping; nil for an empty file
}

func Parse(data []byte) (*Doc, error) {
	d := &Doc{data: data}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) > 0 {
		switch r := doc.Content[0]; {
		case r.Kind == yaml.MappingNode:
			d.root = r
		case !isNullNode(r):
			return nil, errors.New("the file is not a map of keys")
		}
	}
	return d, nil
}

// Bytes is the file's text now.
func (d *Doc) Bytes() []byte { return d.data }

func (d *Doc) commit(t *text) error {
	next, err := Parse(t.bytes())
	if err != nil {
		return fmt.Errorf("configedit: the edit made YAML that does not parse (a bug): %w", err)
	}
	*d = *next
	return nil
}

// NamedValue is a named section (a group) as JSON in the file's shape.
type NamedValue struct {
	Name  string
	Value json.RawMessage
}

// Groups returns every group in the file's order.
func (d *Doc) Groups() ([]NamedValue, error) {
	_, gs := lookup(d.root, "groups")
	gs = resolve(gs)
	if gs == nil || gs.Kind != yaml.MappingNode {
		return nil, nil
	}
	var out []NamedValue
	for i := 0; i+1 < len(gs.Content); i += 2 {
		v, err := ToJSON(gs.Content[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, NamedValue{gs.Content[i].Value, v})
	}
	return out, nil
}

// Group returns one group (ErrNotFound if the file has none by the name).
func (d *Doc) Group(name string) (json.RawMessage, error) {
	_, gs := lookup(d.root, "groups")
	_, g := lookup(resolve(gs), name)
	if g == nil {
		return nil, fmt.Errorf("%w: no group %q in hearth.yaml", ErrNotFound, name)
	}
	return ToJSON(g)
}

// SetGroup makes groups.<name> the group v (a map in the file's shape),
// adding it after the others if new.
func (d *Doc) SetGroup(name string, v *yaml.Node) error {
	if isNullNode(v) {
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if v.Kind != yaml.MappingNode {
		return fielderr.New("groups."+name, "a group is a map of keys (rules, bedtime, allow, ...), not a single value or a list")
	}
	return d.setPath([]string{"groups", name}, v)
}

// DeleteGroup removes groups.<name>: ErrNotFound if it is not there,
// *InUseError if devices of the file are in it, ErrConflict for default.
func (d *Doc) DeleteGroup(name string) error {
	if name == "default" {
		return fmt.Errorf("%w: the default group is where unnamed devices go; it cannot be deleted (empty its rules instead)", ErrConflict)
	}
	_, gs := lookup(d.root, "groups")
	if k, _ := lookup(resolve(gs), name); k == nil {
		return fmt.Errorf("%w: no group %q in hearth.yaml", ErrNotFound, name)
	}
	var users []string
	for _, dev := range d.Devices() {
		if dev.Group == name {
			users = append(users, dev.Name)
		}
	}
	if len(users) > 0 {
		return &InUseError{Group: name, Devices: users}
	}
	return d.setPath([]string{"groups", name}, nil)
}

// DeviceEntry is one item of the file's devices list, as far as the
// editor needs it.
type DeviceEntry struct {
	Name, Group string
	IP, MAC     []string
}

// Devices lists the file's devices in order.
func (d *Doc) Devices() []DeviceEntry {
	_, ds := lookup(d.root, "devices")
	ds = resolve(ds)
	if ds == nil || ds.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]DeviceEntry, 0, len(ds.Content))
	for _, item := range ds.Content {
		item = resolve(item)
		var e DeviceEntry
		_, n := lookup(item, "name")
		_, g := lookup(item, "group")
		_, ip := lookup(item, "ip")
		_, mac := lookup(item, "mac")
		if s := scalars(n); len(s) == 1 {
			e.Name = s[0]
		}
		if s := scalars(g); len(s) == 1 {
			e.Group = s[0]
		}
		e.IP, e.MAC = scalars(ip), scalars(mac)
		out = append(out, e)
	}
	return out
}

// Device is a device as the dashboard names it: its key ("ip:192.168.1.7",
// "mac:3c:22:fb:12:34:56" or "id:alex-phone"), name and group ("" is the default group);
// Allow and Block, when not nil, replace its own entries (empty removes
// them).
type Device struct {
	Key, Name, Group string
	Allow, Block     *[]string
}

// ParseKey splits a device key into the YAML key it goes under (ip or mac)
// and the address in canonical form.
func ParseKey(key string) (field, addr string, err error) {
	kind, v, _ := strings.Cut(key, ":")
	switch kind {
	case "mac":
		hw, err := net.ParseMAC(v)
		if err == nil {
			return "mac", hw.String(), nil
		}
	case "ip":
		a, err := netip.ParseAddr(v)
		if err == nil {
			return "ip", a.Unmap().String(), nil
		}
	case "id":
		// A device known by the ID it gives over encrypted DNS (the TLS
		// name's first label or the DoH path): the ID is its name.
		if id := strings.ToLower(v); isID(id) {
			return "id", id, nil
		}
	}
	return "", "", fielderr.New("key", "%q is not a device key (ip:ADDRESS, mac:HARDWARE-ADDRESS or id:DEVICE-ID)", key)
}

// isID reports whether s can be a device ID: a DNS label of lowercase
// letters, digits and '-'.
func isID(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// FindDevice returns the index of the file's device with the key's address
// (-1 if none) and of the one with the name (-1 if none).
func (d *Doc) FindDevice(key, name string) (byKey, byName int) {
	field, addr, err := ParseKey(key)
	byKey, byName = -1, -1
	for i, e := range d.Devices() {
		vals := e.IP
		if field == "mac" {
			vals = e.MAC
		}
		if err == nil && slices.ContainsFunc(vals, func(v string) bool { return sameAddr(field, v, addr) }) && byKey < 0 {
			byKey = i
		}
		if err == nil && field == "id" && eqFold(e.Name, addr) && byKey < 0 {
			byKey = i // a device known by its ID: the item with that name
		}
		if name != "" && eqFold(e.Name, name) && byName < 0 {
			byName = i
		}
	}
	return byKey, byName
}

func sameAddr(field, a, b string) bool {
	if field == "mac" {
		x, err1 := net.ParseMAC(a)
		y, err2 := net.ParseMAC(b)
		return err1 == nil && err2 == nil && x.String() == y.String()
	}
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	return err1 == nil && err2 == nil && x.Unmap() == y.Unmap()
}

// SetDevice names a device in the file's devices list. The item with the
// key's address is changed; else the item with the name gets the address
// too (a phone's new private address); else an item is added. A name that
// belongs to another item than the address's is ErrConflict.
func (d *Doc) SetDevice(dv Device) error {
	field, addr, err := ParseKey(dv.Key)
	if err != nil {
		return err
	}
	if strings.TrimSpace(dv.Name) == "" {
		return fielderr.New("name", "a device needs a name")
	}
	if field == "id" && !eqFold(dv.Name, addr) {
		return fielderr.New("name", "this device is known by the ID %q it gives over encrypted DNS, and that ID is its name: name it %q (for another name, set it up again with that name as its ID)", addr, addr)
	}
	byKey, byName := d.FindDevice(dv.Key, dv.Name)
	if byKey >= 0 && byName >= 0 && byKey != byName {
		return fmt.Errorf("%w: %q is the name of another device in hearth.yaml (%s)", ErrConflict, dv.Name, describe(d.Devices()[byName]))
	}
	_, ds := lookup(d.root, "devices")
	ds = resolve(ds)
	var items []*yaml.Node
	if ds != nil && ds.Kind == yaml.SequenceNode {
		items = slices.Clone(ds.Content)
	}
	var item *yaml.Node
	idx := max(byKey, byName)
	if idx >= 0 {
		item = clone(items[idx])
	} else {
		item = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setKey(item, "name", strNode(dv.Name))
		if field != "id" { // an ID is the name itself
			setKey(item, field, strNode(addr))
		}
	}
	setKey(item, "name", strNode(dv.Name))
	if byKey < 0 && idx >= 0 && field != "id" { // found by name: add the address
		_, old := lookup(item, field)
		vals := append(scalars(old), addr)
		if len(vals) == 1 {
			setKey(item, field, strNode(addr))
		} else {
			seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			for _, v := range vals {
				seq.Content = append(seq.Content, strNode(v))
			}
			setKey(item, field, seq)
		}
	}
	if dv.Group == "" || dv.Group == "default" {
		setKey(item, "group", nil)
	} else {
		setKey(item, "group", strNode(dv.Group))
	}
	for _, l := range []struct {
		key  string
		vals *[]string
	}{{"allow", dv.Allow}, {"block", dv.Block}} {
		switch {
		case l.vals == nil:
		case len(*l.vals) == 0:
			setKey(item, l.key, nil)
		default:
			seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for _, v := range *l.vals {
				seq.Content = append(seq.Content, strNode(v))
			}
			setKey(item, l.key, seq)
		}
	}
	if idx >= 0 {
		items[idx] = item
	} else {
		items = append(items, item)
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
	return d.setPath([]string{"devices"}, seq)
}

// RemoveDevice takes the key's address out of the file's devices list:
// the item loses that address, and goes when it has no address left (its
// own allow and block entries with it). ErrNotFound if no item has it.
// It returns the name the device had.
func (d *Doc) RemoveDevice(key string) (string, error) {
	field, addr, err := ParseKey(key)
	if err != nil {
		return "", err
	}
	byKey, _ := d.FindDevice(key, "")
	if byKey < 0 {
		return "", fmt.Errorf("%w: no device with %s %s in hearth.yaml", ErrNotFound, field, addr)
	}
	_, ds := lookup(d.root, "devices")
	items := slices.Clone(resolve(ds).Content)
	e := d.Devices()[byKey]
	left := slices.DeleteFunc(slices.Clone(e.IP), func(v string) bool { return field == "ip" && sameAddr(field, v, addr) })
	left = append(left, slices.DeleteFunc(slices.Clone(e.MAC), func(v string) bool { return field == "mac" && sameAddr(field, v, addr) })...)
	if len(left) == 0 || field == "id" { // an ID is the item's name: the item goes
		items = slices.Delete(items, byKey, byKey+1)
	} else {
		item := clone(items[byKey])
		vals := e.IP
		if field == "mac" {
			vals = e.MAC
		}
		vals = slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return sameAddr(field, v, addr) })
		switch len(vals) {
		case 0:
			setKey(item, field, nil)
		case 1:
			setKey(item, field, strNode(vals[0]))
		default:
			seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			for _, v := range vals {
				seq.Content = append(seq.Content, strNode(v))
			}
			setKey(item, field, seq)
		}
		items[byKey] = item
	}
	var seq *yaml.Node
	if len(items) > 0 {
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
	}
	return e.Name, d.setPath([]string{"devices"}, seq)
}

func describe(e DeviceEntry) string {
	return strings.Join(append(append([]string{e.Name}, e.IP...), e.MAC...), " ")
}

// HouseholdKeys are the keys GET and PUT /api/household cover.
var HouseholdKeys = []string{"timezone", "calendar", "blocking", "help", "new_devices", "unfiltered", "alerts"}

// Household returns the household's settings as the file has them
// (timezone, calendar, blocking, help, new_devices, unfiltered, alerts; keys the file leaves out are absent).
func (d *Doc) Household() (json.RawMessage, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, key := range HouseholdKeys {
		if k, v := lookup(d.root, key); k != nil {
			m.Content = append(m.Content, k, v)
		}
	}
	return ToJSON(m)
}

// SetHousehold sets the household keys v has: a section's keys one by one
// (blocking: {block: [...]} leaves blocking.response as it is); null
// removes a key, so it takes its default.
func (d *Doc) SetHousehold(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return fielderr.New("household", "want a map of timezone, calendar, blocking, help, new_devices, unfiltered and alerts")
	}
	var errs []error
	for i := 0; i+1 < len(v.Content); i += 2 {
		if key := v.Content[i].Value; !slices.Contains(HouseholdKeys, key) {
			errs = append(errs, fielderr.New(key, "not a household setting (those are %s)", strings.Join(HouseholdKeys, ", ")))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, val := v.Content[i].Value, v.Content[i+1]
		if key == "timezone" || val.Kind != yaml.MappingNode {
			if isNullNode(val) {
				val = nil
			}
			if err := d.setPath([]string{key}, val); err != nil {
				return err
			}
			continue
		}
		for j := 0; j+1 < len(val.Content); j += 2 {
			sub := val.Content[j+1]
			if isNullNode(sub) {
				sub = nil
			}
			if err := d.setPath([]string{key, val.Content[j].Value}, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// setPath sets the value at path (keys of nested maps from the top) to nv,
// or removes it when nv is nil, editing only what changes.
func (d *Doc) setPath(path []string, nv *yaml.Node) error {
	t := newText(d.data)
	if d.root == nil || len(d.root.Content) == 0 {
		if nv == nil {
			return nil
		}
		t.insertEntry(nil, path[0], build(path[1:], nv))
		return d.commit(t)
	}
	m := d.root
	for i, key := range path {
		k, v := lookup(m, key)
		last := i == len(path)-1
		switch {
		case k == nil && nv == nil:
			return nil
		case k == nil:
			t.insertEntry(m, key, build(path[i+1:], nv))
		case last && nv == nil:
			from, to := t.entryRange(k, v)
			t.replace(from, to, "")
		case last:
			t.setValue(k, v, nv)
		case isBlock(resolve(v), yaml.MappingNode) && v.Kind != yaml.AliasNode:
			m = v
			continue
		default: // a flow map, or nothing: write the whole value again
			c := clone(v)
			if c.Kind != yaml.MappingNode {
				c = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			setIn(c, path[i+1:], nv)
			t.setValue(k, v, c)
		}
		return d.commit(t)
	}
	return nil
}

// build nests nv under the keys of path.
func build(path []string, nv *yaml.Node) *yaml.Node {
	for i := len(path) - 1; i >= 0; i-- {
		nv = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{strNode(path[i]), nv}}
	}
	return nv
}

// setIn sets (or with nv nil removes) path in mapping m, a copy.
func setIn(m *yaml.Node, path []string, nv *yaml.Node) {
	if len(path) == 1 {
		setKey(m, path[0], nv)
		return
	}
	_, v := lookup(m, path[0])
	if v == nil || v.Kind != yaml.MappingNode {
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setKey(m, path[0], v)
	}
	setIn(v, path[1:], nv)
}

// setKey sets key in mapping m to v, keeping its place; nil removes it.
func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v == nil {
				m.Content = slices.Delete(m.Content, i, i+2)
			} else {
				m.Content[i+1] = v
			}
			return
		}
	}
	if v != nil {
		m.Content = append(m.Content, strNode(key), v)
	}
}

// clone copies a node deeply, aliases resolved.
func clone(n *yaml.Node) *yaml.Node {
	n = resolve(n)
	if n == nil {
		return nil
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = clone(x)
	}
	return &c
}
