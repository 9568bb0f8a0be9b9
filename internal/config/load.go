package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/internal/suggest"
)

// defaultSearch is where Load looks for a file when none is named: the
// working directory, then /etc/hearth. The first that exists is used.
var defaultSearch = []string{"hearth.yaml", "/etc/hearth/hearth.yaml"}

// DefaultSearch returns the files Load tries, in order, when none is named.
func DefaultSearch() []string { return append([]string(nil), defaultSearch...) }

// flagKeys maps the flags AddFlags defines to the keys they set.
var flagKeys = []struct{ flag, key, usage string }{
	{"listen", "listen", "address to answer DNS on, host:port (repeat or comma-separate; replaces listen)"},
	{"upstream", "upstreams.servers", "upstream server, e.g. tls://dns.quad9.net (repeat or comma-separate; replaces upstreams.servers)"},
}

// AddFlags defines the flags that override configuration keys (--listen,
// --upstream) on fs, for LoadOptions.Flags.
func AddFlags(fs *pflag.FlagSet) {
	for _, f := range flagKeys {
		fs.StringSlice(f.flag, nil, f.usage)
	}
}

// LoadOptions says where Load finds its layers.
type LoadOptions struct {
	// File is the file named by --config; it must exist. "" searches Search.
	File string
	// Data, if not nil, is read as File's content instead of the file on
	// disk (the dashboard checks an edit before writing it); File names it
	// in messages.
	Data []byte
	// Search is the list of files tried when File is ""; nil means
	// DefaultSearch(). When none exists the embedded default is used alone.
	Search []string
	// Flags, if not nil, holds the flags from AddFlags; those the user set
	// (Changed) override everything else.
	Flags *pflag.FlagSet
	// Environ returns the environment as "NAME=value" strings; nil means
	// os.Environ. (A list, not a lookup, so unknown HEARTH_ variables can be
	// reported.)
	Environ func() []string
}

// Source says where a loaded configuration came from.
type Source struct {
	File     string   // the file used; "" means the embedded default alone
	Env      []string // HEARTH_* variables applied, sorted
	Flags    []string // flags applied, e.g. "--listen"
	Warnings []string // things worth telling the user, e.g. unknown HEARTH_ variables
	// EmptyFile is set when File holds no settings at all (nothing, or only
	// comments): everything then comes from the embedded default, which
	// filters nothing. A reload refuses such a file (see RefuseUnfiltered).
	EmptyFile bool

	where map[string]string // key path (or "key[i]") -> place it was set
}

func (s Source) String() string {
	var b strings.Builder
	if s.File == "" {
		b.WriteString("embedded default")
	} else {
		b.WriteString(s.File)
	}
	if len(s.Env) > 0 {
		b.WriteString(" + env " + strings.Join(s.Env, ", "))
	}
	if len(s.Flags) > 0 {
		b.WriteString(" + flags " + strings.Join(s.Flags, ", "))
	}
	return b.String()
}

// Where returns where the value of key was set: "hearth.yaml:7", "env
// HEARTH_CACHE_SIZE", "flag --listen", or "" for the embedded default.
// Keys and items inside a value ("upstreams.servers[1]",
// "groups.kids.rules[1].outside[0]") are located on their own line in the
// file (flow style puts several on one line); a key Where does not know
// falls back to the nearest enclosing one.
func (s Source) Where(key string) string {
	for ; key != ""; key = parentKey(key) {
		if w, ok := s.where[key]; ok {
			return w
		}
	}
	return ""
}

