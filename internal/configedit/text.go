package configedit

import (
	"bytes"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An edit is made in the file's text, not by encoding the whole tree again
// (which would lose blank lines, re-indent lists and re-quote values): the
// parsed nodes say where each key and item starts, the indentation says
// where it ends, and only the lines of what changed are replaced. Within a
// block mapping or list each key or item is compared with its new value and
// left alone if it is the same; a flow value ({...}, [...]) or a scalar that
// changed is written again whole, with its line comment kept.

// text is a file's lines and the edits to make to them.
type text struct {
	lines []string // each with its "\n" (the last may lack one)
	edits []edit
}

// edit replaces lines [from, to) with text (from == to inserts).
type edit struct {
	from, to int
	text     string
}

func newText(data []byte) *text {
	t := &text{}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.lines = append(t.lines, string(data))
			break
		}
		t.lines = append(t.lines, string(data[:i+1]))
		data = data[i+1:]
	}
	return t
}

// bytes applies the edits; edits at one line apply in the order made.
func (t *text) bytes() []byte {
	edits := slices.Clone(t.edits)
	slices.SortStableFunc(edits, func(a, b edit) int { return a.from - b.from })
	var b strings.Builder
	next := 0 // edits[next] is the first not yet applied
	emit := func(s string) {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	for i := 0; i <= len(t.lines); {
		skipTo := i
		for next < len(edits) && edits[next].from == i {
			emit(edits[next].text)
			skipTo = max(skipTo, edits[next].to)
			next++
		}
		if skipTo > i {
			i = skipTo
			continue
		}
		if i < len(t.lines) {
			emit(t.lines[i])
		}
		i++
	}
	return []byte(b.String())
}

func (t *text) replace(from, to int, s string) { t.edits = append(t.edits, edit{from, to, s}) }

func indentOf(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// scanEnd returns the line after the last one of what starts on line start
// at column col (0-based): the lines indented further, and, when seqAtCol,
// list items ("- ") at col itself (a list under a key, not indented).
// Comment lines indented further belong to it; blank lines and comments at
// col or less that end it belong to what follows.
func (t *text) scanEnd(start, col int, seqAtCol bool) int {
	end := start + 1
	for i := start + 1; i < len(t.lines); i++ {
		l := strings.TrimRight(t.lines[i], "\r\n")
		tr := strings.TrimSpace(l)
		ind := indentOf(l)
		switch {
		case tr == "":
		case strings.HasPrefix(tr, "#"):
			if ind > col {
				end = i + 1
			}
		case ind > col, seqAtCol && ind == col && (tr == "-" || strings.HasPrefix(tr, "- ")):
			end = i + 1
		default:
			return end
		}
	}
	return end
}

// entryRange is the lines of the entry key: value of a block mapping.
func (t *text) entryRange(k, v *yaml.Node) (int, int) {
	start, col := k.Line-1, k.Column-1
	seqAtCol := false
	if v = resolve(v); isBlock(v, yaml.SequenceNode) {
		_, dash := t.itemStart(v.Content[0])
		seqAtCol = dash == col
	}
	return start, t.scanEnd(start, col, seqAtCol)
}

// itemStart returns the line and column of the dash of a block list's item.
func (t *text) itemStart(item *yaml.Node) (line, col int) {
	line = item.Line - 1
	if l := t.lines[line]; item.Column-1 <= len(l) {
		if i := strings.LastIndexByte(l[:item.Column-1], '-'); i >= 0 {
			return line, i
		}
	}
	for line > 0 { // "-" alone on its line, the item below it
		line--
		if tr := strings.TrimSpace(t.lines[line]); strings.HasPrefix(tr, "-") {
			return line, indentOf(t.lines[line])
		}
	}
	return item.Line - 1, item.Column - 1
}

func (t *text) itemRange(item *yaml.Node) (int, int, int) {
	line, col := t.itemStart(item)
	return line, t.scanEnd(line, col, false), col
}

// isBlock reports whether n is a non-empty block mapping or list of kind
// whose entries can be edited one by one.
func isBlock(n *yaml.Node, kind yaml.Kind) bool {
	return n != nil && n.Kind == kind && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0 &&
		!(kind == yaml.MappingNode && hasMerge(n))
}

// setValue makes the value of the entry k: v (of a block mapping) nv,
// touching only what differs.
func (t *text) setValue(k, v, nv *yaml.Node) {
	if same(v, nv) {
		return
	}
	switch {
	case v.Kind == yaml.AliasNode || v.Anchor != "":
		// Others may refer to it: write the value here in full.
	case isBlock(v, yaml.MappingNode) && nv.Kind == yaml.MappingNode && len(nv.Content) > 0:
		t.setMap(v, nv)
		return
	case isBlock(v, yaml.SequenceNode) && nv.Kind == yaml.SequenceNode && len(nv.Content) > 0:
		t.setSeq(v, nv)
		return
	}
	from, to := t.entryRange(k, v)
	t.replace(from, to, t.keepComment(from, to, entryText(k.Value, nv, k.Column-1, v)))
}

// keepComment puts the comment at the end of the one line [from, to) at
// the end of s, at the same column, when s is one line too.
func (t *text) keepComment(from, to int, s string) string {
	if to != from+1 || strings.Count(s, "\n") != 1 {
		return s
	}
	old := strings.TrimRight(t.lines[from], "\r\n")
	c := commentStart(old)
	if c < 0 {
		return s
	}
	s = strings.TrimSuffix(s, "\n")
	if n := commentStart(s); n >= 0 {
		s = strings.TrimRight(s[:n], " ")
	}
	pad := max(1, c-len(s))
	if c > len(s) && !strings.HasSuffix(old[:c], " ") {
		pad = 1
	}
	return s + strings.Repeat(" ", pad) + old[c:] + "\n"
}

// commentStart returns where a line's comment begins (a # after a space,
// outside quotes), or -1.
func commentStart(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		}
	}
	return -1
}

