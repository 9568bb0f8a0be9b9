package blocklists

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

func writeList(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInlineAndSubdomains(t *testing.T) {
	t.Parallel()
	hosts := writeList(t, "# hosts\n0.0.0.0 hosts.example\n127.0.0.1 other.example\n")
	l, _, _ := testLists(t, "",
		SourceConfig{Name: "inline", Category: "ads", Domains: []string{"exact.example", "||wide.example^", "*.star.example"}},
		SourceConfig{Name: "widened", Category: "ads", Domains: []string{"widened.example", "@@|keep.widened.example^"}, Subdomains: true},
		SourceConfig{Name: "hosts", Category: "ads", File: hosts},
		SourceConfig{Name: "hosts-wide", Category: "malware", File: hosts, Subdomains: true},
	)
	c := mustCompile(t, l)
	for _, tc := range []struct {
		name string
		want []string // source names that block it
	}{
		{"exact.example", []string{"inline"}},
		{"sub.exact.example", nil}, // plain domains are exact
		{"wide.example", []string{"inline"}},
		{"a.b.wide.example", []string{"inline"}},
		{"x.star.example", []string{"inline"}},
		{"widened.example", []string{"widened"}},
		{"sub.widened.example", []string{"widened"}},
		{"keep.widened.example", nil},                     // an exact exception stays exact...
		{"sub.keep.widened.example", []string{"widened"}}, // ...so it does not widen
		{"hosts.example", []string{"hosts", "hosts-wide"}},
		{"sub.hosts.example", []string{"hosts-wide"}},
		{"other.example", []string{"hosts", "hosts-wide"}},
	} {
		var got []string
		m := c.Matcher.Match(tc.name)
		for _, info := range c.Sources {
			if m.Block.Has(info.ID) {
				got = append(got, info.Name)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: blocked by %v, want %v", tc.name, got, tc.want)
		}
	}
}

// testCatalogue has two services and a category with public lists.
func testCatalogue(listURL string) *Catalogue {
	return &Catalogue{
		Categories: []Category{
			{ID: "chat", Name: "Chat"},
			{ID: "gaming", Name: "Gaming"},
			{ID: "adult", Name: "Adult", Lists: []PublicList{{Name: "Some List", URL: listURL}}},
		},
		Services: []Service{
			{ID: "discord", Name: "Discord", Categories: []string{"chat", "gaming"}, Domains: []string{"discord.com", "Discord.GG."}},
			{ID: "roblox", Name: "Roblox", Categories: []string{"gaming"}, Domains: []string{"roblox.com"}},
		},
	}
}

func TestCatalogueSources(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "adult.example\n")
	l, err := New(Config{Refresh: time.Hour, Sources: []SourceConfig{
		{Name: "mine", Category: "ads", Domains: []string{"ads.example"}},
	}}, Options{Dir: t.TempDir(), Catalogue: testCatalogue(srv.URL), Categories: []string{"adult"}})
	if err != nil {
		t.Fatal(err)
	}
	mustRefresh(t, l, true)
	c := mustCompile(t, l)
	want := []SourceInfo{
		{ID: 0, Name: "discord", Kind: KindService, Service: "discord", Categories: []string{"chat", "gaming"}},
		{ID: 1, Name: "roblox", Kind: KindService, Service: "roblox", Categories: []string{"gaming"}},
		{ID: 2, Name: "background", Kind: KindBackground},
		{ID: 3, Name: "adult/Some List", Kind: KindCategoryList, Categories: []string{"adult"}},
		{ID: 4, Name: "mine", Kind: KindList, Categories: []string{"ads"}},
	}
	if len(c.Sources) != len(want) {
		t.Fatalf("sources %+v", c.Sources)
	}
	for i, w := range want {
		g := c.Sources[i]
		if g.ID != w.ID || g.Name != w.Name || g.Kind != w.Kind || g.Service != w.Service || !slices.Equal(g.Categories, w.Categories) {
			t.Errorf("source %d = %+v, want %+v", i, g, w)
		}
	}
	for name, id := range map[string]SourceID{
		"discord.com": 0, "cdn.discord.gg": 0, "www.roblox.com": 1, "adult.example": 3, "ads.example": 4,
	} {
		m := c.Matcher.Match(name)
		var only Sources
		only.Add(id)
		if m.Block != only {
			t.Errorf("%s: blocked by %v, want source %d only", name, m.Block, id)
		}
	}
	if st := l.Status(); len(st) != 4 || st[0].Entries != 2 || st[2].Entries != 1 || st[2].URL != srv.URL {
		t.Errorf("status %+v", st)
	}

	if _, err := New(Config{Refresh: time.Hour}, Options{Catalogue: testCatalogue(srv.URL), Categories: []string{"nope"}}); err == nil ||
		!strings.Contains(err.Error(), `"nope" is not a catalogue category`) {
		t.Errorf("unknown category: %v", err)
	}
	if _, err := New(Config{Refresh: time.Hour}, Options{Catalogue: testCatalogue(srv.URL), Categories: []string{"adult"}}); err == nil ||
		!strings.Contains(err.Error(), "no directory") {
		t.Errorf("no Dir: %v", err)
	}
}

func TestTooManySourcesWithServices(t *testing.T) {
	t.Parallel()
	cat := testCatalogue("")
	for i := range MaxSources { // + 2 services + the background source
		cat.Services = append(cat.Services, Service{ID: "s" + strings.Repeat("x", i), Domains: []string{"a.example"}})
	}
	_, err := New(Config{Refresh: time.Hour}, Options{Catalogue: cat})
	if err == nil || !strings.Contains(err.Error(), "131 sources") {
		t.Errorf("New: %v", err)
	}
}

func TestStatusOfFile(t *testing.T) {
	t.Parallel()
	path := writeList(t, "# a list\n\na.example\nb.example\nnot a rule\n@@||ok.b.example^\nalso bad\n||c.example^\n")
	mtime := t0.Add(-3 * time.Hour)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(t0)
	l, err := New(Config{Refresh: time.Hour, Sources: []SourceConfig{
		{Name: "f", Category: "ads", File: path},
		{Name: "inline", Category: "ads", Domains: []string{"x.example", "bad one"}},
	}}, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	mustCompile(t, l)
	st := statusOf(t, l, "f")
	if st.Kind != KindList || st.File != path || !slices.Equal(st.Categories, []string{"ads"}) {
		t.Errorf("identity: %+v", st)
	}
	if st.Entries != 3 || st.Exceptions != 1 || st.Skipped != 2 || !slices.Equal(st.SkippedLines, []int{5, 7}) {
		t.Errorf("figures: entries %d, exceptions %d, skipped %d at %v", st.Entries, st.Exceptions, st.Skipped, st.SkippedLines)
	}
	if !st.LastUpdate.Equal(mtime) || st.Age != 3*time.Hour || st.LastError != "" {
		t.Errorf("update %v, age %v, error %q", st.LastUpdate, st.Age, st.LastError)
	}
	in := statusOf(t, l, "inline")
	if in.Inline != 2 || in.Entries != 1 || !slices.Equal(in.SkippedLines, []int{2}) || !in.LastUpdate.IsZero() {
		t.Errorf("inline: %+v", in)
	}

	// The file disappears: it is left out, the rest still compiles.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	c := mustCompile(t, l)
	if blocks(c, "a.example") || !blocks(c, "x.example") {
		t.Errorf("after the file went: a %v, x %v", blocks(c, "a.example"), blocks(c, "x.example"))
	}
	if st := statusOf(t, l, "f"); !strings.Contains(st.LastError, "no such file") {
		t.Errorf("LastError %q", st.LastError)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "||example.com^\n")
	l, err := New(Config{Refresh: time.Hour, Sources: []SourceConfig{
		{Name: "wide", Category: "ads", Domains: []string{"||b.example.com^"}},
		{Name: "exact", Category: "ads", Domains: []string{"a.b.example.com", "b.example.com"}},
		{Name: "excepted", Category: "malware", Domains: []string{"||example.com^", "@@||b.example.com^"}},
		{Name: "self", Category: "malware", Domains: []string{"||a.b.example.com^"}},
	}}, Options{Dir: t.TempDir(), Catalogue: &Catalogue{
		Categories: []Category{{ID: "adult", Lists: []PublicList{{Name: "p", URL: srv.URL}}}},
		Services:   []Service{{ID: "svc", Categories: []string{"social"}, Domains: []string{"example.com"}}},
	}, Categories: []string{"adult"}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mustRefresh(t, l, true)
	c := mustCompile(t, l)

	var got []string
	for _, e := range c.Explain("A.B.Example.COM.") {
		got = append(got, e.Source.Name+" "+e.Rule())
	}
	want := []string{
		"svc ||example.com^",
		"adult/p ||example.com^",
		"wide ||b.example.com^",
		"exact a.b.example.com",
		"self ||a.b.example.com^",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Explain:\n got %q\nwant %q", got, want)
	}
	if e := c.Explain("example.org"); e != nil {
		t.Errorf("unlisted name: %v", e)
	}
	if e := c.Explain("x.b.example.com"); len(e) != 3 { // svc, adult/p, wide
		t.Errorf("x.b.example.com: %v", e)
	}
}

// The background source marks the services' background hosts (and their
// subdomains) in a name's Match, blocks nothing on its own (Explain and
// Status leave it out), and is numbered in Compiled.Background.
func TestBackgroundSource(t *testing.T) {
	t.Parallel()
	cat := testCatalogue("")
	cat.Services[0].Background = []string{"gateway.discord.gg"}
	cat.Services[1].Background = []string{"push.roblox.com", "metrics.roblox.com"}
	l, err := New(Config{Refresh: time.Hour}, Options{Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	c := mustCompile(t, l)
	if !c.HasBackground || c.Sources[c.Background].Kind != KindBackground || c.Sources[c.Background].Name != BackgroundSource {
		t.Fatalf("background source: %v %d %+v", c.HasBackground, c.Background, c.Sources)
	}
	for name, want := range map[string]bool{
		"push.roblox.com": true, "eu.push.roblox.com": true, "metrics.roblox.com": true,
		"gateway.discord.gg": true, "www.roblox.com": false, "roblox.com": false, "discord.gg": false,
		"push.roblox.com.example": false,
	} {
		m := c.Matcher.Match(name)
		if got := m.Block.Has(c.Background); got != want {
			t.Errorf("%s: background %v, want %v", name, got, want)
		}
	}
	// Still the service's own name: a rule naming roblox blocks it.
	if m := c.Matcher.Match("push.roblox.com"); !m.Block.Has(1) {
		t.Errorf("push.roblox.com: not in roblox's source: %v", m.Block)
	}
	for _, e := range c.Explain("push.roblox.com") {
		if e.Source.Kind == KindBackground {
			t.Errorf("Explain names the background source: %+v", e)
		}
	}
	if ex := c.Explain("push.roblox.com"); len(ex) != 1 || ex[0].Source.Service != "roblox" {
		t.Errorf("Explain = %+v, want roblox only", ex)
	}
	for _, st := range l.Status() {
		if st.Kind == KindBackground || st.Name == BackgroundSource {
			t.Errorf("Status reports the background source: %+v", st)
		}
	}
}
