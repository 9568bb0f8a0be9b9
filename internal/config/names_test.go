package config

import "testing"

// TestDeviceNamesNotSlugsWarn: a device name in the file that is not a
// slug loads as before, with a warning at its line suggesting the slug.
func TestDeviceNamesNotSlugsWarn(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `devices:
  - name: alex-tablet
    ip: [192.168.1.20]
  - name: Games Console
    ip: [192.168.1.21]
  - name: "Zoë's iPad"
    ip: [192.168.1.22]
`)
	cfg, src, err := Load(LoadOptions{File: path, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "devices[1].name", cfg.Policy.Devices[1].Name, "Games Console")
	eq(t, "warnings", src.Warnings, []string{
		path + `:4: devices[1].name: "Games Console" is not a slug (lowercase letters, digits and '-', at most 40); it still works, but new names must be: write "games-console"`,
		path + `:6: devices[2].name: "Zoë's iPad" is not a slug (lowercase letters, digits and '-', at most 40); it still works, but new names must be: write "zoes-ipad"`,
	})
}

// TestGroupNamesNotSlugsWarn: a group name the compile rule accepts but the
// naming rule does not (old_kids) loads as before, with a warning at its
// line suggesting the slug; slugs get none.
func TestGroupNamesNotSlugsWarn(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `groups:
  kids:
    safe_search: strict
  old_kids:
    safe_search: moderate
devices:
  - name: sam
    ip: [192.168.1.20]
    group: old_kids
`)
	cfg, src, err := Load(LoadOptions{File: path, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "old_kids safe search", cfg.Policy.Groups["old_kids"].SafeSearch, "moderate")
	eq(t, "warnings", src.Warnings, []string{
		path + `:4: groups.old_kids: group name "old_kids" is not a slug (lowercase letters, digits and '-', at most 40); it still works, but new names must be: write "old-kids" (rename it on the Rules page)`,
	})
}
