package report

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/journal"
)

func pct(p int64) *int64 { return &p }

func TestBuildWeek(t *testing.T) {
	t.Parallel()
	r := weekReport(t)
	if !r.History {
		t.Errorf("History = false, want true")
	}
	if r.Dropped != 3 {
		t.Errorf("Dropped = %d, want 3", r.Dropped)
	}
	loc := london(t)
	if want := time.Date(2026, 3, 16, 1, 0, 0, 0, loc); !r.PreviousSince.Equal(want) {
		t.Errorf("PreviousSince = %s, want %s (167 hours before Since)", r.PreviousSince, want)
	}
	var names []string
	for _, d := range r.Devices {
		names = append(names, d.Name)
	}
	if want := []string{"Laptop", "Sam's phone", "Tablet", "unknown device 192.168.1.7"}; !slices.Equal(names, want) {
		t.Fatalf("devices = %q, want %q", names, want)
	}
	laptop, sam, tablet, unknown := r.Devices[0], r.Devices[1], r.Devices[2], r.Devices[3]

	t.Run("Tablet", func(t *testing.T) {
		d := tablet
		if d.Blocked != 64 {
			t.Errorf("Blocked = %d, want 64", d.Blocked)
		}
		checkChange(t, "total", d.Change, &Change{Previous: 47, Diff: 17, Percent: pct(36)})
		if want := (When{Bedtime: 23, Outside: 15, During: 15, Pause: 6, Anytime: 5}); d.When != want {
			t.Errorf("When = %+v, want %+v", d.When, want)
		}
		checkCounts(t, "categories", d.Categories, []Count{
			{ID: "chat", Name: "Chat and messaging", Attempts: 25, Change: &Change{Previous: 10, Diff: 15, Percent: pct(150)}},
			{ID: "gaming", Name: "Gaming", Attempts: 15, Change: &Change{Previous: 30, Diff: -15, Percent: pct(-50)}},
			{ID: "video", Name: "Video and streaming", Attempts: 15, Change: &Change{Previous: 0, Diff: 15}},
			{ID: "social", Name: "Social media", Attempts: 6, Change: &Change{Previous: 7, Diff: -1}},
			{ID: "adult", Name: "Adult content", Attempts: 2, Change: &Change{Previous: 0, Diff: 2}},
			{ID: "bypass", Name: "Filter bypass", Attempts: 1, Change: &Change{Previous: 0, Diff: 1}},
		})
		checkCounts(t, "services", d.Services, []Count{
			{ID: "discord", Name: "Discord", Attempts: 23},
			{ID: "roblox", Name: "Roblox", Attempts: 15},
			{ID: "youtube", Name: "YouTube", Attempts: 15},
			{ID: "tiktok", Name: "TikTok", Attempts: 6},
			{ID: "wizz", Name: "Wizz", Attempts: 2},
			{ID: "doh-resolvers", Name: "Public DNS-over-HTTPS resolvers", Attempts: 1},
		})
		var hours [24]int64
		hours[7], hours[10], hours[12], hours[16], hours[18], hours[20], hours[21], hours[22], hours[23] = 10, 15, 5, 2, 6, 2, 20, 3, 1
		if d.Hours != hours {
			t.Errorf("Hours = %v, want %v", d.Hours, hours)
		}
		if want := []HourCount{{21, 20}, {10, 15}, {7, 10}}; !slices.Equal(d.Busiest, want) {
			t.Errorf("Busiest = %v, want %v", d.Busiest, want)
		}
		if want := []Service{{"wizz", "Wizz"}}; !slices.Equal(d.New, want) {
			t.Errorf("New = %v, want %v", d.New, want)
		}
		if len(d.Allowed) != 0 {
			t.Errorf("Allowed = %v, want none", d.Allowed)
		}
	})

	t.Run("Sam's phone", func(t *testing.T) {
		d := sam
		if d.Blocked != 7 {
			t.Errorf("Blocked = %d, want 7", d.Blocked)
		}
		checkChange(t, "total", d.Change, &Change{Previous: 0, Diff: 7})
		if want := (When{Anytime: 7}); d.When != want {
			t.Errorf("When = %+v, want %+v", d.When, want)
		}
		checkCounts(t, "categories", d.Categories, []Count{
			{ID: "chat", Name: "Chat and messaging", Attempts: 7, Change: &Change{Previous: 0, Diff: 7}},
		})
		checkCounts(t, "services", d.Services, []Count{
			{ID: "discord", Name: "Discord", Attempts: 4},
			{ID: "random-video-chat", Name: "Random video chat (Omegle and its successors)", Attempts: 3},
		})
		if want := []HourCount{{16, 4}, {15, 3}}; !slices.Equal(d.Busiest, want) {
			t.Errorf("Busiest = %v, want %v", d.Busiest, want)
		}
		if want := []Service{{"random-video-chat", "Random video chat (Omegle and its successors)"}}; !slices.Equal(d.New, want) {
			t.Errorf("New = %v, want %v", d.New, want)
		}
		// homework.example is no catalogue service: not listed.
		checkCounts(t, "allowed", d.Allowed, []Count{
			{ID: "youtube", Name: "YouTube", Attempts: 70},
			{ID: "whatsapp", Name: "WhatsApp", Attempts: 30},
			{ID: "minecraft", Name: "Minecraft", Attempts: 12},
		})
	})

	t.Run("unknown device", func(t *testing.T) {
		d := unknown
		if d.Known || d.Client != "192.168.1.7" || d.Blocked != 5 {
			t.Errorf("Known, Client, Blocked = %v, %q, %d; want false, 192.168.1.7, 5", d.Known, d.Client, d.Blocked)
		}
		checkChange(t, "total", d.Change, &Change{Previous: 12, Diff: -7, Percent: pct(-58)})
		checkCounts(t, "categories", d.Categories, []Count{
			{ID: "social", Name: "Social media", Attempts: 5, Change: &Change{Previous: 12, Diff: -7, Percent: pct(-58)}},
		})
		if len(d.New) != 0 {
			t.Errorf("New = %v, want none (Instagram was seen before)", d.New)
		}
	})

	t.Run("Laptop", func(t *testing.T) {
		d := laptop
		if d.Blocked != 0 {
			t.Errorf("Blocked = %d, want 0", d.Blocked)
		}
		checkChange(t, "total", d.Change, &Change{Previous: 4, Diff: -4})
		checkCounts(t, "categories", d.Categories, []Count{
			{ID: "social", Name: "Social media", Attempts: 0, Change: &Change{Previous: 4, Diff: -4}},
		})
		if len(d.Services) != 0 || len(d.Busiest) != 0 {
			t.Errorf("Services, Busiest = %v, %v; want none", d.Services, d.Busiest)
		}
	})

	// The starters, each once, with what brought it up on each device (in
	// the devices' order); the laptop and the unknown device have none.
	checkStarters(t, r.Starters, map[string][]string{
		StarterStrangers: {
			"Sam's phone tried Random video chat (Omegle and its successors) 3 times this week.",
			"Tablet tried Wizz twice this week.",
		},
		StarterNightChat: {"Tablet tried Discord 23 times at bedtime or late at night (21:00 to 06:00) this week."},
		StarterGameChat: {
			"Sam's phone tried Discord 4 times around game time.",
			"Tablet tried Roblox 15 times this week.",
		},
		StarterNew: {
			"Sam's phone reached for Random video chat (Omegle and its successors) for the first time this week.",
			"Tablet reached for Wizz for the first time this week.",
		},
		StarterBypass: {"Tablet tried Public DNS-over-HTTPS resolvers, ways to get round the filter, once this week; each try was blocked."},
	})
	for _, s := range r.Starters {
		for _, seen := range s.Seen {
			if !strings.HasPrefix(seen.Text, seen.Device+" ") {
				t.Errorf("starter %s: seen %+v does not start with its device", s.ID, seen)
			}
		}
	}
}

