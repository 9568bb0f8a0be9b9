package alerts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// NeighbourStatusFile is where the running Hearth saves the neighbour
// check's last look (under the state directory's alerts/), for `hearth
// doctor` and the Alerts page.
const NeighbourStatusFile = "neighbours.status.json"

// NeighbourStatus is the once-a-minute look at the kernel's neighbour table
// (`ip neigh show`) for devices online but silent and for new devices seen
// only there.
type NeighbourStatus struct {
	// On: a check needs the table (silent_device or new_device on, with a
	// channel); off, the rest is empty.
	On        bool      `json:"on"`
	Readable  bool      `json:"readable"`        // the last read worked
	Error     string    `json:"error,omitempty"` // why it did not
	LastRun   time.Time `json:"last_run,omitzero"`
	Online    int       `json:"online"`  // neighbours heard from lately
	Watched   int       `json:"watched"` // configured devices watched for silence
	Silent    bool      `json:"silent"`  // the silent check is on
	NewDevice bool      `json:"new_device"`
}

// SaveNeighbourStatus writes st under stateDir (best effort: the file is
// for doctor, and the next look writes it again).
func SaveNeighbourStatus(stateDir string, st NeighbourStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	path := filepath.Join(stateDir, SpoolDir, NeighbourStatusFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadNeighbourStatus reads what the running Hearth saved; ok is false when
// there is no file (Hearth has not looked yet, or no check is on).
func ReadNeighbourStatus(stateDir string) (st NeighbourStatus, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(stateDir, SpoolDir, NeighbourStatusFile))
	if os.IsNotExist(err) {
		return st, false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	return st, err == nil, err
}

// On reports whether the household's events switch kind on (new_device,
// unwell: the household's only).
func (s *Service) On(k Kind) bool { return s.routes.Load().household.kindOn(k) }
