package web

// The rest of the API: the report and the log from the journal, the lists,
// reload and the audit trail.

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/report"
)

// The rest of the API: the report and the log from the journal, the lists,
// reload and the audit trail.

// period reads ?since= (default def) and returns [now-since, now).
func (s *Server) period(w http.ResponseWriter, r *http.Request, def string) (since, until time.Time, ok bool) {
	length, err := report.ParseLength(firstNonEmpty(r.URL.Query().Get("since"), def))
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: err.Error(), Fields: map[string]string{"since": err.Error()}})
		return since, until, false
	}
	until = s.opts.Clock.Now()
	return until.Add(-length), until, true
}

func (s *Server) journalOn(w http.ResponseWriter) bool {
	if s.opts.Journal == nil {
		writeError(w, http.StatusNotFound, "the journal is off (journal.enabled: false), so there is no report or log")
		return false
	}
	return true
}

// buildReport builds the report the request asks for.
func (s *Server) buildReport(w http.ResponseWriter, r *http.Request) (*report.Report, bool) {
	if !s.journalOn(w) {
		return nil, false
	}
	since, until, ok := s.period(w, r, "7d")
	if !ok {
		return nil, false
	}
	device := r.URL.Query().Get("device")
	if device != "" {
		if _, known := s.opts.Engine.HasDevice(device); !known {
			writeError(w, http.StatusNotFound, "no device %q", device)
			return nil, false
		}
	}
	rep, err := report.Build(r.Context(), s.opts.Journal, report.Options{Since: since, Until: until, Device: device,
		Location: s.opts.Engine.Location(), Catalogue: s.opts.Catalogue, HelpCountries: s.opts.HelpCountries})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "report: %v", err)
		return nil, false
	}
	return rep, true
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, _ Principal) {
	if rep, ok := s.buildReport(w, r); ok {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = rep.JSON(w)
	}
}

// logRows reads the journal rows the request asks for.
func (s *Server) logRows(w http.ResponseWriter, r *http.Request) ([]journal.Row, bool) {
	if !s.journalOn(w) {
		return nil, false
	}
	since, until, ok := s.period(w, r, "24h")
	if !ok {
		return nil, false
	}
	q := r.URL.Query()
	f := journal.Filter{Since: since, Until: until, Device: q.Get("device"), Action: journal.OnlyBlocked, Limit: 200}
	switch q.Get("action") {
	case "", "block":
	case "allow":
		f.Action = journal.OnlyAllowed
	case "all":
		f.Action = journal.AnyAction
	default:
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "action: use block, allow or all", Fields: map[string]string{"action": "use block, allow or all"}})
		return nil, false
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 5000 {
			writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "limit: 1..5000", Fields: map[string]string{"limit": "1..5000"}})
			return nil, false
		}
		f.Limit = n
	}
	rows, err := s.opts.Journal.Rows(r.Context(), f)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "journal: %v", err)
		return nil, false
	}
	return rows, true
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
}

func (s *Server) log(w http.ResponseWriter, r *http.Request, _ Principal) {
	rows, ok := s.logRows(w, r)
	if !ok {
		return
	}
	out := make([]logRow, len(rows))
	for i, x := range rows {
		out[i] = logRow{x.Minute, x.Device, x.Client, x.Group, x.Name, x.Action, x.Reason, x.Category, x.Service,
			x.List, x.Rule, x.Window, x.Attempts, x.Queries}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": out})
}

// listView is one list source's status.
type listView struct {
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Service    string    `json:"service,omitempty"`
	Categories []string  `json:"categories"`
	URL        string    `json:"url,omitempty"`
	File       string    `json:"file,omitempty"`
	Entries    int       `json:"entries"`
	Skipped    int       `json:"skipped"`
	LastUpdate time.Time `json:"last_update,omitzero"`
	AgeSeconds int64     `json:"age_seconds"`
	LastError  string    `json:"last_error,omitempty"`
}

func (s *Server) listViews() []listView {
	out := []listView{}
	for _, st := range s.opts.Backend.ListStatus() {
		out = append(out, listView{Name: st.Name, Kind: st.Kind.String(), Service: st.Service, Categories: st.Categories,
			URL: st.URL, File: st.File, Entries: st.Entries, Skipped: st.Skipped, LastUpdate: st.LastUpdate,
			AgeSeconds: int64(st.Age / time.Second), LastError: st.LastError})
	}
	return out
}

func (s *Server) lists(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]any{"lists": s.listViews()})
}

func (s *Server) refreshLists(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	if err := s.opts.Backend.RefreshLists(ctx); err != nil {
		writeError(w, http.StatusBadGateway, "lists: %v (the lists in use are kept)", err)
		return "", "", err
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": s.listViews()})
	return "", "", nil
}

func (s *Server) reload(w http.ResponseWriter, _ *http.Request, _ Principal) (string, string, error) {
	if err := s.opts.Backend.RequestReload(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "configuration not reloaded, the running one is kept: %v", err)
		return "", "", err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reloaded": true})
	return "", "", nil
}

func (s *Server) auditTrail(w http.ResponseWriter, r *http.Request, _ Principal) {
	n := 100
	if l := r.URL.Query().Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > 1000 {
			writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "limit: 1..1000", Fields: map[string]string{"limit": "1..1000"}})
			return
		}
		n = v
	}
	changes, err := s.audit.recent(n)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "audit trail: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": changes})
}
