package web

// The first-start API (docs/api.md): GET /api/setup says whether setup is
// waiting and what it offers; POST /api/setup runs it (service_setup.go)
// and answers as a login does, with what was written.

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hearth-dns/hearth/policy"
)

func (s *Server) setupRoutes() {
	s.mux.HandleFunc("GET /api/setup", s.setupInfo)
	s.mux.HandleFunc("POST /api/setup", s.setupPost)
}

type presetInfo struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Group string `json:"group"`
	Says  string `json:"says"`
}

// setupInfo says whether setup is waiting (no password set) and lists the
// presets and countries. It holds no secret: the code is never shown here.
func (s *Server) setupInfo(w http.ResponseWriter, _ *http.Request) {
	presets := make([]presetInfo, len(setupPresets))
	for i, p := range setupPresets {
		presets[i] = presetInfo{p.ID, p.Label, p.Group, p.Says}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"needed":    !s.auth.PasswordSet(),
		"presets":   presets,
		"countries": policy.HelpCountries(),
		"timezone":  s.opts.Engine.Location().String(),
	})
}

// setupAnswer is POST /api/setup's answer: the session, as a login's, and
// what setup did.
type setupAnswer struct {
	sessionInfo
	Setup setupResult `json:"setup"`
}

func (s *Server) setupPost(w http.ResponseWriter, r *http.Request) {
	var req setupRequest
	if !decode(w, r, &req) {
		return
	}
	res, err := s.setup(w, r, req)
	if err != nil {
		var rl *RateLimitedError
		if errors.As(err, &rl) {
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds()+0.999)))
			writeError(w, http.StatusTooManyRequests, "%v", err)
			return
		}
		s.opts.Logger.Warn().Str("addr", r.RemoteAddr).Err(err).Msg("dashboard setup refused")
		writeServiceError(w, err)
		return
	}
	p := res.Login
	writeJSON(w, http.StatusOK, setupAnswer{
		sessionInfo: sessionInfo{LoggedIn: true, PasswordSet: true, CSRF: p.CSRF, Expires: p.Expires, Who: p.Who()},
		Setup:       res,
	})
}
