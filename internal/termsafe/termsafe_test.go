package termsafe

import (
	"bytes"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"alex-tablet", "alex-tablet"},
		{"Zoë's iPad", "Zoë's iPad"},
		{"evil\x1b[2J\x1b[31mred", `evil\x1b[2J\x1b[31mred`},
		{"bell\x07", `bell\x07`},
		{"del\x7f", `del\x7f`},
		{"c1\u009bX", `c1\u009bX`},
		{"abc\u202edcb", `abc\u202edcb`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
		{"line\nnext\ttab", "line\nnext\ttab"},
		{"bad\xffutf8", `bad\xffutf8`},
		{"cr\rover", `cr\x0dover`},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestWriterSplitCharacter: a character cut in two by the end of one Write
// is written whole with the next, not escaped as invalid.
func TestWriterSplitCharacter(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := NewWriter(&out)
	s := []byte("Zoë \u202e\x1b\n")
	for i := range s {
		if n, err := w.Write(s[i : i+1]); n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if want := "Zoë \\u202e\\x1b\n"; out.String() != want {
		t.Errorf("written %q, want %q", out.String(), want)
	}
}
