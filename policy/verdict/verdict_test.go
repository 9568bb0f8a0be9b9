package verdict

import (
	"math"
	"testing"
	"time"
)

func TestNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for a := Allow; a <= Rewrite; a++ {
		if got, err := ParseAction(a.String()); err != nil || got != a {
			t.Errorf("ParseAction(%q) = %v, %v", a.String(), got, err)
		}
	}
	for r := ReasonNone; r <= ReasonSafeSearch; r++ {
		if got, err := ParseReason(r.String()); err != nil || got != r {
			t.Errorf("ParseReason(%q) = %v, %v", r.String(), got, err)
		}
	}
	for m := ModeAlways; m <= ModeDuring; m++ {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if m, err := ParseMode(""); err != nil || m != ModeAlways {
		t.Errorf(`ParseMode("") = %v, %v; want always`, m, err)
	}
	if _, err := ParseReason("holiday"); err == nil {
		t.Error("ParseReason accepted an unknown name")
	}
	if _, err := ParseAction(""); err == nil {
		t.Error("ParseAction accepted an empty name")
	}
	if _, err := ParseMode("sometimes"); err == nil {
		t.Error("ParseMode accepted an unknown name")
	}
	if s := Reason(200).String(); s != "reason(200)" {
		t.Errorf("Reason(200) = %q", s)
	}
}

func TestTTL(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC)
	cases := []struct {
		ttl  uint32
		t    time.Time
		want uint32
	}{
		{300, time.Time{}, 300},
		{300, now.Add(90 * time.Second), 90},
		{300, now.Add(1500 * time.Millisecond), 2}, // rounded up
		{300, now.Add(-time.Minute), 1},            // already past: at least 1
		{60, now.Add(time.Hour), 60},
		{0, now.Add(time.Minute), 0},
	}
	for _, c := range cases {
		if got := CapTTL(c.ttl, now, c.t); got != c.want {
			t.Errorf("CapTTL(%d, +%v) = %d, want %d", c.ttl, c.t.Sub(now), got, c.want)
		}
	}
	if got := TTLUntil(now, time.Time{}); got != math.MaxUint32 {
		t.Errorf("TTLUntil(zero) = %d", got)
	}
	if got := TTLUntil(now, now.Add(200*365*24*time.Hour)); got != math.MaxUint32 {
		t.Errorf("TTLUntil(far future) = %d, want the maximum", got)
	}
}