// parentKey returns the key enclosing key: groups.kids.rules[1] ->
// groups.kids.rules -> groups.kids -> groups -> "".
func parentKey(key string) string {
	if i := strings.LastIndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		return key[:i]
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// Load builds the configuration from, lowest first: the embedded default,
// the file (opts.File, or the first of opts.Search that exists), HEARTH_*
// environment variables and the flags the user set. It returns every problem
// at once (errors.Join of *Error; see Problems), each located where its value
// was set; the Source is filled in as far as loading got, also on error.
func Load(opts LoadOptions) (*Config, Source, error) {
	l, err := loadLayers(opts)
	if err != nil {
		return nil, l.src, err
	}
	problems := l.problems
	if l.cfg == nil {
		return nil, l.src, errors.Join(problems...)
	}
	for _, err := range l.cfg.Validate() {
		var fe *fielderr.Error
		if errors.As(err, &fe) {
			if followsFromBad(fe.Key, l.bad) {
				continue // already reported as a wrong type
			}
			err = &Error{Where: l.src.Where(fe.Key), Err: err}
		}
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, l.src, errors.Join(problems...)
	}
	l.src.Warnings = append(l.src.Warnings, nameWarnings(l.cfg, l.src)...)
	return l.cfg, l.src, nil
}

// layered is what Load knows before validation.
type layered struct {
	cfg      *Config // nil when decoding failed (a bug: see decode)
	src      Source
	bad      map[string]bool // keys whose wrong value was reported and dropped
	problems []error         // every problem so far, each located
}

// loadLayers is Load but for validation: it reads and merges the layers and
// decodes them. err is a problem that stops loading on its own (no such
// file, a YAML syntax error, another schema version); l.src is filled in as
// far as loading got.
func loadLayers(opts LoadOptions) (l layered, err error) {
	l.src = Source{where: map[string]string{}}
	s := configSchema
	for _, key := range s.leaves {
		l.src.where[key] = "" // the embedded default, until a layer sets it
	}

	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(defaultYAML)); err != nil {
		return l, fmt.Errorf("embedded default configuration: %w", err)
	}

	path, err := findFile(opts)
	if err != nil {
		return l, err
	}
	if path != "" {
		data := opts.Data
		if data == nil {
			if data, err = os.ReadFile(path); err != nil {
				return l, fmt.Errorf("config file: %w", err)
			}
		}
		l.src.File = path
		fi, err := parseFile(path, data, s)
		if err != nil {
			return l, err
		}
		for k, line := range fi.lines {
			l.src.where[k] = path + ":" + strconv.Itoa(line)
		}
		// A file for another schema version is likely to fail in many
		// ways that all follow from that one: say only that.
		if ver, ok := fi.values["schema_version"].(int); ok && ver != SchemaVersion {
			return l, &Error{Where: l.src.Where("schema_version"), Err: schemaVersionError(ver)}
		}
		l.problems = append(l.problems, fi.problems...)
		l.src.EmptyFile = len(fi.values) == 0 && len(fi.problems) == 0
		if fi.values != nil {
			if err := v.MergeConfigMap(fi.values); err != nil {
				return l, fmt.Errorf("%s: %w", path, err)
			}
		}
	}

	envProblems, err := applyEnv(v, opts.Environ, &l.src)
	if err != nil {
		return l, err
	}
	l.problems = append(l.problems, envProblems...)

	if opts.Flags != nil {
		for _, f := range flagKeys {
			pf := opts.Flags.Lookup(f.flag)
			if pf == nil || !pf.Changed {
				continue
			}
			if err := v.BindPFlag(f.key, pf); err != nil {
				return l, err
			}
			l.src.Flags = append(l.src.Flags, "--"+f.flag)
			l.src.where[f.key] = "flag --" + f.flag
			clearItems(l.src.where, f.key)
		}
	}

	cfg, bad, typeProblems, err := decode(v, l.src)
	l.problems = append(l.problems, typeProblems...)
	if err != nil {
		l.problems = append(l.problems, err) // a bug: the schema and Config disagree
		return l, nil
	}
	l.cfg, l.bad = cfg, bad
	return l, nil
}

// followsFromBad reports whether a validation problem at key may follow from
// a wrong part already reported and dropped (bad): key is that part or
// inside it, or it holds it inside a leaf's value (devices[0], whose ip was
// dropped, may seem to lack an address). Problems at a schema key
// (devices, groups) are kept.
func followsFromBad(key string, bad map[string]bool) bool {
	if within(key, bad) {
		return true
	}
	if _, isKey := configSchema.keys[key]; isKey {
		return false
	}
	for b := range bad {
		if strings.HasPrefix(b, key+".") || strings.HasPrefix(b, key+"[") {
			return true
		}
	}
	return false
}

// within reports whether key is one of keys or inside one of them.
func within(key string, keys map[string]bool) bool {
	for ; key != ""; key = parentKey(key) {
		if keys[key] {
			return true
		}
	}
	return false
}

