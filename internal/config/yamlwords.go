package config

import (
	"fmt"
	"strings"
)

// syntaxError words a YAML syntax error of data (the file name) as a parent
// can act on it: what is wrong, on which line, and what to write instead.
// yaml.v3 reports the line where the enclosing map or list began, so the
// line of a tab or of a line out of step with the others is found here.
// The parser's own words follow in brackets, for a search engine.
func syntaxError(name string, data []byte, err error) error {
	e, ok := yamlError(name, err).(*Error)
	if !ok {
		return yamlError(name, err)
	}
	msg := e.Err.Error()
	line := 0
	if _, l, found := strings.Cut(e.Where, name+":"); found {
		fmt.Sscan(l, &line)
	}
	at := func(n int) string {
		if n > 0 {
			return fmt.Sprintf("%s:%d", name, n)
		}
		return name
	}
	say := func(n int, format string, args ...any) error {
		return &Error{Where: at(n), Err: fmt.Errorf("%s (yaml: %s)", fmt.Sprintf(format, args...), msg)}
	}
	lines := strings.Split(string(data), "\n")
	switch {
	case strings.Contains(msg, "tab character") || strings.Contains(msg, "cannot start any token") && tabLine(lines) > 0:
		n := tabLine(lines)
		if n == 0 {
			n = line
		}
		return say(n, "line %d is indented with a tab: YAML needs spaces, so replace the tab with spaces lined up with the lines above", n)
	case strings.Contains(msg, "cannot start any token"):
		return say(line, "line %d has a character a value cannot start with (such as @ or `): put the value in quotes", line)
	case strings.Contains(msg, "expected ',' or ']'"):
		n := unclosed(lines, '[', ']', line)
		return say(n, "the list opened with [ on line %d is not closed: add the missing ] at its end, and commas between its items", n)
	case strings.Contains(msg, "expected ',' or '}'"):
		n := unclosed(lines, '{', '}', line)
		return say(n, "the map opened with { on line %d is not closed: add the missing } at its end, and commas between its entries", n)
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "expected '-' indicator"):
		if n := misindented(lines, line); n > 0 {
			return say(n, "line %d is not lined up with the lines above it: the keys of a section, and the dashes (-) of a list, must start in the same column as the others", n)
		}
		return say(line, "a line after line %d is not lined up with the lines above it: the keys of a section, and the dashes (-) of a list, must start in the same column as the others", line)
	case strings.Contains(msg, "unexpected end of stream"):
		return say(line, "the file ends inside quotes or brackets: a quote, ] or } opened before line %d is not closed", line)
	case strings.Contains(msg, "mapping values are not allowed"):
		return say(line, "a line has a second ':' after its key: put the value in quotes (key: \"a: b\")")
	}
	return e
}

// tabLine returns the first line (from 1) with a tab in its indentation, or 0.
func tabLine(lines []string) int {
	for i, l := range lines {
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(l) != "" {
			return i + 1
		}
	}
	return 0
}

// misindented returns the first line, from line from on, whose indentation
// matches no enclosing level of the lines before it (a key or a "- " one
// space off), or 0. It skips blank lines, comments and block texts (| or >);
// lines inside a flow list or quotes spanning lines may fool it, which is why
// the caller falls back to the parser's line.
func misindented(lines []string, from int) int {
	var levels []int // indentations of the enclosing lines, increasing
	block := -1      // indentation of the key of a block text being skipped
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		ind := len(l) - len(t)
		if block >= 0 {
			if ind > block {
				continue
			}
			block = -1
		}
		popped := false
		for len(levels) > 0 && levels[len(levels)-1] > ind {
			levels, popped = levels[:len(levels)-1], true
		}
		// Deeper than the enclosing level: fine only as the first line of
		// the value of the line before; back out to a column no line above
		// used: out of step.
		if len(levels) > 0 && levels[len(levels)-1] < ind && (popped || !opensLevel(lines, i)) && i+1 >= from {
			return i + 1
		}
		if len(levels) == 0 || levels[len(levels)-1] < ind {
			levels = append(levels, ind)
		}
		// "- key: v": the key sets a level of its own, after the dash.
		for strings.HasPrefix(t, "- ") || t == "-" {
			rest := strings.TrimLeft(t[1:], " ")
			if rest == "" || strings.HasPrefix(rest, "#") {
				break
			}
			ind += len(t) - len(rest)
			levels = append(levels, ind)
			t = rest
		}
		if v := strings.TrimSpace(stripComment(t)); strings.HasSuffix(v, "|") || strings.HasSuffix(v, ">") ||
			strings.HasSuffix(v, "|-") || strings.HasSuffix(v, ">-") {
			block = ind
		}
	}
	return 0
}

// opensLevel reports whether line i may be more indented than the line
// before it: that line ends a key with no value (its value follows), or ends
// in a dash.
func opensLevel(lines []string, i int) bool {
	for j := i - 1; j >= 0; j-- {
		p := strings.TrimSpace(stripComment(lines[j]))
		if p == "" {
			continue
		}
		return strings.HasSuffix(p, ":") || p == "-"
	}
	return false
}

func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}

// unclosed returns the first line (from 1) that opens a bracket (open) still
// open when the next line that is not more indented begins, or the end of
// the file: a list or map that runs on over several lines is indented below
// its key. It returns def if there is none.
func unclosed(lines []string, open, close byte, def int) int {
	for i := range lines {
		depth := 0
		quote := byte(0)
		for _, c := range []byte(stripComment(lines[i])) {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == open:
				depth++
			case c == close && depth > 0:
				depth--
			}
		}
		if depth == 0 {
			continue
		}
		ind := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		next := i + 1
		for next < len(lines) && (strings.TrimSpace(lines[next]) == "" || len(lines[next])-len(strings.TrimLeft(lines[next], " ")) > ind) {
			next++
		}
		if next == len(lines) || next == i+1 || !strings.ContainsRune(strings.Join(lines[i+1:next], "\n"), rune(close)) {
			return i + 1
		}
	}
	return def
}
