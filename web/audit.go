package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// AuditFile is the audit trail's file in the state directory: one JSON
// object per line, one line per change made through the dashboard or API.
const AuditFile = "audit.jsonl"

// auditMax is the size past which the file is moved to AuditFile+".1"
// (replacing the previous one) and a new one started.
const auditMax = 1 << 20

// Change is one entry of the audit trail: who changed what, when.
type Change struct {
	At     time.Time `json:"at"`
	Who    string    `json:"who"`    // "dashboard" or "token NAME"
	Addr   string    `json:"addr"`   // the client's address
	Action string    `json:"action"` // "pause", "bonus", "cancel", "name-device", ...
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	OK     bool      `json:"ok"`
	Error  string    `json:"error,omitempty"`
}

// audit appends changes to the file and the log. A change is applied
// before it is written down: an audit file that cannot be written is
// logged, never a reason to refuse a parent's pause.
type audit struct {
	path string // "" keeps nothing on disk
	log  zerolog.Logger
	mu   sync.Mutex
}

func (a *audit) record(c Change) {
	ev := a.log.Info()
	if !c.OK {
		ev = a.log.Warn().Str("error", c.Error)
	}
	ev.Str("event", "change").Str("who", c.Who).Str("addr", c.Addr).Str("action", c.Action).
		Str("target", c.Target).Str("detail", c.Detail).Msg("dashboard change")
	if a.path == "" {
		return
	}
	line, _ := json.Marshal(c)
	a.mu.Lock()
	defer a.mu.Unlock()
	if fi, err := os.Stat(a.path); err == nil && fi.Size()+int64(len(line)) > auditMax {
		_ = os.Rename(a.path, a.path+".1")
	}
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		a.log.Error().Err(err).Msg("audit trail not written; the change itself was made")
	}
}

// recent returns up to n changes, newest first, from the file and the one
// before it.
func (a *audit) recent(n int) ([]Change, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Change
	for _, p := range []string{a.path, a.path + ".1"} {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var file []Change
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			var c Change
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				file = append(file, c)
			}
		}
		slices.Reverse(file)
		out = append(out, file...)
		if len(out) >= n {
			return out[:n], nil
		}
	}
	if out == nil {
		out = []Change{}
	}
	return out, nil
}

func auditPath(stateDir string) string {
	if stateDir == "" {
		return ""
	}
	return filepath.Join(stateDir, AuditFile)
}