// applyEnv merges the HEARTH_* variables of environ (nil: os.Environ) into
// v, recording them in src; unknown ones become warnings. A variable for a
// key that holds sections (HEARTH_GROUPS) is a problem: there is no way to
// write sections in one variable, so those keys are set in the file only.
func applyEnv(v *viper.Viper, environ func() []string, src *Source) (problems []error, err error) {
	s := configSchema
	if environ == nil {
		environ = os.Environ
	}
	envMap := map[string]any{}
	for _, kv := range environ() {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, envPrefix) {
			continue
		}
		key, known := s.env[name]
		if !known {
			src.Warnings = append(src.Warnings, unknownEnvWarning(name, s))
			continue
		}
		if s.keys[key].items {
			problems = append(problems, &Error{Where: "env " + name, Err: fielderr.New(key, "cannot be set by an environment variable; set it in the configuration file")})
			continue
		}
		if !slices.Contains(src.Env, name) {
			src.Env = append(src.Env, name)
		}
		setPath(envMap, key, envValue(s.keys[key].typ, val))
		src.where[key] = "env " + name
		clearItems(src.where, key)
	}
	sort.Strings(src.Env)
	sort.Strings(src.Warnings)
	if len(envMap) == 0 {
		return problems, nil
	}
	if err := v.MergeConfigMap(envMap); err != nil {
		return problems, fmt.Errorf("environment: %w", err)
	}
	return problems, nil
}

// decode checks each key on its own, so that a wrong type is reported
// against the place that set it, then decodes them all into a Config. A key
// of the wrong type is replaced by its default (and listed in bad) so that
// the rest can still be decoded and validated. A key holding sections
// (devices, groups) is checked part by part: a wrong part deep inside is
// reported at its own key, listed in bad and decoded as its zero value.
// err is for a mismatch between the schema and Config: a bug.
func decode(v *viper.Viper, src Source) (cfg *Config, bad map[string]bool, problems []error, err error) {
	s := configSchema
	settings := map[string]any{}
	bad = map[string]bool{}
	parts := partChecker{where: src.Where, bad: bad}
	for _, key := range s.leaves {
		raw := v.Get(key)
		info := s.keys[key]
		if info.items {
			raw = parts.check(raw, info.typ, key)
		} else if err := checkValue(raw, info.typ); err != nil {
			problems = append(problems, &Error{Where: src.Where(key), Err: fielderr.New(key, "%s", typeMessage(info.typ, raw))})
			bad[key] = true
		}
		if bad[key] {
			raw, _ = getPath(defaultValues(), key)
		}
		setPath(settings, key, raw)
	}
	problems = append(problems, parts.problems...)
	cfg = new(Config)
	if err := decodeInto(settings, cfg); err != nil {
		return nil, bad, problems, err
	}
	return cfg, bad, problems, nil
}

// findFile returns the file to read, or "" for none.
func findFile(opts LoadOptions) (string, error) {
	if opts.Data != nil && opts.File == "" {
		return "hearth.yaml", nil // only a name for messages
	}
	if opts.File != "" {
		return opts.File, nil // a missing file is reported by ReadFile
	}
	search := opts.Search
	if search == nil {
		search = defaultSearch
	}
	for _, p := range search {
		_, err := os.Stat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("config file: %w", err)
		}
	}
	return "", nil
}

// clearItems forgets the file lines of what is inside key's value (list
// items, nested keys) once a later layer replaced the whole value.
func clearItems(where map[string]string, key string) {
	for k := range where {
		if strings.HasPrefix(k, key+"[") || strings.HasPrefix(k, key+".") {
			delete(where, k)
		}
	}
}

func unknownEnvWarning(name string, s *schema) string {
	msg := fmt.Sprintf("env %s: not a Hearth setting, ignored", name)
	envs := make([]string, 0, len(s.env))
	for env := range s.env {
		envs = append(envs, env)
	}
	if best := suggest.Closest(name, envs); best != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", best)
	}
	return msg
}

// defaultValues is the embedded default, decoded (read only).
var defaultValues = sync.OnceValue(func() map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal(defaultYAML, &m); err != nil {
		panic("config: embedded default.yaml: " + err.Error())
	}
	return m
})
