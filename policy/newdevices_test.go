package policy

import (
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// TestNewDevicesGroup: with new_devices.group, a device nobody named gets
// that group's rules (identification, deciding, status); a named device
// without a group stays in default; an unknown group is refused by key.
func TestNewDevicesGroup(t *testing.T) {
	t.Parallel()
	cfg := family()
	cfg.Devices = append(cfg.Devices, DeviceConfig{Name: "guest-laptop", IP: []string{"127.0.0.30"}})
	cfg.NewDevices.Group = "kids"
	e := newFamilyEngine(t, cfg)
	now := at("2026-11-26 12:00:00") // a Thursday at noon: gaming is outside its windows
	for _, tc := range []struct {
		addr, device, group string
		blocked             bool
	}{
		{"127.0.0.99", "", "kids", true},                 // unnamed: the new-devices group
		{"127.0.0.30", "guest-laptop", "default", false}, // named, no group: default
	} {
		if got := e.Lookup(client(tc.addr)); got.Device != tc.device || got.Group != tc.group {
			t.Errorf("%s: identified as %q/%q, want %q/%q", tc.addr, got.Device, got.Group, tc.device, tc.group)
		}
		d := e.Decide(Query{Name: "www.roblox.com", Client: client(tc.addr), Now: now})
		if (d.Action == verdict.Block) != tc.blocked || d.Group != tc.group {
			t.Errorf("%s: roblox decided %v in %q, want blocked=%v in %q", tc.addr, d.Action, d.Group, tc.blocked, tc.group)
		}
	}
	if got := e.NewDevicesGroup(); got != "kids" {
		t.Errorf("NewDevicesGroup = %q, want kids", got)
	}
	if st, _ := e.DeviceStatus("", now); st.Group != "kids" {
		t.Errorf("unknown devices' status in %q, want kids", st.Group)
	}

	cfg.NewDevices.Group = "kidz"
	errs := cfg.Validate(blocklists.Builtin(), listCats)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "new_devices.group") || !strings.Contains(errs[0].Error(), `"kidz"`) {
		t.Errorf("unknown new_devices.group: got %v", errs)
	}
	cfg.NewDevices.Group = ""
	if errs := cfg.Validate(blocklists.Builtin(), listCats); len(errs) > 0 {
		t.Errorf("empty new_devices.group: %v", errs)
	}
}
