package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// The policy's state files in the state directory: one definition of each
// name, for the server that keeps them and the commands that read them.
const (
	OverridesFile   = "overrides.json"   // pauses and bonus time (Overrides)
	DevicesFile     = "devices.json"     // the devices seen (Registry)
	AssignmentsFile = "assignments.json" // the devices named on the dashboard (Assignments)
)

// ReadSeenDevices reads the registry of devices seen at path without
// changing it: a file it cannot parse is reported and left where it is
// (OpenRegistry, which the server uses, sets a damaged one aside). A missing
// file is no devices and no error. For read-only commands (`hearth doctor`).
func ReadSeenDevices(path string) ([]SeenDevice, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read: %v", path, err)
	}
	var file struct {
		Devices []SeenDevice `json:"devices"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s cannot be parsed: %v", path, err)
	}
	r := NewRegistry("")
	for _, d := range file.Devices {
		s := &Seen{key: d.Key, first: d.FirstSeen, device: d.Device, mac: d.MAC, addr: d.Addr, lease: d.Lease}
		s.last.Store(d.LastSeen.Unix())
		r.m[d.Key] = s
	}
	return r.List(), nil
}
