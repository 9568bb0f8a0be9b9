package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// env returns an Environ function for the given NAME=value pairs.
func env(kv ...string) func() []string { return func() []string { return kv } }

// writeConfig writes content to hearth.yaml in a new temporary directory.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// flags returns a FlagSet from AddFlags, parsed from args.
func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

// problems returns the problems in err as strings, with dir removed from
// file names.
func problems(err error, dir string) []string {
	var out []string
	for _, p := range Problems(err) {
		s := p.Error()
		if dir != "" {
			s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
		}
		out = append(out, s)
	}
	return out
}

func TestDefaultLoadsAndValidates(t *testing.T) {
	t.Parallel()
	cfg, src, err := Load(LoadOptions{Search: []string{}, Environ: env()})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := src.String(); got != "embedded default" {
		t.Errorf("source = %q, want embedded default", got)
	}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Errorf("Validate: %v", errs)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"schema_version", cfg.SchemaVersion, 1},
		{"listen", cfg.Listen, []string{":53"}},
		{"allow_clients", len(cfg.AllowClients), 8},
		{"udp_size", cfg.UDPSize, 1232},
		{"upstreams.servers", cfg.Upstreams.Servers, []string{"tls://dns.quad9.net", "https://dns.quad9.net/dns-query"}},
		{"upstreams.strategy", cfg.Upstreams.Strategy, "fastest"},
		{"upstreams.timeout", cfg.Upstreams.Timeout, 2 * time.Second},
		{"upstreams.bootstrap", cfg.Upstreams.Bootstrap, []string{"9.9.9.9", "149.112.112.112"}},
		{"cache.size", cfg.Cache.Size, 20000},
		{"cache.min_ttl", cfg.Cache.MinTTL, time.Duration(0)},
		{"cache.max_ttl", cfg.Cache.MaxTTL, 24 * time.Hour},
		{"cache.negative_ttl", cfg.Cache.NegativeTTL, time.Hour},
		{"cache.prefetch", cfg.Cache.Prefetch, true},
		{"cache.serve_stale", cfg.Cache.ServeStale, true},
		{"cache.stale_max_age", cfg.Cache.StaleMaxAge, 24 * time.Hour},
		{"local.router", cfg.Local.Router, ""},
		{"local.domains", cfg.Local.Domains, []string{"lan", "internal"}},
		{"log.level", cfg.Log.Level, "info"},
		{"log.format", cfg.Log.Format, "auto"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestLoadLayers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string // "" for no file
		env   []string
		args  []string
		check func(t *testing.T, c *Config)
		src   string // Source.String() with the temp dir removed
	}{
		{
			name: "file overrides default",
			file: "listen: [\"127.0.0.1:5353\"]\ncache:\n  size: 100\n  max_ttl: 1h\nupstreams:\n  timeout: 500ms\nlocal:\n  router: 192.168.1.1\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "listen", c.Listen, []string{"127.0.0.1:5353"})
				eq(t, "cache.size", c.Cache.Size, 100)
				eq(t, "cache.max_ttl", c.Cache.MaxTTL, time.Hour)
				eq(t, "cache.negative_ttl (default kept)", c.Cache.NegativeTTL, time.Hour)
				eq(t, "upstreams.timeout", c.Upstreams.Timeout, 500*time.Millisecond)
				eq(t, "upstreams.strategy (default kept)", c.Upstreams.Strategy, "fastest")
				eq(t, "local.router", c.Local.Router, "192.168.1.1")
			},
			src: "hearth.yaml",
		},
		{
			name: "a string for a list of strings is a one-item list",
			file: "listen: \"127.0.0.1:5353\"\nlocal:\n  domains: home\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "listen", c.Listen, []string{"127.0.0.1:5353"})
				eq(t, "local.domains", c.Local.Domains, []string{"home"})
			},
			src: "hearth.yaml",
		},
		{
			name: "env overrides default: scalars, lists and durations",
			env: []string{
				"HEARTH_LISTEN=127.0.0.1:5353",
				"HEARTH_CACHE_SIZE=100",
				"HEARTH_UPSTREAMS_SERVERS=udp://127.0.0.1:5300, tls://x",
				"HEARTH_UPSTREAMS_TIMEOUT=1.5s",
				"HEARTH_CACHE_PREFETCH=false",
				"HEARTH_LOCAL_DOMAINS=",
				"HEARTH_LOG_LEVEL=debug",
				"PATH=/bin",
			},
			check: func(t *testing.T, c *Config) {
				eq(t, "listen", c.Listen, []string{"127.0.0.1:5353"})
				eq(t, "cache.size", c.Cache.Size, 100)
				eq(t, "upstreams.servers", c.Upstreams.Servers, []string{"udp://127.0.0.1:5300", "tls://x"})
				eq(t, "upstreams.timeout", c.Upstreams.Timeout, 1500*time.Millisecond)
				eq(t, "cache.prefetch", c.Cache.Prefetch, false)
				eq(t, "local.domains", c.Local.Domains, []string{})
				eq(t, "log.level", c.Log.Level, "debug")
			},
			src: "embedded default + env HEARTH_CACHE_PREFETCH, HEARTH_CACHE_SIZE, HEARTH_LISTEN, HEARTH_LOCAL_DOMAINS, HEARTH_LOG_LEVEL, HEARTH_UPSTREAMS_SERVERS, HEARTH_UPSTREAMS_TIMEOUT",
		},
		{
			name: "env overrides file",
			file: "cache:\n  size: 100\n  prefetch: true\n",
			env:  []string{"HEARTH_CACHE_SIZE=7"},
			check: func(t *testing.T, c *Config) {
				eq(t, "cache.size", c.Cache.Size, 7)
				eq(t, "cache.prefetch", c.Cache.Prefetch, true)
			},
			src: "hearth.yaml + env HEARTH_CACHE_SIZE",
		},
		{
			name: "flags override env and file",
			file: "listen: [\"127.0.0.1:1053\"]\n",
			env:  []string{"HEARTH_LISTEN=127.0.0.1:2053", "HEARTH_UPSTREAMS_SERVERS=udp://127.0.0.1:5300"},
			args: []string{"--listen", "127.0.0.1:3053", "--listen=[::1]:3053", "--upstream", "udp://127.0.0.1:1,tcp://127.0.0.1:2"},
			check: func(t *testing.T, c *Config) {
				eq(t, "listen", c.Listen, []string{"127.0.0.1:3053", "[::1]:3053"})
				eq(t, "upstreams.servers", c.Upstreams.Servers, []string{"udp://127.0.0.1:1", "tcp://127.0.0.1:2"})
			},
			src: "hearth.yaml + env HEARTH_LISTEN, HEARTH_UPSTREAMS_SERVERS + flags --listen, --upstream",
		},
		{
			name: "unchanged flags do not override",
			env:  []string{"HEARTH_LISTEN=127.0.0.1:2053"},
			args: []string{},
			check: func(t *testing.T, c *Config) {
				eq(t, "listen", c.Listen, []string{"127.0.0.1:2053"})
			},
			src: "embedded default + env HEARTH_LISTEN",
		},
		{
			name: "empty file means defaults",
			file: "# nothing yet\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "cache.size", c.Cache.Size, 20000)
			},
			src: "hearth.yaml",
		},
		{
			name: "null section keeps defaults",
			file: "cache:\n",
			check: func(t *testing.T, c *Config) {
				eq(t, "cache.size", c.Cache.Size, 20000)
			},
			src: "hearth.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := LoadOptions{Search: []string{}, Environ: env(tt.env...)}
			dir := ""
			if tt.file != "" {
				opts.File = writeConfig(t, tt.file)
				dir = filepath.Dir(opts.File)
			}
			if tt.args != nil {
				opts.Flags = flags(t, tt.args...)
			}
			cfg, src, err := Load(opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, cfg)
			got := src.String()
			if dir != "" {
				got = strings.ReplaceAll(got, dir+string(filepath.Separator), "")
			}
			if got != tt.src {
				t.Errorf("source = %q\nwant     %q", got, tt.src)
			}
		})
	}
}

