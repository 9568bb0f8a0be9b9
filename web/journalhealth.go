package web

// JournalHealth is the journal's state for /api/status and the Now page, so
// that a journal that cannot write its database (a PostgreSQL server down,
// a full disk) is seen without `hearth doctor`; with two Hearths, on the
// node that has the trouble.
type JournalHealth struct {
	Failing   bool   `json:"failing"`              // the database is unavailable: lookups are kept in memory only
	LastError string `json:"last_error,omitempty"` // why, while failing
	Dropped   uint64 `json:"dropped"`              // lookups lost since start (queue full, memory bound)
}

// journalHealth reads the journal's figures (no database access); nil when
// the journal is off.
func (sv *service) journalHealth() *JournalHealth {
	if sv.opts.Journal == nil {
		return nil
	}
	st := sv.opts.Journal.Stats()
	h := &JournalHealth{Failing: st.InMemory, Dropped: st.Dropped}
	if h.Failing {
		h.LastError = st.LastError
	}
	return h
}

// Line is the Now page's sentence while the journal fails ("" when well);
// node is this Hearth's state.node when it shares state with others.
func (h *JournalHealth) Line(node string) string {
	if h == nil || !h.Failing {
		return ""
	}
	where := "The journal"
	if node != "" {
		where = "On node " + node + ", the journal"
	}
	why := ""
	if h.LastError != "" {
		why = " (" + h.LastError + ")"
	}
	return where + " cannot write its database" + why +
		": blocked lookups are kept in memory only, and the report will miss them. `hearth doctor` says why."
}
