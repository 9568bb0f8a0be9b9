package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadFile checks that no file content makes Load panic, that Load
// returns a configuration or an error, never both nor neither, and that
// what the checks keep always decodes.
func FuzzLoadFile(f *testing.F) {
	for _, seed := range []string{
		string(DefaultYAML()),
		"",
		"cache: 5\n",
		"cache:\n  size: lots\n  size: 3\n",
		"a: &x {b: *x}\n",
		"local:\n  <<: [{router: 10.0.0.1}]\n",
		"listen: [\"127.0.0.1:0\"]\nupstreams: {servers: [udp://127.0.0.1], timeout: 0}\n",
		"- 1\n",
		"schema_version: 2\n",
		"upstreams:\n  timeout: 5\n",
		issueExample,
		"groups: [kids]\ndevices: {a: 1}\n",
		"devices: [a, {mac: 7, Name: x}, ~]\ngroups: {Kids: {rules: [{block: 5, outsde: x}]}, teens: 1}\n",
		"groups: &g {kids: *g}\n",
		"groups:\n  kids: &k\n    <<: *k\n",
		"lists:\n  sources:\n    - {name: [a], url: 5}\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "hearth.yaml")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := Load(LoadOptions{File: path, Environ: env()})
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Load returned config %v and error %v", cfg, err)
		}
		for _, p := range Problems(err) {
			if p.Error() == "" {
				t.Fatalf("empty problem in %v", err)
			}
		}
		// Whatever the file, the parts checked and kept decode: decode's
		// error is only for a bug.
		if l, err := loadLayers(LoadOptions{File: path, Environ: env()}); err == nil && l.cfg == nil {
			t.Fatalf("decoding failed: %v", l.problems[len(l.problems)-1])
		}
	})
}
