package web

import (
	"context"
	"net/http"

	"github.com/hearth-dns/hearth/alerts"
)

// AlertsBackend is the running alerts, as the app has them (they are
// replaced when a reload changes their settings).
type AlertsBackend interface {
	// AlertChannels is each channel's state; nil when no channel is set.
	AlertChannels() []alerts.ChannelState
	// TestAlerts sends a test alert through every channel now; false when
	// no channel is set.
	TestAlerts(ctx context.Context) ([]alerts.TestResult, bool)
}

// alertChannels: GET /api/alerts.
func (s *Server) alertChannels(w http.ResponseWriter, _ *http.Request, _ Principal) {
	chans := []alerts.ChannelState{}
	var network *alerts.NeighbourStatus
	if s.opts.Alerts != nil {
		if c := s.opts.Alerts.AlertChannels(); c != nil {
			chans = c
		}
		if ns, ok := s.opts.Alerts.(NeighbourStatuser); ok {
			network = ns.NeighbourStatus()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"configured": len(chans) > 0, "channels": chans, "network": network})
}

// testAlert: POST /api/alerts/test.
func (s *Server) testAlert(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	var res []alerts.TestResult
	ok := false
	if s.opts.Alerts != nil {
		res, ok = s.opts.Alerts.TestAlerts(r.Context())
	}
	if !ok {
		writeError(w, http.StatusConflict, "no alert channel is set: add alerts.ntfy, alerts.webhook or alerts.email to hearth.yaml")
		return "", "", errNoChannel
	}
	worked := 0
	for _, t := range res {
		if t.OK {
			worked++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res, "ok": worked == len(res)})
	return "", "", nil
}

type noChannelError struct{}

func (noChannelError) Error() string { return "no alert channel is set" }

var errNoChannel = noChannelError{}
