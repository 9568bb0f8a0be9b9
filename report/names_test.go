package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDeviceNamesAsWritten: a device's name appears in the report exactly as
// the parent wrote it, in its heading and at the start of a sentence, and the
// bypass starter says the tries were blocked.
func TestDeviceNamesAsWritten(t *testing.T) {
	t.Parallel()
	loc := london(t)
	src := &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, []seed{
		{day: 2, hm: "12:00", dev: "alex-tablet", reason: "rule", cat: "bypass", svc: "doh-resolvers", attempts: 1},
		{day: 3, hm: "12:00", dev: "iPad Mini", client: "192.168.1.30", reason: "rule", cat: "bypass", svc: "doh-resolvers", attempts: 2},
	})}
	r, err := Build(context.Background(), src, weekOptions(loc))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, s := range r.Starters {
		if s.ID != StarterBypass {
			continue
		}
		if s.Title != "Tries to get round the filter" {
			t.Errorf("title = %q", s.Title)
		}
		for _, x := range s.Seen {
			seen = append(seen, x.Text)
		}
	}
	want := []string{
		"alex-tablet tried Public DNS-over-HTTPS resolvers, ways to get round the filter, once this week; each try was blocked.",
		"iPad Mini tried Public DNS-over-HTTPS resolvers, ways to get round the filter, twice this week; each try was blocked.",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("bypass starter says:\n  %s\nwant:\n  %s", strings.Join(seen, "\n  "), strings.Join(want, "\n  "))
	}
	var b bytes.Buffer
	if err := r.Text(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, name := range []string{"alex-tablet", "iPad Mini"} {
		if !strings.Contains(text, "\n"+name+"\n") {
			t.Errorf("text has no heading %q:\n%s", name, text)
		}
	}
	for _, bad := range []string{"ALEX-TABLET", "Alex-tablet", "IPAD MINI", "IPad"} {
		if strings.Contains(text, bad) {
			t.Errorf("text has %q: names are shown as written", bad)
		}
	}
}
