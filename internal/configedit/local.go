package configedit

import "go.yaml.in/yaml/v3"

// NodeLocal are the keys of hearth.yaml that belong to one machine, not to
// the household: where it listens, its certificates' files, its state
// directory, its shared-state settings, its journal file, its lease file
// and its log. When hearth.yaml is shared between nodes (internal/cluster)
// they are left out of what a node shares and kept from the node's own
// file when it takes another node's.
var NodeLocal = [][]string{
	{"listen"}, {"listen_tls"}, {"listen_https"},
	{"tls", "cert_file"}, {"tls", "key_file"},
	{"state_dir"}, {"state"},
	{"journal", "path"},
	{"web", "listen"}, {"web", "tls"},
	{"identify", "leases"},
	{"log"},
}

// KeepOwn returns shared with the values at paths taken from own: set as
// own has them, or removed where own has none. The rest of shared's text,
// comments included, is kept.
func KeepOwn(shared, own []byte, paths [][]string) ([]byte, error) {
	d, err := Parse(shared)
	if err != nil {
		return nil, err
	}
	o, err := Parse(own)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		v := o.valueAt(p)
		if v != nil {
			v = clone(v)
		}
		if cur := d.valueAt(p); (cur == nil && v == nil) || (cur != nil && v != nil && same(cur, v)) {
			continue
		}
		if err := d.setPath(p, v); err != nil {
			return nil, err
		}
	}
	return d.Bytes(), nil
}

// Strip returns text without the values at paths.
func Strip(text []byte, paths [][]string) ([]byte, error) {
	return KeepOwn(text, nil, paths)
}

// valueAt is the value at path (keys of nested maps from the top), or nil.
func (d *Doc) valueAt(path []string) *yaml.Node {
	m := d.root
	for _, key := range path {
		if m = resolve(m); m == nil || m.Kind != yaml.MappingNode {
			return nil
		}
		_, m = lookup(m, key)
	}
	return m
}