// setMap makes block mapping m hold the keys of nm: keys gone are removed,
// keys kept are set in place, new keys are added after the last.
func (t *text) setMap(m, nm *yaml.Node) {
	col := m.Content[0].Column - 1
	end := 0
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		from, to := t.entryRange(k, v)
		end = max(end, to)
		if _, nv := lookup(nm, k.Value); nv == nil {
			t.replace(from, to, "")
		} else {
			t.setValue(k, v, nv)
		}
	}
	for i := 0; i+1 < len(nm.Content); i += 2 {
		if k, _ := lookup(m, nm.Content[i].Value); k == nil {
			t.replace(end, end, entryText(nm.Content[i].Value, nm.Content[i+1], col, nil))
		}
	}
}

// setSeq makes block list s hold the items of ns: an item that changed is
// written again whole, in the style of the one it replaces.
func (t *text) setSeq(s, ns *yaml.Node) {
	end, col := 0, 0
	var last *yaml.Node
	drop := len(s.Content) - len(ns.Content) // items to remove, when ns is shorter
	j := 0
	for i, item := range s.Content {
		from, to, dash := t.itemRange(item)
		end, col, last = max(end, to), dash, item
		switch {
		case j >= len(ns.Content):
			t.replace(from, to, "")
		case same(item, ns.Content[j]):
			j++
		case drop > 0 && i+1 < len(s.Content) && same(s.Content[i+1], ns.Content[j]):
			// This item went and the next one moved up: remove only this one.
			t.replace(from, to, "")
			drop--
		default:
			nn := ns.Content[j]
			if nn.HeadComment != "" && nn.HeadComment == item.HeadComment {
				// The comment above the item is outside [from, to) and stays.
				c := *nn
				c.HeadComment = ""
				nn = &c
			}
			t.replace(from, to, t.keepComment(from, to, itemText(nn, dash, item)))
			j++
		}
	}
	for _, item := range ns.Content[j:] {
		t.replace(end, end, itemText(item, col, last))
	}
}