func eq(t *testing.T, name string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		env  []string
		args []string
		// want are the problems, in order; each must equal the problem or,
		// ending in "...", be its prefix (for messages owned by other packages).
		want []string
	}{
		{
			name: "unknown key with line and suggestion",
			file: "schema_version: 1\nupstreams:\n  timeout: 3s\n  sever: [\"udp://127.0.0.1\"]\n",
			want: []string{`hearth.yaml:4: unknown key "upstreams.sever" (did you mean "upstreams.servers"?)`},
		},
		{
			name: "key at the wrong level",
			file: "size: 10\n",
			want: []string{`hearth.yaml:1: unknown key "size" (did you mean "cache.size"?)`},
		},
		{
			name: "unknown key, nothing close",
			file: "cache:\n  colour: blue\n",
			want: []string{`hearth.yaml:2: unknown key "cache.colour"`},
		},
		{
			name: "keys are case-sensitive",
			file: "Cache:\n  size: 10\n",
			want: []string{`hearth.yaml:1: unknown key "Cache" (did you mean "cache"?)`},
		},
		{
			name: "wrong type names key and line",
			file: "cache:\n  prefetch: true\n  size: lots\n",
			want: []string{`hearth.yaml:3: cache.size: want a whole number, got "lots"`},
		},
		{
			name: "duration without a unit",
			file: "upstreams:\n  timeout: 5\n",
			want: []string{`hearth.yaml:2: upstreams.timeout: want a duration with a unit, such as 2s, 500ms or 1h30m, got 5`},
		},
		{
			name: "nonsense duration",
			file: "upstreams:\n  timeout: 5 parsecs\n",
			want: []string{`hearth.yaml:2: upstreams.timeout: want a duration with a unit, such as 2s, 500ms or 1h30m, got "5 parsecs"`},
		},
		{
			name: "yes is not a boolean",
			file: "cache:\n  prefetch: yes\n",
			want: []string{`hearth.yaml:2: cache.prefetch: want true or false, got "yes"`},
		},
		{
			name: "fraction for a whole number",
			file: "cache:\n  size: 1.5\n",
			want: []string{`hearth.yaml:2: cache.size: want a whole number, got 1.5`},
		},
		{
			name: "number for a list",
			file: "listen: 53\n",
			want: []string{`hearth.yaml:1: listen: want a list of strings, such as [a, b] (comma-separated in environment variables), got 53`},
		},
		{
			name: "number in a list of strings",
			file: "listen: [\":53\", 54]\n",
			want: []string{`hearth.yaml:1: listen: want a list of strings, such as [a, b] (comma-separated in environment variables), got [":53", 54]`},
		},
		{
			name: "value for a section",
			file: "cache: 5\n",
			want: []string{`hearth.yaml:1: cache: want a section of keys (cache.<key>: value, indented below it), got "5"`},
		},
		{
			name: "key set twice",
			file: "cache:\n  size: 1\n  size: 2\n",
			want: []string{`hearth.yaml:3: cache.size is set twice (first on line 2)`},
		},
		{
			name: "YAML syntax error",
			file: "cache:\n  size: [1\n",
			want: []string{`hearth.yaml:...`},
		},
		{
			name: "map merging itself",
			file: "local: &x\n  <<: *x\n",
			want: []string{`hearth.yaml:1: a map merges itself (<<: alias of its own anchor)`},
		},
		{
			name: "list containing itself",
			file: "listen: &a [*a]\n",
			want: []string{`hearth.yaml:1: listen[0] contains itself (an alias of an enclosing anchor)`},
		},
		{
			name: "file must be a map",
			file: "- a\n- b\n",
			want: []string{`hearth.yaml:1: the file must be a map of keys (schema_version: 1, listen: ..., cache: ...), not a list`},
		},
		{
			name: "wrong type via env names the variable",
			env:  []string{"HEARTH_CACHE_SIZE=lots", "HEARTH_CACHE_SERVE_STALE=maybe"},
			want: []string{
				`env HEARTH_CACHE_SIZE: cache.size: want a whole number, got "lots"`,
				`env HEARTH_CACHE_SERVE_STALE: cache.serve_stale: want true or false, got "maybe"`,
			},
		},
		{
			name: "validation error located in file",
			file: "udp_size: 100\nlog:\n  level: loud\n",
			want: []string{
				`hearth.yaml:3: log.level: "loud" is not a level; use one of trace, debug, info, warn, error, fatal, panic, disabled`,
				`hearth.yaml:1: udp_size: 100 ...`,
			},
		},
		{
			name: "validation error located at a flag",
			args: []string{"--listen", "nonsense"},
			want: []string{`flag --listen: listen: "nonsense"...`},
		},
		{
			name: "validation error located at a list item",
			file: "allow_clients:\n  - 10.0.0.0/8\n  - not-a-network\n",
			want: []string{`hearth.yaml:1: allow_clients: "not-a-network" ...`},
		},
		{
			name: "dashboard hosts and TLS, with their key paths",
			file: "web:\n  hosts:\n    - hearth.lan:8080\n  tls:\n    cert_file: /etc/hearth/dash.crt\n",
			want: []string{
				`hearth.yaml:3: web.hosts[0]: "hearth.lan:8080": not a host name (labels of a-z, 0-9 and -, with dots between; no port)`,
				`hearth.yaml:5: web.tls.cert_file: set without key_file: the key's file is needed too`,
			},
		},
		{
			name: "several problems reported together",
			file: "upstreams:\n  sever: [x]\n  timeout: forever\ncache:\n  size: lots\n  min_ttl: 48h\nlog:\n  format: pretty\n",
			env:  []string{"HEARTH_UDP_SIZE=big"},
			want: []string{
				`hearth.yaml:2: unknown key "upstreams.sever" (did you mean "upstreams.servers"?)`,
				`env HEARTH_UDP_SIZE: udp_size: want a whole number, got "big"`,
				`hearth.yaml:3: upstreams.timeout: want a duration with a unit, such as 2s, 500ms or 1h30m, got "forever"`,
				`hearth.yaml:5: cache.size: want a whole number, got "lots"`,
				`hearth.yaml:8: log.format: "pretty" is not a format; use auto, json or console`,
				`hearth.yaml:6: cache.min_ttl: 48h0m0s is larger than cache.max_ttl (24h0m0s)`,
			},
		},
		{
			name: "schema version 2 is rejected alone",
			file: "schema_version: 2\nblocking:\n  enabled: true\n",
			want: []string{"hearth.yaml:1: schema_version: 2: this file is for a newer Hearth, which reads schema version 1; " +
				"upgrade Hearth, or rewrite the file for version 1 (`hearth config default` prints a version 1 file)"},
		},
		{
			name: "schema version 0",
			file: "schema_version: 0\n",
			want: []string{"hearth.yaml:1: schema_version: 0 is not a schema version; write schema_version: 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := LoadOptions{Search: []string{}, Environ: env(tt.env...)}
			dir := ""
			if tt.file != "" {
				opts.File = writeConfig(t, tt.file)
				dir = filepath.Dir(opts.File)
			}
			if tt.args != nil {
				opts.Flags = flags(t, tt.args...)
			}
			cfg, _, err := Load(opts)
			if err == nil {
				t.Fatalf("Load succeeded, want %d problems", len(tt.want))
			}
			if cfg != nil {
				t.Errorf("Load returned a config with an error")
			}
			got := problems(err, dir)
			if !matchProblems(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func matchProblems(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if w, ok := strings.CutSuffix(want[i], "..."); ok {
			if !strings.HasPrefix(got[i], w) {
				return false
			}
		} else if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestProblemsAreFieldErrors(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "cache:\n  size: -1\n")
	_, _, err := Load(LoadOptions{File: path, Environ: env()})
	ps := Problems(err)
	if len(ps) != 1 {
		t.Fatalf("problems = %v, want 1", ps)
	}
	var fe *fielderr.Error
	if !errors.As(ps[0], &fe) || fe.Key != "cache.size" {
		t.Errorf("errors.As(%v) = %v, key %q; want key cache.size", ps[0], fe, fe.Key)
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Where != path+":2" {
		t.Errorf("Where = %q, want %q", ce.Where, path+":2")
	}
}

func TestMissingExplicitFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, _, err := Load(LoadOptions{File: path, Environ: env()})
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a not-exist error naming %s", err, path)
	}
}

func TestSearchOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := filepath.Join(dir, "first.yaml")
	second := filepath.Join(dir, "second.yaml")
	if err := os.WriteFile(second, []byte("cache:\n  size: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	search := []string{first, second}

	cfg, src, err := Load(LoadOptions{Search: search, Environ: env()})
	if err != nil || src.File != second || cfg.Cache.Size != 2 {
		t.Fatalf("only second exists: file %q size %v err %v", src.File, cfg, err)
	}
	if err := os.WriteFile(first, []byte("cache:\n  size: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, src, err = Load(LoadOptions{Search: search, Environ: env()})
	if err != nil || src.File != first || cfg.Cache.Size != 1 {
		t.Fatalf("both exist: file %q err %v", src.File, err)
	}
	_, src, err = Load(LoadOptions{Search: []string{filepath.Join(dir, "none.yaml")}, Environ: env()})
	if err != nil || src.File != "" || src.String() != "embedded default" {
		t.Fatalf("none exists: file %q err %v", src.File, err)
	}
}

func TestUnknownEnvIsAWarning(t *testing.T) {
	t.Parallel()
	cfg, src, err := Load(LoadOptions{Search: []string{}, Environ: env("HEARTH_CACHE_SIZ=5", "HEARTH_FROBNICATE=1", "HEARTHSTONE=1")})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []string{
		"env HEARTH_CACHE_SIZ: not a Hearth setting, ignored (did you mean HEARTH_CACHE_SIZE?)",
		"env HEARTH_FROBNICATE: not a Hearth setting, ignored",
	}
	eq(t, "warnings", src.Warnings, want)
	eq(t, "cache.size", cfg.Cache.Size, 20000)
}

// TestEveryKeyFromEnv sets every key through its variable, to the default's
// value, and expects the default configuration back.
func TestEveryKeyFromEnv(t *testing.T) {
	t.Parallel()
	want, _, err := Load(LoadOptions{Search: []string{}, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	var leaves []string // those with a variable
	for _, key := range configSchema.leaves {
		if configSchema.keys[key].items {
			continue // file only: TestEnvForSectionsIsRejected
		}
		leaves = append(leaves, key)
		v, ok := getPath(defaultValues(), key)
		if !ok {
			t.Fatalf("%s missing from default.yaml", key)
		}
		var s string
		if list, ok := v.([]any); ok {
			parts := make([]string, len(list))
			for i, x := range list {
				parts[i] = fmt.Sprint(x)
			}
			s = strings.Join(parts, ",")
		} else {
			s = fmt.Sprint(v)
		}
		vars = append(vars, envName(key)+"="+s)
	}
	got, src, err := Load(LoadOptions{Search: []string{}, Environ: env(vars...)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	eq(t, "config", got, want)
	if len(src.Env) != len(leaves) {
		t.Errorf("%d variables applied, want %d", len(src.Env), len(leaves))
	}
	for _, key := range leaves {
		if w := src.Where(key); w != "env "+envName(key) {
			t.Errorf("Where(%s) = %q", key, w)
		}
	}
}

func TestSourceWhere(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "upstreams:\n  servers:\n    - udp://127.0.0.1\n    - tcp://127.0.0.1\n")
	_, src, err := Load(LoadOptions{File: path, Environ: env("HEARTH_CACHE_SIZE=5")})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"upstreams.servers":     path + ":2",
		"upstreams.servers[1]":  path + ":4",
		"upstreams.servers[9]":  path + ":2",
		"upstreams":             path + ":1",
		"upstreams.timeout":     "", // the section is in the file, but not this key
		"cache.size":            "env HEARTH_CACHE_SIZE",
		"cache.max_ttl":         "",
		"cache.max_ttl.nothing": "",
	} {
		if got := src.Where(key); got != want {
			t.Errorf("Where(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &a0 {router: 10.0.0.1}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x%d: &a%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]}\n")
	}
	b.WriteString("local: {<<: *a9}\n")
	start := time.Now()
	_, _, err := Load(LoadOptions{File: writeConfig(t, b.String()), Environ: env()})
	if err == nil || !strings.Contains(err.Error(), "too many aliases") {
		t.Errorf("err = %v, want too many aliases", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestMergeKeys(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "cache: &c\n  size: 5\nlocal:\n  <<: {router: 10.0.0.1}\n  domains: [home]\n")
	cfg, _, err := Load(LoadOptions{File: path, Environ: env()})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	eq(t, "local.router", cfg.Local.Router, "10.0.0.1")
	eq(t, "local.domains", cfg.Local.Domains, []string{"home"})
}

func TestEnvNamesAreDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for name, key := range configSchema.env {
		if seen[name] || envName(key) != name {
			t.Errorf("variable %s for %s", name, key)
		}
		seen[name] = true
	}
	if !slices.Contains(configSchema.leaves, "upstreams.servers") {
		t.Errorf("schema lacks upstreams.servers: %v", configSchema.leaves)
	}
}
