package words

import (
	"testing"
	"time"
)

func TestFolded(t *testing.T) {
	for _, c := range []struct {
		names int64
		under string
		span  time.Duration
		want  string
	}{
		{12_000, "roblox.com", 4 * time.Second, "alex-tablet looked up 12,000 made-up names under roblox.com in 4 seconds (folded)"},
		{1, "", 300 * time.Millisecond, "alex-tablet looked up 1 made-up name in under a second (folded)"},
		{1_234_567, "example.co.uk", 90 * time.Minute, "alex-tablet looked up 1,234,567 made-up names under example.co.uk over 2 hours (folded)"},
		{999, "x.com", 3 * 24 * time.Hour, "alex-tablet looked up 999 made-up names under x.com over 3 days (folded)"},
	} {
		if got := Folded("alex-tablet", c.names, c.under, c.span); got != c.want {
			t.Errorf("Folded(%d, %q, %v) = %q; want %q", c.names, c.under, c.span, got, c.want)
		}
	}
}