// insertEntry adds key: nv at the end of block mapping m (the document's
// root when m has no entries).
func (t *text) insertEntry(m *yaml.Node, key string, nv *yaml.Node) {
	col, end := 0, len(t.lines)
	if m != nil && len(m.Content) > 0 {
		col = m.Content[0].Column - 1
		end = 0
		for i := 0; i+1 < len(m.Content); i += 2 {
			_, to := t.entryRange(m.Content[i], m.Content[i+1])
			end = max(end, to)
		}
	}
	t.replace(end, end, entryText(key, nv, col, nil))
}

// entryText is "key: value" at column col, in the style of like (the value
// it replaces) where it has one.
func entryText(key string, nv *yaml.Node, col int, like *yaml.Node) string {
	style(nv, like, false)
	quoteAll(nv)
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{strNode(key), nv}}
	return encodeAt(m, col)
}

// itemText is "- value" at column col, in the style of like.
func itemText(nv *yaml.Node, col int, like *yaml.Node) string {
	style(nv, like, true)
	quoteAll(nv)
	s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{nv}}
	return encodeAt(s, col)
}

func encodeAt(n *yaml.Node, col int) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		panic("configedit: encoding a node built here: " + err.Error())
	}
	_ = enc.Close()
	pad := strings.Repeat(" ", col)
	lines := strings.SplitAfter(b.String(), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "")
}

// style chooses the styles of a new value: lists of plain values in flow
// style ([adult, gambling]); a map that is a list's item in flow style
// ({ block: [chat], outside: [...] }) when it is short and plain, unless the
// item it replaces (like) was written in block style; everything else in
// block style. A value replacing a flow one stays flow.
func style(n, like *yaml.Node, item bool) {
	if n.Kind == yaml.ScalarNode {
		quoteLikeHearth(n)
		return
	}
	if n.Style != 0 {
		return
	}
	if like = resolve(like); like != nil && like.Kind == n.Kind && like.Style&yaml.FlowStyle != 0 {
		n.Style = yaml.FlowStyle
		return
	}
	switch n.Kind {
	case yaml.SequenceNode:
		flow := true
		for _, c := range n.Content {
			flow = flow && c.Kind == yaml.ScalarNode
		}
		if flow {
			n.Style = yaml.FlowStyle
			for _, c := range n.Content {
				quoteLikeHearth(c)
			}
			return
		}
		var sibling *yaml.Node
		if like != nil && like.Kind == yaml.SequenceNode && len(like.Content) > 0 {
			sibling = like.Content[0]
		}
		for _, c := range n.Content {
			style(c, sibling, true)
		}
	case yaml.MappingNode:
		blockLike := like != nil && like.Kind == yaml.MappingNode
		if item && !blockLike && plainMap(n) {
			n.Style = yaml.FlowStyle
			for _, c := range n.Content {
				style(c, nil, false)
			}
			return
		}
		for i := 1; i < len(n.Content); i += 2 {
			var l *yaml.Node
			if blockLike {
				_, l = lookup(like, n.Content[i-1].Value)
			}
			style(n.Content[i], l, false)
		}
	}
}

// plainMap reports whether m holds only values and lists of values, and is
// short enough for one line.
func plainMap(m *yaml.Node) bool {
	size := 0
	for _, c := range m.Content {
		switch c.Kind {
		case yaml.ScalarNode:
			size += len(c.Value) + 2
		case yaml.SequenceNode:
			for _, x := range c.Content {
				if x.Kind != yaml.ScalarNode {
					return false
				}
				size += len(x.Value) + 2
			}
		default:
			return false
		}
	}
	return size <= 90
}

// quoteLikeHearth writes a new string that needs quotes in double quotes,
// as hearth.yaml's own examples do ("mon-fri 16:00-19:00"), not in the
// encoder's single quotes.
func quoteLikeHearth(n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.ShortTag() != "!!str" {
		return
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	c := *n // asked in a flow list, where the most values need quotes
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{&c}}
	if enc.Encode(seq) == nil && strings.HasPrefix(b.String(), "['") {
		n.Style = yaml.DoubleQuotedStyle
	}
}

func quoteAll(n *yaml.Node) {
	quoteLikeHearth(n)
	for _, c := range n.Content {
		quoteAll(c)
	}
}
