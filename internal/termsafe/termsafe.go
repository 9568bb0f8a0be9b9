// Package termsafe keeps what Hearth prints to a terminal from steering the
// terminal: device names (set on the dashboard, or taken from DHCP leases),
// names looked up and list entries come from the network, and an escape
// sequence or a bidirectional override inside one could rewrite the screen,
// ring the bell or reorder what a parent reads. Writer shows such
// characters as escapes instead ("\x1b", "\u202e"), keeping newlines and
// tabs.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Writer escapes control characters in what is written through it.
type Writer struct {
	w     io.Writer
	carry []byte // the start of a character cut by the end of a Write
	buf   []byte
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p to the underlying writer with unsafe characters escaped.
// It reports len(p) written when the underlying write succeeds.
func (t *Writer) Write(p []byte) (int, error) {
	in := p
	if len(t.carry) > 0 {
		in = append(t.carry, p...)
		t.carry = nil
	}
	t.buf = t.buf[:0]
	for len(in) > 0 {
		r, size := utf8.DecodeRune(in)
		if r == utf8.RuneError && size <= 1 && !utf8.FullRune(in) && len(in) < utf8.UTFMax {
			t.carry = append([]byte(nil), in...) // wait for the rest of the character
			break
		}
		t.buf = appendSafe(t.buf, in[:size], r, size)
		in = in[size:]
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// String returns s with unsafe characters escaped, for a single value.
func String(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b = appendSafe(b, []byte(s[i:i+size]), r, size)
		i += size
	}
	return string(b)
}

func needsEscape(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unsafeRune(r) && r != '\n' && r != '\t' }) >= 0 || !utf8.ValidString(s)
}

// appendSafe appends one decoded character (its bytes raw) to b, escaped
// if it is unsafe.
func appendSafe(b, raw []byte, r rune, size int) []byte {
	switch {
	case r == utf8.RuneError && size == 1: // not UTF-8
		return fmt.Appendf(b, `\x%02x`, raw[0])
	case r == '\n' || r == '\t':
		return append(b, raw...)
	case r < 0x80 && unsafeRune(r):
		return fmt.Appendf(b, `\x%02x`, r)
	case unsafeRune(r):
		return fmt.Appendf(b, `\u%04x`, r)
	}
	return append(b, raw...)
}

// unsafeRune reports the characters a terminal acts on: C0 controls, DEL,
// C1 controls, and the bidirectional embeddings, overrides and isolates.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
