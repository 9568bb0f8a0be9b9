package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
)

// The Rules page's editor over real HTTP: a real hearth.yaml in a
// temporary directory, checked by the policy's own compiler and applied to
// the fixture's engine by a reload that reads the file again.

const rulesYAML = `# The family's rules.
timezone: Europe/London
identify:
  refresh: 1m
blocking:
  block: [ads]
  response: nxdomain
devices:
  - name: alex-tablet
    ip: [127.0.0.2]
    group: kids
    block: [tiktok]
  - name: jo-laptop
    ip: [127.0.0.4]
    group: teens
groups:
  default: {}
  adults: {}
  kids:
    rules:
      - block: [gambling]
      - block: [gaming]
        outside: ["mon-fri 16:00-19:00"]
    bedtime: ["sun-thu 21:30-07:00"]
  teens:
    rules:
      - block: [social]
        during: ["mon-fri 09:00-15:30"]
`

// yamlPolicy reads the policy part of a hearth.yaml (what internal/config
// does for the real process, which web cannot import).
func yamlPolicy(data []byte) (policy.Config, error) {
	var m map[string]any
	var cfg policy.Config
	if err := yaml.Unmarshal(data, &m); err != nil {
		return cfg, err
	}
	// WeaklyTypedInput: "ip: 1.2.3.4" is a list of one, as in hearth.yaml.
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &cfg, DecodeHook: mapstructure.StringToTimeDurationHookFunc(), WeaklyTypedInput: true})
	if err != nil {
		return cfg, err
	}
	if err := dec.Decode(m); err != nil {
		return cfg, err
	}
	if errs := cfg.Validate(blocklists.Builtin(), policytest.ListCategories); len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	return cfg, nil
}

// fileBackend reloads the fixture's engine from the file.
type fileBackend struct {
	path   string
	engine *policy.Engine
}

func (b *fileBackend) ListStatus() []blocklists.SourceStatus { return nil }
func (b *fileBackend) RefreshLists(context.Context) error    { return nil }
func (b *fileBackend) LastReload() ReloadOutcome             { return ReloadOutcome{} }
func (b *fileBackend) RequestReload() error {
	data, err := os.ReadFile(b.path)
	if err != nil {
		return err
	}
	cfg, err := yamlPolicy(data)
	if err != nil {
		return err
	}
	return b.engine.SetConfig(cfg, policytest.ListCategories)
}

