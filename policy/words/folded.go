package words

import (
	"fmt"
	"strconv"
	"time"
)

// Folded says that a device's flood of names was folded into one row of
// the journal: "alex-tablet looked up 12,000 made-up names under
// roblox.com in 4 seconds (folded)". under is the registrable domain ("":
// under several domains); span is from the first name folded to the last.
func Folded(device string, names int64, under string, span time.Duration) string {
	what := "made-up names"
	if names == 1 {
		what = "made-up name"
	}
	s := fmt.Sprintf("%s looked up %s %s", device, Thousands(names), what)
	if under != "" {
		s += " under " + under
	}
	return s + " " + Span(span) + " (folded)"
}

// Span is "in under a second", "in 4 seconds", "in 3 minutes", "over 2
// hours", "over 3 days".
func Span(d time.Duration) string {
	n := func(v int64, unit string) string {
		if v == 1 {
			return "1 " + unit
		}
		return strconv.FormatInt(v, 10) + " " + unit + "s"
	}
	switch {
	case d < time.Second:
		return "in under a second"
	case d < time.Minute:
		return "in " + n(int64((d+time.Second/2)/time.Second), "second")
	case d < time.Hour:
		return "in " + n(int64((d+time.Minute/2)/time.Minute), "minute")
	case d < 48*time.Hour:
		return "over " + n(int64((d+time.Hour/2)/time.Hour), "hour")
	}
	return "over " + n(int64((d+12*time.Hour)/(24*time.Hour)), "day")
}

// Thousands writes n with commas between thousands: 12,000.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
