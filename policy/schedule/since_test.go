package schedule

import (
	"testing"
	"time"
)

// TestSince: the start of the state an instant is in, around midnight and
// the autumn change, and agreeing with Next.
func TestSince(t *testing.T) {
	s := NewSchedule(mustZone(t, "Europe/London"), mustWindows(t, "sun-thu 21:30-07:00", "fri,sat 00:30-08:00"))
	for _, c := range []struct{ at, want string }{
		{"2026-11-30T21:30:00Z", "2026-11-30T21:30:00Z"}, // at the start
		{"2026-11-30T23:59:00Z", "2026-11-30T21:30:00Z"},
		{"2026-12-01T03:00:00Z", "2026-11-30T21:30:00Z"}, // after midnight
		{"2026-12-01T07:00:00Z", "2026-12-01T07:00:00Z"}, // inactive from the end
		{"2026-12-01T12:00:00Z", "2026-12-01T07:00:00Z"},
		// Saturday 24 October: 00:30 BST is 23:30Z on the 23rd; Sunday's
		// 21:30 is GMT after the change.
		{"2026-10-24T01:00:00Z", "2026-10-23T23:30:00Z"},
		{"2026-10-24T06:59:00Z", "2026-10-23T23:30:00Z"}, // 07:59 BST
		{"2026-10-25T12:00:00Z", "2026-10-24T07:00:00Z"}, // no Saturday-night window: since Saturday 08:00 BST
		{"2026-10-25T22:00:00Z", "2026-10-25T21:30:00Z"}, // Sunday 21:30 GMT, after the change
	} {
		at := mustInstant(t, c.at)
		got := s.Since(at)
		if want := mustInstant(t, c.want); !got.Equal(want) {
			t.Errorf("Since(%s) = %v, want %v", c.at, got.UTC(), want)
		}
		if s.Active(got) != s.Active(at) || !s.Next(got.Add(-time.Second)).Equal(got) {
			t.Errorf("Since(%s) = %v does not agree with Active/Next", c.at, got)
		}
	}
}
