package suggest

import "testing"

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"gaming", "gaming", 0}, {"gamng", "gaming", 1}, {"sever", "servers", 2}, {"", "abc", 3}, {"kitten", "sitting", 3}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	opts := []string{"gaming", "chat", "social", "video", "kids", "kidz"}
	for _, tc := range []struct{ s, want string }{
		{"gamng", "gaming"},  // one edit
		{"socail", "social"}, // a swap is two edits
		{"kid", "kids"},      // a tie with "kidz" goes to the one that sorts first
		{"xyz", ""},          // nothing near
		{"", ""},             // within two edits of nothing in opts: all are longer
		{"streaming", ""},    // 9 letters allow 2 edits; "gaming" is 4 away
	} {
		if got := Closest(tc.s, opts); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
	if got := Closest("x", nil); got != "" {
		t.Errorf("Closest with no options = %q", got)
	}
}