func checkChange(t *testing.T, what string, got, want *Change) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s change = %s, want %s", what, fmtChange(got), fmtChange(want))
	}
}

func fmtChange(c *Change) string {
	if c == nil {
		return "nil"
	}
	p := "nil"
	if c.Percent != nil {
		p = itoa(*c.Percent)
	}
	return "{prev " + itoa(c.Previous) + " diff " + itoa(c.Diff) + " pct " + p + "}"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func checkCounts(t *testing.T, what string, got, want []Count) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d counts, want %d:\n got %s\nwant %s", what, len(got), len(want), fmtCounts(got), fmtCounts(want))
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s[%d] = %s, want %s", what, i, fmtCounts(got[i:i+1]), fmtCounts(want[i:i+1]))
		}
	}
}

func fmtCounts(cs []Count) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.ID+"/"+c.Name+"="+itoa(c.Attempts)+changeParen(c.Change))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// checkStarters checks that exactly the starters in want (ID -> seen
// texts; nil: not checked) are there, in the order they are shown, each
// with a title, 2 to 4 sentences and one question.
func checkStarters(t *testing.T, got []Starter, want map[string][]string) {
	t.Helper()
	var ids, wantIDs []string
	for _, s := range got {
		ids = append(ids, s.ID)
		var texts []string
		for _, seen := range s.Seen {
			texts = append(texts, seen.Text)
		}
		if w := want[s.ID]; w != nil && !slices.Equal(texts, w) {
			t.Errorf("starter %s: seen %q, want %q", s.ID, texts, w)
		}
		if s.Title == "" || len(s.Say) < 2 || len(s.Say) > 4 || !strings.HasSuffix(s.Ask, "?") || strings.Count(s.Ask, "?") != 1 {
			t.Errorf("starter %s: want a title, 2-4 sentences and one question; got %+v", s.ID, s)
		}
	}
	for _, id := range starterIDs {
		if _, ok := want[id]; ok {
			wantIDs = append(wantIDs, id)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("starters = %q, want %q", ids, wantIDs)
	}
}

// TestStarters gives each starter a week with only its trigger, and checks
// that only that starter appears. Each week's rows are also recorded two
// weeks earlier, so that nothing is new unless the case says so.
func TestStarters(t *testing.T) {
	t.Parallel()
	loc := london(t)
	since := time.Date(2026, 3, 2, 0, 0, 0, 0, loc) // a week without a clock change
	until := since.AddDate(0, 0, 7)
	kid := func(s seed) seed { s.dev = "Kid's tablet"; return s }
	tests := []struct {
		name    string
		week    []seed
		history []seed // default: the week's rows, two weeks earlier
		noHist  bool   // no history at all
		want    []string
	}{
		{
			name: "nothing to talk about",
			week: []seed{{day: 1, hm: "10:00", reason: "rule", mode: "during", cat: "video", svc: "youtube", attempts: 9}},
		},
		{
			name: "random video chat",
			week: []seed{{day: 2, hm: "15:00", reason: "rule", cat: "chat", svc: "random-video-chat", attempts: 3}},
			want: []string{StarterStrangers},
		},
		{
			name: "an app for meeting strangers",
			week: []seed{{day: 2, hm: "15:00", reason: "rule", cat: "chat", svc: "yubo", attempts: 1}},
			want: []string{StarterStrangers},
		},
		{
			name: "chat at bedtime",
			week: []seed{{day: 3, hm: "20:30", reason: "bedtime", cat: "chat", svc: "whatsapp", attempts: 5}},
			want: []string{StarterNightChat},
		},
		{
			name: "chat before 06:00",
			week: []seed{{day: 3, hm: "05:59", reason: "rule", cat: "chat", svc: "whatsapp", attempts: 1}},
			want: []string{StarterNightChat},
		},
		{
			name: "chat from 21:00",
			week: []seed{{day: 3, hm: "21:00", reason: "rule", cat: "chat", svc: "telegram", attempts: 1}},
			want: []string{StarterNightChat},
		},
		{
			name: "a chat app blocked as social at night",
			week: []seed{{day: 3, hm: "23:00", reason: "rule", cat: "social", svc: "snapchat", attempts: 2}},
			want: []string{StarterNightChat},
		},
		{
			name: "chat at 06:00 and 20:59 is not night",
			week: []seed{
				{day: 3, hm: "06:00", reason: "rule", cat: "chat", svc: "whatsapp", attempts: 1},
				{day: 3, hm: "20:59", reason: "rule", cat: "chat", svc: "whatsapp", attempts: 1},
			},
		},
		{
			name: "allowed chat at night is not a blocked try",
			week: []seed{{day: 3, hm: "23:00", action: "allow", cat: "chat", svc: "whatsapp", attempts: 8}},
		},
		{
			name: "a game with chat",
			week: []seed{{day: 4, hm: "17:00", reason: "rule", mode: "outside", cat: "gaming", svc: "epic-games", attempts: 4}},
			want: []string{StarterGameChat},
		},
		{
			name: "chat during gaming",
			week: []seed{
				{day: 4, hm: "16:00", action: "allow", cat: "gaming", svc: "nintendo", attempts: 6},
				{day: 4, hm: "16:30", reason: "rule", cat: "chat", svc: "discord", attempts: 2},
			},
			want: []string{StarterGameChat},
		},
		{
			name: "chat an hour after gaming",
			week: []seed{
				{day: 4, hm: "16:00", action: "allow", cat: "gaming", svc: "nintendo", attempts: 6},
				{day: 4, hm: "17:00", reason: "rule", cat: "chat", svc: "discord", attempts: 2},
			},
		},
		{
			name: "a game without open chat",
			week: []seed{{day: 4, hm: "17:00", reason: "rule", cat: "gaming", svc: "nintendo", attempts: 4}},
		},
		{
			name: "a bypass service",
			week: []seed{{day: 5, hm: "12:00", reason: "rule", cat: "bypass", svc: "doh-resolvers", attempts: 1}},
			want: []string{StarterBypass},
		},
		{
			name: "a bypass list entry",
			week: []seed{{day: 5, hm: "12:00", reason: "rule", cat: "bypass", name: "doh.small-resolver.example", attempts: 2}},
			want: []string{StarterBypass},
		},
		{
			name: "a pause is not getting round the filter",
			week: []seed{{day: 5, hm: "12:00", reason: "pause", cat: "social", svc: "tiktok", attempts: 9}},
		},
		{
			name:    "a new service",
			week:    []seed{{day: 6, hm: "14:00", reason: "rule", mode: "during", cat: "video", svc: "netflix", attempts: 2}},
			history: []seed{{day: -14, hm: "14:00", reason: "rule", cat: "video", svc: "youtube", attempts: 1}},
			want:    []string{StarterNew},
		},
		{
			name:    "a new allowed service",
			week:    []seed{{day: 6, hm: "14:00", action: "allow", cat: "video", svc: "netflix", attempts: 2}},
			history: []seed{{day: -14, hm: "14:00", reason: "rule", cat: "video", svc: "youtube", attempts: 1}},
			want:    []string{StarterNew},
		},
		{
			name:   "nothing is new without history",
			week:   []seed{{day: 6, hm: "14:00", reason: "rule", mode: "during", cat: "video", svc: "netflix", attempts: 2}},
			noHist: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seeds []seed
			for _, s := range tt.week {
				seeds = append(seeds, kid(s))
			}
			hist := tt.history
			if hist == nil && !tt.noHist {
				for _, s := range tt.week {
					s.day -= 14
					hist = append(hist, s)
				}
			}
			for _, s := range hist {
				seeds = append(seeds, kid(s))
			}
			src := &fakeSource{rows: rowsFrom(t, since, loc, seeds)}
			r, err := Build(context.Background(), src, Options{Since: since, Until: until, Location: loc})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Devices) != 1 {
				t.Fatalf("%d devices, want 1", len(r.Devices))
			}
			want := make(map[string][]string)
			for _, id := range tt.want {
				want[id] = nil
			}
			checkStarters(t, r.Starters, want)
		})
	}
}

func TestChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cur, prev int64
		want      string
	}{
		{5, 0, "+5"},
		{0, 4, "-4"},
		{15, 10, "+5 (+50%)"},
		{0, 12, "-12 (-100%)"},
		{10, 10, "no change"},
		{1, 3, "-2"},
		{64, 47, "+17 (+36%)"},
		{5, 12, "-7 (-58%)"},
		{203, 200, "+3 (+2%)"}, // 1.5% rounds away from zero
		{197, 200, "-3 (-2%)"},
		{9, 9, "no change"},
		{20, 9, "+11"}, // below minPercentBase: no percentage
	}
	for _, tt := range tests {
		if got := change(tt.cur, tt.prev).String(); got != tt.want {
			t.Errorf("change(%d, %d) = %q, want %q", tt.cur, tt.prev, got, tt.want)
		}
	}
}

func TestBuildOneDevice(t *testing.T) {
	t.Parallel()
	loc := london(t)
	src := &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, weekSeeds)}
	opts := weekOptions(loc)
	opts.Device = "192.168.1.7"
	r, err := Build(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Devices) != 1 || r.Devices[0].Name != "unknown device 192.168.1.7" || r.Devices[0].Blocked != 5 {
		t.Fatalf("devices = %+v, want only the unknown device with 5 tries", r.Devices)
	}
	if got := src.filters[0]; !reflect.DeepEqual(got, journal.Filter{Until: opts.Until, Device: "192.168.1.7"}) {
		t.Errorf("first filter = %+v, want rows of the device from the start of the journal", got)
	}

	// A device with no history of its own: the journal's other rows
	// still say that it was running, so what it reaches for is new.
	src = &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, []seed{
		{day: -20, hm: "10:00", dev: "Tablet", reason: "rule", cat: "chat", svc: "discord", attempts: 1},
		{day: 1, hm: "10:00", dev: "New phone", reason: "rule", cat: "chat", svc: "kik", attempts: 1},
	})}
	opts.Device = "New phone"
	r, err = Build(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.History || len(r.Devices) != 1 || !slices.Equal(r.Devices[0].New, []Service{{"kik", "Kik"}}) {
		t.Errorf("History %v, devices %+v; want history and Kik new", r.History, r.Devices)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	loc := london(t)
	opts := weekOptions(loc)
	broken := errors.New("disk on fire")
	if _, err := Build(context.Background(), &fakeSource{err: broken}, opts); !errors.Is(err, broken) {
		t.Errorf("Build with a failing source: %v, want it wrapped", err)
	}
	empty := opts
	empty.Until = empty.Since
	if _, err := Build(context.Background(), &fakeSource{}, empty); err == nil {
		t.Error("Build of an empty period: no error")
	}
	bad := opts
	bad.HelpCountries = []string{"gb", "fr"}
	if _, err := Build(context.Background(), &fakeSource{}, bad); err == nil || !strings.Contains(err.Error(), `"fr"`) {
		t.Errorf("Build with an unknown help country: %v, want an error naming it", err)
	}
}

func TestNoHistory(t *testing.T) {
	t.Parallel()
	loc := london(t)
	src := &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, []seed{
		{day: 1, hm: "22:00", dev: "Tablet", reason: "bedtime", cat: "chat", svc: "discord", attempts: 4},
	})}
	r, err := Build(context.Background(), src, weekOptions(loc))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Devices[0]
	if r.History || d.Change != nil || d.Categories[0].Change != nil || len(d.New) != 0 {
		t.Errorf("without history: History %v, Change %v, category change %v, New %v; want nothing compared, nothing new",
			r.History, d.Change, d.Categories[0].Change, d.New)
	}
	var b strings.Builder
	if err := r.Text(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "nothing to compare with yet") || strings.Contains(b.String(), "on the week before") {
		t.Errorf("text without history:\n%s", b.String())
	}
}
