package doctor

import (
	"fmt"
	"path/filepath"

	"github.com/hearth-dns/hearth/policy/state"
)

// readSeenDevices reads the registry of devices seen in the state directory
// without changing it: a registry it cannot parse is reported and left as
// it is.
func readSeenDevices(stateDir string) ([]state.SeenDevice, error) {
	path := filepath.Join(stateDir, state.DevicesFile)
	reg, err := state.OpenRegistryReadOnly(path)
	if reg == nil {
		return nil, fmt.Errorf("%s cannot be read: %v", path, err)
	}
	if err != nil {
		return nil, err
	}
	return reg.List(), nil
}
