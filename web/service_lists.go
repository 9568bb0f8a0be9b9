package web

import (
	"context"
	"strconv"
	"time"
)

// The lists, a configuration reload and the audit trail.

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

// Lists is every list source's status.
func (sv *service) Lists() []listView {
	out := []listView{}
	for _, st := range sv.opts.Backend.ListStatus() {
		out = append(out, listView{Name: st.Name, Kind: st.Kind.String(), Service: st.Service, Categories: st.Categories,
			URL: st.URL, File: st.File, Entries: st.Entries, Skipped: st.Skipped, LastUpdate: st.LastUpdate,
			AgeSeconds: int64(st.Age / time.Second), LastError: st.LastError})
	}
	return out
}

// RefreshLists downloads the lists now (for up to 2 minutes); on failure
// the lists in use are kept.
func (sv *service) RefreshLists(ctx context.Context) ([]listView, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := sv.opts.Backend.RefreshLists(ctx); err != nil {
		return nil, failed(kindUpstream, err, "lists: %v (the lists in use are kept)", err)
	}
	return sv.Lists(), nil
}

// Reload reads the configuration again; a bad one is refused and the
// running one kept.
func (sv *service) Reload() error {
	if err := sv.opts.Backend.RequestReload(); err != nil {
		return failed(kindInvalid, err, "configuration not reloaded, the running one is kept: %v", err)
	}
	return nil
}

// Changes are the latest changes of the audit trail, newest first: limit
// of them (100 if "", 1..1000).
func (sv *service) Changes(limit string) ([]Change, error) {
	n := 100
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 || v > 1000 {
			return nil, invalid("limit", "limit: 1..1000", "1..1000")
		}
		n = v
	}
	changes, err := sv.audit.recent(n)
	if err != nil {
		return nil, failed(kindInternal, err, "audit trail: %v", err)
	}
	return changes, nil
}
