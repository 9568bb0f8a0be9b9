package doctor

import (
	"path/filepath"

	"github.com/hearth-dns/hearth/policy"
)

// readSeenDevices reads the registry of devices seen in the state directory
// without changing it (a damaged one is reported and left where it is). The
// one place the doctor reaches the policy's saved state: when the state files
// move to their own package, only this line changes.
var readSeenDevices = func(stateDir string) ([]policy.SeenDevice, error) {
	return policy.ReadSeenDevices(filepath.Join(stateDir, policy.DevicesFile))
}
