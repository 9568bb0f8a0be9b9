package config

import (
	"strings"
	"testing"
	"time"
)

// TestAlertsFor: alerts.for decodes with what each entry leaves out unset
// (nil), and an unknown group or person, an unknown category and a name
// that is both a group and a person are errors naming the key.
func TestAlertsFor(t *testing.T) {
	base := "devices:\n  - {name: alex-tablet, ip: 192.168.1.40}\n" +
		"people:\n  - {name: alex, devices: [alex-tablet], group: kids}\n" +
		"groups:\n  kids: {}\n"
	path := writeConfig(t, base+"alerts:\n  for:\n    kids: {blocked: [random-video-chat, gaming], bedtime_chat: false}\n"+
		"    alex: {silent_device: 20m, blocked: []}\n")
	cfg, _, err := Load(LoadOptions{File: path, Environ: env()})
	if err != nil {
		t.Fatal(err)
	}
	kids, alex := cfg.Alerts.For["kids"], cfg.Alerts.For["alex"]
	if kids.Blocked == nil || len(*kids.Blocked) != 2 || kids.BedtimeChat == nil || *kids.BedtimeChat || kids.Bypass != nil || kids.SilentDevice != nil {
		t.Errorf("kids: %+v", kids)
	}
	if alex.SilentDevice == nil || *alex.SilentDevice != 20*time.Minute || alex.Blocked == nil || len(*alex.Blocked) != 0 || alex.BedtimeChat != nil {
		t.Errorf("alex: %+v", alex)
	}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Errorf("Validate: %v", errs)
	}

	path = writeConfig(t, base+"  alex: {}\nalerts:\n  for:\n    kdis: {bypass: true}\n    alex: {blocked: [omegel]}\n")
	cfg, _, err = Load(LoadOptions{File: path, Environ: env()})
	var got []string
	if err != nil {
		got = problems(err, "")
	} else {
		for _, e := range cfg.Validate() {
			got = append(got, e.Error())
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{`alerts.for.kdis: "kdis" is neither a group nor a person; did you mean "kids"?`,
		`alerts.for.alex: "alex" is both a group and a person`, `alerts.for.alex.blocked[0]: "omegel" is not a catalogue category or service`} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	// new_device is the household's only: not a key of an entry.
	path = writeConfig(t, base+"alerts:\n  for:\n    kids: {new_device: false}\n")
	if _, _, err := Load(LoadOptions{File: path, Environ: env()}); err == nil || !strings.Contains(err.Error(), `unknown key "alerts.for.kids.new_device"`) {
		t.Errorf("new_device in alerts.for: %v", err)
	}
}
