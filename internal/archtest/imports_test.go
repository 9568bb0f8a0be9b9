package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hearth-dns/hearth/"

// forbidden lists, for each package (by its path in the module), the
// packages it must never depend on, directly or through another of ours.
// A path ending in "/" forbids everything under it. The rules are the ones
// docs/architecture.md draws and each package's README states.
var forbidden = map[string][]string{
	"blocklists":      {"policy/", "resolver/", "journal", "report", "web", "internal/app", "internal/config", "cmd/", "github.com/miekg/dns"},
	"policy/schedule": {"policy", "policy/", "blocklists", "resolver/", "journal", "web", "internal/config"},
	"policy/identity": {"policy", "policy/state", "policy/schedule", "blocklists", "resolver/", "journal", "web", "github.com/miekg/dns"},
	"policy/state":    {"policy", "policy/identity", "blocklists", "resolver/", "journal", "web", "github.com/miekg/dns"},
	"policy/verdict":  {"policy", "policy/state", "policy/identity", "policy/schedule", "blocklists", "resolver/", "journal", "web"},
	"policy/words":    {"policy", "policy/state", "policy/identity", "policy/schedule", "blocklists", "resolver/", "journal", "web"},
	"policy":          {"resolver/", "journal", "report", "web", "internal/app", "internal/config", "internal/doctor", "cmd/", "github.com/miekg/dns"},
	"journal":         {"policy", "policy/state", "policy/identity", "resolver/", "report", "web", "internal/app", "cmd/"},
	"report":          {"resolver/", "web", "internal/app", "cmd/"},
	"resolver":        {"web", "report", "internal/app", "internal/config", "internal/doctor", "cmd/"},
	"web":             {"internal/app", "internal/config", "internal/doctor", "cmd/"},
	"internal/config": {"internal/app", "internal/doctor", "cmd/"},
	// configedit edits hearth.yaml's text for the dashboard; its checker
	// (internal/config) is handed to it, so web may use it.
	"internal/configedit": {"internal/config", "internal/app", "internal/doctor", "web", "policy", "policy/", "cmd/"},
	"internal/doctor":     {"internal/app", "cmd/"},
	// alerts makes and delivers the parent's alerts; the app hands it
	// lookups as plain values, so it needs nothing of the query path.
	"alerts": {"policy", "policy/state", "policy/identity", "blocklists", "resolver/", "journal", "report", "web",
		"internal/app", "internal/config", "internal/doctor", "cmd/", "github.com/miekg/dns"},
	"internal/app": {"internal/doctor", "cmd/"},
	// cluster keeps policy/state's stores in step through Redis, off the
	// query path: it needs the stores, never the engine, the resolver or
	// the dashboard.
	"internal/cluster": {"policy", "policy/identity", "blocklists", "resolver/", "journal", "report", "web",
		"internal/app", "internal/config", "internal/doctor", "cmd/", "github.com/miekg/dns"},
}

// TestImports walks the module's packages (test files aside), follows
// their imports of each other, and fails on any dependency that forbidden
// rules out, naming the chain that leads to it.
func TestImports(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string][]string{} // package -> its imports, ours without the module prefix
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			p = strings.TrimPrefix(p, module)
			if !slices.Contains(imports[pkg], p) {
				imports[pkg] = append(imports[pkg], p)
			}
		}
		if _, ok := imports[pkg]; !ok {
			imports[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range forbidden {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("forbidden names %q, which is not a package of the module (moved? update the rules and docs/architecture.md)", pkg)
		}
	}
	for pkg, rules := range forbidden {
		// Everything pkg depends on, with the chain that reaches it.
		via := map[string]string{}
		queue := []string{pkg}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, im := range imports[p] {
				if _, seen := via[im]; seen || im == pkg {
					continue
				}
				via[im] = p
				if _, ours := imports[im]; ours {
					queue = append(queue, im)
				}
			}
		}
		for dep := range via {
			for _, rule := range rules {
				if dep == rule || strings.HasSuffix(rule, "/") && (strings.HasPrefix(dep, rule) || dep == strings.TrimSuffix(rule, "/")) {
					chain := dep
					for p := via[dep]; p != pkg; p = via[p] {
						chain = p + " -> " + chain
					}
					t.Errorf("%s depends on %s (%s -> %s), which it must never import", pkg, dep, pkg, chain)
				}
			}
		}
	}
}
