package configedit_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/config"
	. "github.com/hearth-dns/hearth/internal/configedit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// check is the checker check-config uses, on bytes.
func check(name string) func([]byte) error {
	return func(b []byte) error {
		_, _, err := config.Load(config.LoadOptions{File: name, Data: b, Environ: func() []string { return nil }})
		return err
	}
}

func mustNode(t *testing.T, js string) *yaml.Node {
	t.Helper()
	n, err := FromJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// TestGoldenEdit edits a commented file as the dashboard would and checks
// the result byte for byte against the golden file: comments, blank lines,
// flow and block styles and the order stay where nothing changed, and the
// result passes check-config.
func TestGoldenEdit(t *testing.T) {
	src, err := os.ReadFile("testdata/hearth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := check("hearth.yaml")(src); err != nil {
		t.Fatalf("the fixture itself: %v", err)
	}
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	kids, err := d.Group("kids")
	if err != nil {
		t.Fatal(err)
	}
	// The page sends the whole group back with one rule changed (chat
	// until 21:00 becomes 20:30) and holiday bedtime added.
	changed := strings.Replace(string(kids), "daily 07:00-21:00", "daily 07:00-20:30", 1)
	changed = strings.Replace(changed, `"safe_search"`, `"bedtime_holidays":["daily 23:00-08:00"],"safe_search"`, 1)
	steps := []struct {
		name string
		do   func() error
	}{
		{"change a rule of kids", func() error { return d.SetGroup("kids", mustNode(t, changed)) }},
		{"add teens", func() error {
			return d.SetGroup("teens", mustNode(t, `{"rules":[{"block":["tiktok"],"during":["sun-thu 22:00-23:59"]}],"safe_search":"moderate"}`))
		}},
		{"delete guests", func() error { return d.DeleteGroup("guests") }},
		{"name a new device", func() error {
			return d.SetDevice(Device{Key: "ip:192.168.1.77", Name: "kim-phone", Group: "teens", Block: ptr([]string{"roblox"})})
		}},
		{"move sam to teens", func() error { return d.SetDevice(Device{Key: "ip:192.168.1.40", Name: "sam-switch", Group: "teens"}) }},
		{"household", func() error {
			return d.SetHousehold(mustNode(t, `{"timezone":"Europe/Dublin","blocking":{"block":["malware","gambling"]}}`))
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := check("hearth.yaml")(d.Bytes()); err != nil {
			t.Fatalf("after %s, check-config says: %v\n%s", s.name, err, d.Bytes())
		}
	}
	golden := filepath.Join("testdata", "hearth.yaml.golden")
	if *update {
		if err := os.WriteFile(golden, d.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.Bytes(), want) {
		t.Errorf("edited file differs from %s (go test -update to accept):\n%s", golden, d.Bytes())
	}
	// Every comment of the original is still there.
	for _, line := range strings.Split(string(src), "\n") {
		if i := strings.Index(line, "#"); i >= 0 && !bytes.Contains(d.Bytes(), []byte(line[i:])) {
			t.Errorf("comment lost: %q", line[i:])
		}
	}
}

// TestRemoveDevice: an address goes from its item; the item goes with its
// last address; comments and other items stay as written; an address the
// file does not have is ErrNotFound.
func TestRemoveDevice(t *testing.T) {
	t.Parallel()
	src := `# the family's devices
groups:
  kids: {}
devices:
  # Alex's tablet, two addresses
  - name: alex-tablet
    ip: [192.168.1.20, 192.168.1.21]
    group: kids
  - name: console   # the Switch
    mac: 3c:22:fb:12:34:56
    block: [roblox]
  - { name: sam-phone, ip: 192.168.1.30 }
`
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	name, err := d.RemoveDevice("ip:192.168.1.21")
	if err != nil || name != "alex-tablet" {
		t.Fatalf("remove one of two addresses: %q, %v", name, err)
	}
	if name, err = d.RemoveDevice("mac:3C-22-FB-12-34-56"); err != nil || name != "console" {
		t.Fatalf("remove the console: %q, %v", name, err)
	}
	if _, err := d.RemoveDevice("ip:192.168.1.99"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an address not in the file: %v, want ErrNotFound", err)
	}
	got := string(d.Bytes())
	if err := check("hearth.yaml")(d.Bytes()); err != nil {
		t.Fatalf("check-config: %v\n%s", err, got)
	}
	devs := d.Devices()
	if len(devs) != 2 || devs[0].Name != "alex-tablet" || !slices.Equal(devs[0].IP, []string{"192.168.1.20"}) || devs[0].Group != "kids" || devs[1].Name != "sam-phone" {
		t.Errorf("devices after removal: %+v\n%s", devs, got)
	}
	for _, keep := range []string{"# the family's devices", "# Alex's tablet, two addresses", "{ name: sam-phone, ip: 192.168.1.30 }"} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q:\n%s", keep, got)
		}
	}
	if strings.Contains(got, "console") || strings.Contains(got, "roblox") {
		t.Errorf("the console's item (and its own entries) should be gone:\n%s", got)
	}
}

// TestPeopleEdits: a person added, changed in place (comments and other
// items kept) and deleted, each result passing the checker.
func TestPeopleEdits(t *testing.T) {
	t.Parallel()
	src := `# the family
devices:
  - {name: alex-tablet, ip: 192.168.1.20}
  - {name: alex-switch, ip: 192.168.1.21}
  - {name: sam-phone, ip: 192.168.1.30}
groups:
  kids: {}
people:
  # our eldest
  - name: sam
    devices: [sam-phone]
`
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"add alex", func() error {
			return d.SetPerson("alex", mustNode(t, `{"devices":["alex-tablet","alex-switch"],"group":"kids","budgets":[{"what":["gaming"],"school_days":"60m","weekends":"2h"}]}`))
		}},
		{"give sam a group", func() error {
			return d.SetPerson("sam", mustNode(t, `{"name":"sam","devices":["sam-phone"],"group":"kids"}`))
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := check("hearth.yaml")(d.Bytes()); err != nil {
			t.Fatalf("after %s, check-config says: %v\n%s", s.name, err, d.Bytes())
		}
	}
	got := string(d.Bytes())
	if !strings.Contains(got, "# our eldest") || !strings.Contains(got, "# the family") {
		t.Errorf("comments lost:\n%s", got)
	}
	people, err := d.People()
	if err != nil || len(people) != 2 || people[0].Name != "sam" || people[1].Name != "alex" ||
		!strings.Contains(string(people[0].Value), `"group":"kids"`) || !strings.Contains(string(people[1].Value), `"school_days":"60m"`) {
		t.Fatalf("people: %v, %v\n%s", people, err, got)
	}
	if err := d.SetPerson("alex", mustNode(t, `{"name":"alexa"}`)); err == nil {
		t.Error("a body naming another person was taken")
	}
	if err := d.DeletePerson("sam"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeletePerson("sam"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting sam twice: %v", err)
	}
	if err := check("hearth.yaml")(d.Bytes()); err != nil || strings.Contains(string(d.Bytes()), "sam-phone]") {
		t.Errorf("after deleting sam: %v\n%s", err, d.Bytes())
	}
}

// TestDeviceByID: a device known only by the ID it gives over encrypted
// DNS (key id:...) is named in hearth.yaml by that ID, with no address; a
// different name is refused with the reason; forgetting it removes the item.
func TestDeviceByID(t *testing.T) {
	t.Parallel()
	src := "listen_tls: [\"127.0.0.1:8853\"]\ntls: {self_signed: true, names: [dns.home.arpa]}\ngroups:\n  kids: {}\n"
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetDevice(Device{Key: "id:alex-phone", Name: "alexs-phone", Group: "kids"}); err == nil || !strings.Contains(err.Error(), `name it "alex-phone"`) {
		t.Fatalf("another name for an ID: %v", err)
	}
	if err := d.SetDevice(Device{Key: "id:Alex-Phone", Name: "alex-phone", Group: "kids"}); err != nil {
		t.Fatal(err)
	}
	if err := check("hearth.yaml")(d.Bytes()); err != nil {
		t.Fatalf("check-config: %v\n%s", err, d.Bytes())
	}
	devs := d.Devices()
	if len(devs) != 1 || devs[0].Name != "alex-phone" || devs[0].Group != "kids" || len(devs[0].IP)+len(devs[0].MAC) != 0 {
		t.Fatalf("devices: %+v\n%s", devs, d.Bytes())
	}
	if byKey, _ := d.FindDevice("id:alex-phone", ""); byKey != 0 {
		t.Errorf("FindDevice(id:alex-phone) = %d", byKey)
	}
	if name, err := d.RemoveDevice("id:alex-phone"); err != nil || name != "alex-phone" || len(d.Devices()) != 0 {
		t.Errorf("remove: %q, %v, left %+v", name, err, d.Devices())
	}
	if _, _, err := ParseKey("id:not a label"); err == nil {
		t.Error("an ID with spaces was taken")
	}
}
