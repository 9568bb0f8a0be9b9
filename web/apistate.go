package web

// The API's resources: each handler reads its request, asks the service
// layer, and writes the value as JSON or the error with its status.

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

func (s *Server) status(w http.ResponseWriter, r *http.Request, _ Principal) {
	st, err := s.svc.PersonStatus(r.URL.Query().Get("person"))
	if err != nil {
		writeServiceError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// budgetBonus is POST /api/budgets/{owner}/bonus {"what": "gaming",
// "minutes": 15}: extra minutes today for a person (or a device nobody
// owns).
func (s *Server) budgetBonus(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	owner := r.PathValue("owner")
	var req struct {
		What    string `json:"what"`
		Minutes int    `json:"minutes"`
	}
	if !decode(w, r, &req) {
		return owner, "", errBadRequest
	}
	ov, warning, err := s.svc.AddExtraMinutes(owner, req.What, req.Minutes, p.Who())
	if err != nil {
		writeServiceError(w, err)
		return owner, "", err
	}
	resp := map[string]any{"override": ov}
	if budgets, err := s.opts.Engine.BudgetStatus(s.opts.Clock.Now(), ov.Person); err == nil {
		resp["budgets"] = budgets
	}
	if warning != nil {
		resp["warning"] = warning.Error()
	}
	writeJSON(w, http.StatusCreated, resp)
	return ov.Target(), fmt.Sprintf("+%d minutes of %s today (%s)", ov.Minutes, ov.What, ov.ID), nil
}

func (s *Server) statusOne(w http.ResponseWriter, r *http.Request, _ Principal) {
	name := r.PathValue("device")
	if name == "unknown" {
		name = ""
	}
	st, err := s.svc.DeviceStatus(name)
	if err != nil {
		writeServiceError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) devices(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"devices": s.svc.Devices(), "groups": s.opts.Engine.GroupNames()})
}

func (s *Server) forgetDevice(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	key := r.PathValue("key")
	if _, err := s.svc.ForgetDevice(key); err != nil {
		writeServiceError(w, err)
		return key, "", err
	}
	w.WriteHeader(http.StatusNoContent)
	return key, "", nil
}

func (s *Server) groups(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"zone": s.opts.Engine.Location().String(), "groups": s.opts.Engine.Week()})
}

func (s *Server) overrides(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"overrides": s.svc.Overrides()})
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	return s.addOverride(w, r, p, state.OverridePause)
}

func (s *Server) bonus(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	return s.addOverride(w, r, p, state.OverrideBonus)
}

func (s *Server) laterBedtime(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	return s.addOverride(w, r, p, state.OverrideLaterBedtime)
}

func (s *Server) earlyBedtime(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	return s.addOverride(w, r, p, state.OverrideEarlyBedtime)
}

func (s *Server) addOverride(w http.ResponseWriter, r *http.Request, p Principal, kind state.OverrideKind) (string, string, error) {
	var req overrideRequest
	if !decode(w, r, &req) {
		return "", "", errBadRequest
	}
	sr, err := req.request(kind, p.Who(), s.opts.Clock.Now(), s.opts.Engine.Location())
	var ov state.Override
	var warning error
	if err == nil {
		ov, warning, err = s.svc.AddOverride(sr)
	}
	if err != nil {
		writeServiceError(w, err)
		return req.target(), "", err
	}
	resp := map[string]any{"override": ov}
	if warning != nil {
		resp["warning"] = warning.Error()
	}
	writeJSON(w, http.StatusCreated, resp)
	return ov.Target(), s.overrideDetail(ov), nil
}

// overrideDetail is an override for the audit trail: "gaming until
// 2026-11-26T12:45:00Z (1a2b3c4d)".
func (s *Server) overrideDetail(ov state.Override) string {
	return strings.TrimSpace(ov.What+" until "+ov.Until.In(s.opts.Engine.Location()).Format(time.RFC3339)) + " (" + ov.ID + ")"
}

// extend is POST /api/overrides/{id}/extend {"minutes": 30}.
func (s *Server) extend(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	id := r.PathValue("id")
	var req struct {
		Minutes int `json:"minutes"`
	}
	if !decode(w, r, &req) {
		return id, "", errBadRequest
	}
	ov, warning, err := s.svc.ExtendOverride(id, req.Minutes)
	if err != nil {
		writeServiceError(w, err)
		return id, "", err
	}
	resp := map[string]any{"override": ov}
	if warning != nil {
		resp["warning"] = warning.Error()
	}
	writeJSON(w, http.StatusOK, resp)
	return ov.Target(), fmt.Sprintf("%+d minutes: %s", req.Minutes, s.overrideDetail(ov)), nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	id := r.PathValue("id")
	if _, err := s.svc.CancelOverride(id); err != nil {
		writeServiceError(w, err)
		return id, "", err
	}
	w.WriteHeader(http.StatusNoContent)
	return id, "", nil
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := r.URL.Query()
	rep, err := s.svc.Report(r.Context(), reportQuery{Since: q.Get("since"), Device: q.Get("device"), Person: q.Get("person")})
	if err != nil {
		writeServiceError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = rep.JSON(w)
}

// logRow is one journal row as the API gives it.
type logRow struct {
	Minute   time.Time      `json:"minute"`
	Device   string         `json:"device"`
	Client   string         `json:"client"`
	Group    string         `json:"group"`
	Name     string         `json:"name"`
	Action   verdict.Action `json:"action"` // its stable name: "block", "allow"
	Reason   verdict.Reason `json:"reason"` // its stable name: "rule", "bedtime", "safe-search"...
	Category string         `json:"category,omitempty"`
	Service  string         `json:"service,omitempty"`
	List     string         `json:"list,omitempty"`
	Rule     string         `json:"rule,omitempty"`
	Window   string         `json:"window,omitempty"`
	Attempts int64          `json:"attempts"`
	Queries  int64          `json:"queries"`
	// Folded: the row stands for this many names over the device's budget
	// (name is then a marker such as "*.roblox.com"); 0 otherwise.
	Folded int64 `json:"folded,omitempty"`
}

func (s *Server) log(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := r.URL.Query()
	rows, err := s.svc.Log(r.Context(), logQuery{Since: q.Get("since"), Device: q.Get("device"), Person: q.Get("person"), Action: q.Get("action"), Limit: q.Get("limit")})
	if err != nil {
		writeServiceError(w, err)
		return
	}
	out := make([]logRow, len(rows))
	for i, x := range rows {
		out[i] = logRow{x.Minute, x.Device, x.Client, x.Group, x.Name, x.Action, x.Reason, x.Category, x.Service,
			x.List, x.Rule, x.Window, x.Attempts, x.Queries, x.Folded}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": out})
}

func (s *Server) lists(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"lists": s.svc.Lists()})
}

func (s *Server) refreshLists(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	lists, err := s.svc.RefreshLists(r.Context())
	if err != nil {
		writeServiceError(w, err)
		return "", "", cause(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": lists})
	return "", "", nil
}

func (s *Server) reload(w http.ResponseWriter, _ *http.Request, _ Principal) (string, string, error) {
	if err := s.svc.Reload(); err != nil {
		writeServiceError(w, err)
		return "", "", cause(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"reloaded": true})
	return "", "", nil
}

func (s *Server) auditTrail(w http.ResponseWriter, r *http.Request, _ Principal) {
	changes, err := s.svc.Changes(r.URL.Query().Get("limit"))
	if err != nil {
		writeServiceError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": changes})
}
