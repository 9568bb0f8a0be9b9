package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
)

// compiled builds the real catalogue plus two inline lists.
func compiled(t *testing.T) *blocklists.Compiled {
	t.Helper()
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour, Sources: []blocklists.SourceConfig{
		{Name: "extra-ads", Category: "ads", Domains: []string{"||ads.example^", "pixel.example", "@@||ok.ads.example^"}},
		{Name: "homework", Category: "distractions", Domains: []string{"||puzzles.example^"}},
	}}, blocklists.Options{Dir: t.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecide(t *testing.T) {
	e := NewEngine(Config{Blocking: BlockingConfig{Block: []string{"gaming", "tiktok", "ads"}, Response: ResponseNXDomain, TTL: 10 * time.Second}})
	if d := e.Decide("roblox.com."); d.Action != Allow {
		t.Errorf("before any lists: %+v, want allow", d)
	}
	e.SetLists(compiled(t))
	for _, tc := range []struct {
		name string
		want Decision
	}{
		{"www.roblox.com.", Decision{Action: Block, Reason: ReasonService, Category: "gaming", Service: "roblox", Rule: "||roblox.com^"}},
		{"minecraft.net", Decision{Action: Block, Reason: ReasonService, Category: "gaming", Service: "minecraft", Rule: "||minecraft.net^"}},
		{"v16.tiktokcdn.com.", Decision{Action: Block, Reason: ReasonService, Category: "social", Service: "tiktok", Rule: "||tiktokcdn.com^"}},
		{"x.ads.example.", Decision{Action: Block, Reason: ReasonList, Category: "ads", List: "extra-ads", Rule: "||ads.example^"}},
		{"pixel.example.", Decision{Action: Block, Reason: ReasonList, Category: "ads", List: "extra-ads", Rule: "pixel.example"}},
		{"ok.ads.example.", Decision{}},    // the list's own exception
		{"sub.pixel.example.", Decision{}}, // exact entry
		{"discord.com.", Decision{}},       // chat is not blocked
		{"www.instagram.com.", Decision{}}, // social is not, only tiktok
		{"puzzles.example.", Decision{}},   // a list category nobody blocks
		{"example.org.", Decision{}},       // on no list
		{"notroblox.com.", Decision{}},     // a suffix, not a subdomain
		{"roblox.com.evil.example.", Decision{}},
	} {
		got := e.Decide(tc.name)
		if got.Action == Block {
			if got.Response != ResponseNXDomain || got.TTL != 10 {
				t.Errorf("%s: response %q TTL %d", tc.name, got.Response, got.TTL)
			}
			got.Response, got.TTL = "", 0
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestSetConfigAppliesToCurrentLists(t *testing.T) {
	e := NewEngine(Config{Blocking: BlockingConfig{Block: []string{"chat"}, Response: ResponseNullIP}})
	e.SetLists(compiled(t))
	if d := e.Decide("discord.gg"); d.Action != Block || d.Service != "discord" {
		t.Fatalf("chat blocked: %+v", d)
	}
	e.SetConfig(Config{Blocking: BlockingConfig{Block: []string{"distractions"}, Response: ResponseNullIP}})
	if d := e.Decide("discord.gg"); d.Action != Allow {
		t.Errorf("after unblocking chat: %+v", d)
	}
	if d := e.Decide("www.puzzles.example"); d.Action != Block || d.Category != "distractions" || d.List != "homework" {
		t.Errorf("after blocking distractions: %+v", d)
	}
}

func TestDecisionDoesNotKeepTheName(t *testing.T) {
	e := NewEngine(Config{Blocking: BlockingConfig{Block: []string{"ads"}, Response: ResponseNullIP}})
	e.SetLists(compiled(t))
	buf := []byte("pixel.example.")
	d := e.Decide(string(buf))
	copy(buf, "XXXXXXXXXXXXXX")
	if d.Rule != "pixel.example" {
		t.Errorf("rule %q changed with the caller's buffer", d.Rule)
	}
}

func TestValidate(t *testing.T) {
	cat := blocklists.Builtin()
	errs := Config{Blocking: BlockingConfig{Block: []string{"gaming", "minecraft", "ads", "gamng", "fortnite-x"}, Response: "drop", TTL: 2 * time.Hour}}.
		Validate(cat, []string{"ads"})
	var text []string
	for _, err := range errs {
		text = append(text, err.Error())
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"blocking.response", "blocking.ttl", "blocking.block[3]", "gaming", "blocking.block[4]"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors do not mention %q:\n%s", want, all)
		}
	}
	if len(errs) != 4 {
		t.Errorf("%d errors, want 4:\n%s", len(errs), all)
	}
	if errs := (Config{Blocking: BlockingConfig{Block: []string{"chat", "tiktok"}, Response: ResponseNullIP, TTL: 10 * time.Second}}).Validate(cat, nil); len(errs) != 0 {
		t.Errorf("valid config: %v", errs)
	}
	if got := (Config{Blocking: BlockingConfig{Block: []string{"adult", "tiktok", "gaming"}}}).Categories(cat); strings.Join(got, ",") != "adult,gaming" {
		t.Errorf("Categories = %v", got)
	}
}

func BenchmarkDecide(b *testing.B) {
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour}, blocklists.Options{Dir: b.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		b.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(Config{Blocking: BlockingConfig{Block: []string{"gaming", "social"}, Response: ResponseNullIP}})
	e.SetLists(c)
	for _, name := range []string{"www.example.com.", "www.roblox.com."} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Decide(name)
			}
		})
	}
}
