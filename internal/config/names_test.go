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
