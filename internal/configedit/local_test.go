package configedit

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestKeepOwn(t *testing.T) {
	shared := `# the household's rules
listen: ["127.0.0.1:5301"]
state: {redis: "redis://127.0.0.1:6379/0", node: pi-kitchen}
web:
  listen: ":8080"
  session_ttl: 12h # a comment kept
groups:
  kids: {block: [gaming]}
log: {level: debug}
`
	own := `listen: ["127.0.0.1:5302"]
state:
  redis: "redis://127.0.0.1:6379/0"
web:
  listen: ":8082"
journal: {path: /var/lib/b/journal.db}
groups:
  kids: {block: [social]}
`
	got, err := KeepOwn([]byte(shared), []byte(own), NodeLocal)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Listen  []string `yaml:"listen"`
		State   map[string]string
		Web     map[string]string
		Groups  map[string]map[string][]string
		Log     any
		Journal map[string]string
	}
	if err := yaml.Unmarshal(got, &m); err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	switch {
	case len(m.Listen) != 1 || m.Listen[0] != "127.0.0.1:5302":
		t.Errorf("listen %v, want the node's own", m.Listen)
	case m.State["node"] != "" || m.State["redis"] == "":
		t.Errorf("state %v, want the node's own (no node name)", m.State)
	case m.Web["listen"] != ":8082" || m.Web["session_ttl"] != "12h":
		t.Errorf("web %v, want the node's listen and the shared session_ttl", m.Web)
	case m.Groups["kids"]["block"][0] != "gaming":
		t.Errorf("groups %v, want the shared rules", m.Groups)
	case m.Log != nil:
		t.Errorf("log %v, want none (the node's file has none)", m.Log)
	case m.Journal["path"] != "/var/lib/b/journal.db":
		t.Errorf("journal %v, want the node's own file", m.Journal)
	}
	for _, c := range []string{"# the household's rules", "# a comment kept"} {
		if !strings.Contains(string(got), c) {
			t.Errorf("comment %q lost:\n%s", c, got)
		}
	}
	// Taking the same shared text again changes nothing; stripping leaves
	// no node-local key.
	again, err := KeepOwn(got, got, NodeLocal)
	if err != nil || string(again) != string(got) {
		t.Errorf("KeepOwn of a file with itself changed it: %v\n%s", err, again)
	}
	bare, err := Strip([]byte(shared), NodeLocal)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"listen:", "state:", "log:", ":8080"} {
		if strings.Contains(string(bare), k) {
			t.Errorf("Strip left %q:\n%s", k, bare)
		}
	}
	if !strings.Contains(string(bare), "session_ttl: 12h") || !strings.Contains(string(bare), "kids:") {
		t.Errorf("Strip removed more than the node's keys:\n%s", bare)
	}
}
