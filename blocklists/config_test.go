package blocklists

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.txt")
	if err := os.WriteFile(file, []byte("a.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "gone.txt")
	ok := func(name string) SourceConfig { return SourceConfig{Name: name, Category: "ads", File: file} }

	tests := []struct {
		name    string
		cfg     Config
		want    map[string]string // key -> part of the message
		wantNot bool
	}{
		{name: "good", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			ok("a"),
			{Name: "b.2_x-y", Category: "adult", URL: "https://lists.example/b.txt", AllowShrink: true},
			{Name: "c", Category: "ads", Domains: []string{"ads.example", "||track.example^", "*.x.example"}, Subdomains: true},
		}}},
		{name: "refresh", cfg: Config{Refresh: 30 * time.Second},
			want: map[string]string{"lists.refresh": "30s is too short"}},
		{name: "missing file", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			{Name: "a", Category: "ads", File: missing},
		}}, want: map[string]string{"lists.sources[0].file": missing}},
		{name: "directory", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			{Name: "a", Category: "ads", File: dir},
		}}, want: map[string]string{"lists.sources[0].file": "not a regular file"}},
		{name: "duplicate names", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{ok("a"), ok("b"), ok("a")}},
			want: map[string]string{"lists.sources[2].name": `"a" is already the name of sources[0]`}},
		{name: "none set", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{{Name: "a", Category: "ads"}}},
			want: map[string]string{"lists.sources[0]": "exactly one of url, file and domains (0 set)"}},
		{name: "two set", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			{Name: "a", Category: "ads", File: file, URL: "https://x.example/"},
		}}, want: map[string]string{"lists.sources[0]": "(2 set)"}},
		{name: "bad url", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			{Name: "a", Category: "ads", URL: "ftp://x.example/list"},
			{Name: "b", Category: "ads", URL: "https:///list"},
		}}, want: map[string]string{"lists.sources[0].url": "http or https", "lists.sources[1].url": "no host"}},
		{name: "bad name and category", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			{Name: "My List", Category: "", File: file},
			{Category: "Ads!", File: file},
		}}, want: map[string]string{
			"lists.sources[0].name": "use only", "lists.sources[0].category": "missing",
			"lists.sources[1].name": "missing", "lists.sources[1].category": "use only",
		}},
		{name: "bad inline entry", cfg: Config{Refresh: time.Hour, Sources: []SourceConfig{
			{Name: "a", Category: "ads", Domains: []string{"good.example", "not a domain"}},
		}}, want: map[string]string{"lists.sources[0].domains[1]": `"not a domain"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.cfg.Validate("lists")
			got := map[string]string{}
			for _, err := range errs {
				var fe *fielderr.Error
				if !errors.As(err, &fe) {
					t.Fatalf("%v is not a *fielderr.Error", err)
				}
				got[fe.Key] = fe.Msg
			}
			for key, part := range tt.want {
				if !strings.Contains(got[key], part) {
					t.Errorf("%s: %q, want it to mention %q (all: %v)", key, got[key], part, errs)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d: %v", len(got), len(tt.want), errs)
			}
		})
	}
}

func TestValidateTooManySources(t *testing.T) {
	t.Parallel()
	var cfg Config
	cfg.Refresh = time.Hour
	for i := range MaxSources + 1 {
		cfg.Sources = append(cfg.Sources, SourceConfig{Name: "s" + strings.Repeat("x", i), Category: "ads", Domains: []string{"a.example"}})
	}
	errs := cfg.Validate("lists")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "lists.sources: 129 sources") {
		t.Errorf("errors %v", errs)
	}
}