// newRulesFixture is the pages fixture with a hearth.yaml to edit, in
// force, logged in; it returns the CSRF token and the file's path.
func newRulesFixture(t *testing.T) (*pagesFixture, string, string) {
	t.Helper()
	f := newPagesFixture(t, pagesSetup{})
	path := filepath.Join(f.dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(rulesYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(b []byte) error { _, err := yamlPolicy(b); return err }
	f.srv.opts.ConfigFile = &configedit.File{Path: path, Check: check}
	be := &fileBackend{path: path, engine: f.engine}
	f.srv.opts.Backend = be
	if err := be.RequestReload(); err != nil {
		t.Fatal(err)
	}
	return f, f.login(), path
}

var versionField = regexp.MustCompile(`name="version" value="([0-9a-f]+)"`)

func versionOf(t *testing.T, page string) string {
	t.Helper()
	m := versionField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no version in the page:\n%s", page)
	}
	return m[1]
}

// groupForm is the editor's form for a group with one rule.
func groupForm(csrf, version, name, op string, extra url.Values) url.Values {
	form := url.Values{"csrf": {csrf}, "version": {version}, "name": {name}, "op": {op}, "extra": {"{}"}}
	for k, v := range extra {
		form[k] = v
	}
	return form
}

func TestRulesPageCreateGroupWithWindows(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	resp, body := f.get("/rules")
	wantPage(t, "rules page", resp, body, http.StatusOK, "Group kids", "Create group", "Reload hearth.yaml",
		"alex-tablet</strong>", "always blocked tiktok")
	version := versionOf(t, body)

	resp, _ = f.post("/rules/create", url.Values{"csrf": {csrf}, "version": {version}, "name": {"littles"}})
	wantRedirect(t, "create", resp, "/rules")
	resp, body = f.get("/rules/group?name=littles&q=roblox")
	wantPage(t, "editor", resp, body, http.StatusOK, "Group littles", `value="roblox">Roblox`, `<label for="q">`)
	if strings.Contains(body, `value="minecraft"`) {
		t.Error("the catalogue filter roblox still offers minecraft")
	}
	version = versionOf(t, body)
	created, _ := os.ReadFile(path)

	// Add a rule, then fill it in: chat allowed only 16:00-19:00 on
	// weekdays, plus a second window that overlaps the first.
	resp, body = f.post("/rules/group", groupForm(csrf, version, "littles", "addrule", url.Values{"rules": {"0"}}))
	wantPage(t, "add a rule", resp, body, http.StatusOK, `name="r0.mode"`, `name="r0.w0.from"`)
	rule := url.Values{"rules": {"1"}, "r0.add": {"chat"}, "r0.mode": {"outside"}, "r0.wn": {"2"},
		"r0.w0.day": {"mon", "tue", "wed", "thu", "fri"}, "r0.w0.from": {"16:00"}, "r0.w0.to": {"19:00"},
		"r0.w1.day": {"mon"}, "r0.w1.from": {"18:00"}, "r0.w1.to": {"20:00"}}
	resp, body = f.post("/rules/group", groupForm(csrf, version, "littles", "preview", rule))
	wantPage(t, "preview with overlapping windows", resp, body, http.StatusUnprocessableEntity,
		`id="r0-w1-err"`, "overlaps", `aria-describedby="r0-w1-err"`)
	if strings.Contains(body, `id="r0-w0-err"`) {
		t.Error("the good window has an error too")
	}
	if data, _ := os.ReadFile(path); string(data) != string(created) {
		t.Fatal("a preview changed hearth.yaml")
	}

	// Without the bad window: the week, and nothing saved yet.
	rule.Set("r0.wn", "1")
	resp, body = f.post("/rules/group", groupForm(csrf, version, "littles", "preview", rule))
	wantPage(t, "preview", resp, body, http.StatusOK, "Preview: the week as it will be", "block chat outside weekdays 16:00-19:00",
		"Chat and messaging allowed 16:00 to 19:00", "No device is in this group yet")
	for _, gw := range f.engine.Week() {
		if gw.Group == "littles" && len(gw.Rules) > 1 {
			t.Fatal("a preview changed the running policy")
		}
	}

	resp, body = f.post("/rules/group", groupForm(csrf, version, "littles", "save", rule))
	wantRedirect(t, "save", resp, "/rules#g-littles")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "# The family's rules.") || !strings.Contains(string(data), "littles:") ||
		!strings.Contains(string(data), "mon-fri 16:00-19:00") {
		t.Fatalf("hearth.yaml after the save:\n%s", data)
	}
	// In force: the running policy has the group's rule.
	var found bool
	for _, gw := range f.engine.Week() {
		if gw.Group == "littles" && len(gw.Rules) > 0 && strings.Contains(gw.Rules[len(gw.Rules)-1].Text, "16:00-19:00") {
			found = true
		}
	}
	if !found {
		t.Errorf("the running policy has no littles rule: %+v", f.engine.Week())
	}
	_, body = f.get("/rules")
	wantPage(t, "rules after save", &http.Response{StatusCode: 200}, body, 200, "Group littles", "Chat and messaging allowed (blocked at other times)")
	if !strings.Contains(readAudit(t, f), `"action":"set-group"`) {
		t.Error("the save is not in the audit trail")
	}
}

