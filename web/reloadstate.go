package web

import "time"

// ReloadOutcome is how the last configuration reload went (SIGHUP, `hearth
// reload`, the dashboard's Reload or an edit's reload). A refused one is
// shown on every page and in /api/status until a later reload succeeds.
type ReloadOutcome struct {
	At       time.Time `json:"at,omitzero"` // zero: no reload since the start
	Refused  bool      `json:"refused"`
	Problems []string  `json:"problems,omitempty"` // why it was refused, one a line
}

// LastReload is the backend's last reload outcome (the zero outcome without
// a backend).
func (sv *service) LastReload() ReloadOutcome {
	if sv.opts.Backend == nil {
		return ReloadOutcome{}
	}
	return sv.opts.Backend.LastReload()
}