func readAudit(t *testing.T, f *pagesFixture) string {
	t.Helper()
	b, err := os.ReadFile(auditPath(f.dir))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRulesPageDeleteInUseReorderStale(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	_, body := f.get("/rules")
	version := versionOf(t, body)

	resp, body := f.post("/rules/delete", url.Values{"csrf": {csrf}, "version": {version}, "name": {"kids"}})
	wantPage(t, "delete kids", resp, body, http.StatusConflict, "alex-tablet", "Nothing was changed")
	if data, _ := os.ReadFile(path); string(data) != rulesYAML {
		t.Fatal("a refused delete changed hearth.yaml")
	}

	// Reorder: gaming before gambling.
	_, body = f.get("/rules/group?name=kids")
	version = versionOf(t, body)
	form := url.Values{"rules": {"2"}, "r0.block": {"gambling"}, "r0.mode": {"always"},
		"r1.block": {"gaming"}, "r1.mode": {"outside"}, "r1.wn": {"1"}, "r1.w0.day": {"mon", "tue", "wed", "thu", "fri"},
		"r1.w0.from": {"16:00"}, "r1.w0.to": {"19:00"},
		"bed.wn": {"1"}, "bed.w0.day": {"sun", "mon", "tue", "wed", "thu"}, "bed.w0.from": {"21:30"}, "bed.w0.to": {"07:00"}}
	resp, body = f.post("/rules/group", groupForm(csrf, version, "kids", "up:1", form))
	wantPage(t, "move up", resp, body, http.StatusOK)
	if i, j := strings.Index(body, `name="r0.block" value="gaming"`), strings.Index(body, `name="r1.block" value="gambling"`); i < 0 || j < 0 {
		t.Fatalf("after moving rule 2 up, gaming is not first:\n%s", body)
	}
	form.Set("r0.block", "gaming")
	form.Set("r1.block", "gambling")
	form.Set("r0.mode", "outside")
	form.Set("r1.mode", "always")
	for _, k := range []string{"wn", "w0.from", "w0.to"} {
		form["r0."+k], form["r1."+k] = form["r1."+k], nil
	}
	form["r0.w0.day"], form["r1.w0.day"] = form["r1.w0.day"], nil
	resp, _ = f.post("/rules/group", groupForm(csrf, version, "kids", "save", form))
	wantRedirect(t, "save the new order", resp, "/rules#g-kids")
	data, _ := os.ReadFile(path)
	if i, j := strings.Index(string(data), "[gaming]"), strings.Index(string(data), "[gambling]"); i < 0 || j < 0 || i > j {
		if i, j = strings.Index(string(data), "- gaming"), strings.Index(string(data), "- gambling"); i < 0 || j < 0 || i > j {
			t.Fatalf("gaming is not before gambling in hearth.yaml:\n%s", data)
		}
	}
	if !strings.Contains(string(data), "# The family's rules.") {
		t.Errorf("the comment is gone:\n%s", data)
	}

	// Stale: the version the page was loaded with is gone now.
	resp, body = f.post("/rules/group", groupForm(csrf, version, "kids", "save", form))
	wantPage(t, "stale save", resp, body, http.StatusConflict, "changed since this page was loaded")
	if v := versionOf(t, body); v != configedit.Version(data) {
		t.Errorf("the fresh page has version %s, want the file's %s", v, configedit.Version(data))
	}
	resp, body = f.post("/rules/create", url.Values{"csrf": {csrf}, "version": {version}, "name": {"late"}})
	wantPage(t, "stale create", resp, body, http.StatusConflict, "changed since it was read")

	// Rename teens: jo-laptop follows.
	resp, _ = f.post("/rules/rename", url.Values{"csrf": {csrf}, "version": {configedit.Version(data)}, "name": {"teens"}, "to": {"older"}})
	wantRedirect(t, "rename", resp, "/rules")
	data, _ = os.ReadFile(path)
	if strings.Contains(string(data), "teens") || !strings.Contains(string(data), "group: older") {
		t.Errorf("after renaming teens to older:\n%s", data)
	}
}

func TestRulesPageReadOnlyShowsYAML(t *testing.T) {
	t.Parallel()
	f, csrf, path := newRulesFixture(t)
	f.srv.opts.ConfigFile.Off = "web.edit_config is false"
	_, body := f.get("/rules")
	wantPage(t, "read-only rules page", &http.Response{StatusCode: 200}, body, 200, "Changes cannot be saved here", "web.edit_config is false")
	resp, body := f.post("/rules/create", url.Values{"csrf": {csrf}, "version": {versionOf(t, body)}, "name": {"littles"}})
	wantPage(t, "create on a read-only file", resp, body, http.StatusForbidden, "The YAML to paste", "littles: {}")
	if data, _ := os.ReadFile(path); string(data) != rulesYAML {
		t.Fatal("hearth.yaml changed")
	}
}
