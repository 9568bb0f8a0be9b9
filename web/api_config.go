package web

// The API of hearth.yaml, in the file's own shape: groups, devices and the
// household's settings (docs/api.md). A change sends the version it read
// (If-Match: "<version>", as GET's ETag gives it); the answer carries the
// new one.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hearth-dns/hearth/internal/configedit"
)

func (s *Server) configRoutes() {
	m := s.mux
	m.Handle("GET /api/config", s.read(s.getConfig))
	m.Handle("GET /api/groups/{name}", s.read(s.getGroup))
	m.Handle("PUT /api/groups/{name}", s.change("set-group", s.putGroup))
	m.Handle("DELETE /api/groups/{name}", s.change("delete-group", s.deleteGroup))
	m.Handle("GET /api/household", s.read(s.getHousehold))
	m.Handle("PUT /api/household", s.change("set-household", s.putHousehold))
}

// ifMatch is the version a change was made from: the If-Match header
// ("" when absent: no check).
func ifMatch(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

func setVersion(w http.ResponseWriter, st configState) {
	if st.Version != "" {
		w.Header().Set("ETag", `"`+st.Version+`"`)
	}
}

// configErrorBody is an API error about hearth.yaml: besides the message
// and fields, the file's version now, why it cannot be saved and the YAML
// to paste instead, or the devices still in a group.
type configErrorBody struct {
	Error   string            `json:"error"`
	Fields  map[string]string `json:"fields,omitempty"`
	Version string            `json:"version,omitempty"`
	Why     string            `json:"why,omitempty"`
	Path    string            `json:"path,omitempty"`
	YAML    string            `json:"yaml,omitempty"`
	Devices []string          `json:"devices,omitempty"`
}

func writeConfigError(w http.ResponseWriter, err error, st configState) {
	e := classify(err)
	body := configErrorBody{Error: e.msg, Fields: e.fields}
	var (
		stale    *configedit.StaleError
		readOnly *configedit.ReadOnlyError
		inUse    *configedit.InUseError
	)
	switch {
	case errors.As(err, &stale):
		body.Version = stale.Current
	case errors.As(err, &readOnly):
		body.Why, body.Path, body.YAML, body.Version = readOnly.Why, readOnly.Path, string(readOnly.YAML), st.Version
	case errors.As(err, &inUse):
		body.Devices = inUse.Devices
	}
	setVersion(w, st)
	writeJSON(w, statusOf(err), body)
}

// rawBody reads a request body of JSON (up to maxBody).
func rawBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "request body: %v", err)
		return nil, false
	}
	return b, true
}

func writeRaw(w http.ResponseWriter, status int, raw json.RawMessage) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(raw, '\n'))
}

func (s *Server) getConfig(w http.ResponseWriter, _ *http.Request, _ Principal) {
	st, data, err := s.svc.ConfigState()
	if err != nil {
		writeServiceError(w, err)
		return
	}
	setVersion(w, st)
	writeJSON(w, http.StatusOK, map[string]any{"version": st.Version, "editable": st.Editable, "why": st.Why, "path": st.Path, "yaml": string(data)})
}

// groupsConfig answers GET /api/groups: the groups as the file has them,
// the file's state, and each group laid out on a week.
func (s *Server) groupsConfig(w http.ResponseWriter, _ *http.Request, _ Principal) {
	groups, st, err := s.svc.GroupsConfig()
	if err != nil {
		writeServiceError(w, err)
		return
	}
	setVersion(w, st)
	writeJSON(w, http.StatusOK, map[string]any{"version": st.Version, "editable": st.Editable, "why": st.Why,
		"groups": groups, "zone": s.opts.Engine.Location().String(), "week": s.opts.Engine.Week()})
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, _ Principal) {
	g, st, err := s.svc.GroupConfig(r.PathValue("name"))
	if err != nil {
		writeConfigError(w, err, st)
		return
	}
	setVersion(w, st)
	writeRaw(w, http.StatusOK, g)
}

func (s *Server) putGroup(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	return s.putNamed(w, r, s.svc.PutGroup)
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	return s.deleteNamed(w, r, s.svc.DeleteGroup)
}

// putNamed is PUT of a named section of hearth.yaml (a group, a person):
// the body in the file's shape, If-Match the version, the section as saved.
func (s *Server) putNamed(w http.ResponseWriter, r *http.Request, put func(name string, body []byte, version string) (json.RawMessage, configState, error)) (string, string, error) {
	name := r.PathValue("name")
	body, ok := rawBody(w, r)
	if !ok {
		return name, "", errBadRequest
	}
	v, st, err := put(name, body, ifMatch(r))
	if err != nil {
		writeConfigError(w, err, st)
		return name, "", cause(err)
	}
	setVersion(w, st)
	writeRaw(w, http.StatusOK, v)
	return name, "hearth.yaml " + short(st.Version), nil
}

// deleteNamed is DELETE of a named section of hearth.yaml.
func (s *Server) deleteNamed(w http.ResponseWriter, r *http.Request, del func(name, version string) (configState, error)) (string, string, error) {
	name := r.PathValue("name")
	st, err := del(name, ifMatch(r))
	if err != nil {
		writeConfigError(w, err, st)
		return name, "", cause(err)
	}
	setVersion(w, st)
	w.WriteHeader(http.StatusNoContent)
	return name, "hearth.yaml " + short(st.Version), nil
}

func (s *Server) getHousehold(w http.ResponseWriter, _ *http.Request, _ Principal) {
	h, st, err := s.svc.Household()
	if err != nil {
		writeServiceError(w, err)
		return
	}
	setVersion(w, st)
	writeRaw(w, http.StatusOK, h)
}

func (s *Server) putHousehold(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	body, ok := rawBody(w, r)
	if !ok {
		return "", "", errBadRequest
	}
	h, st, err := s.svc.PutHousehold(body, ifMatch(r))
	if err != nil {
		writeConfigError(w, err, st)
		return "household", "", cause(err)
	}
	setVersion(w, st)
	writeRaw(w, http.StatusOK, h)
	return "household", "hearth.yaml " + short(st.Version), nil
}

// deviceRequest is the body of PUT /api/devices/{key}: as a devices item
// of hearth.yaml, without the address (the key gives it).
type deviceRequest struct {
	Name  string    `json:"name"`
	Group string    `json:"group"`
	Allow *[]string `json:"allow"`
	Block *[]string `json:"block"`
}

func (s *Server) putDevice(w http.ResponseWriter, r *http.Request, p Principal) (string, string, error) {
	key := r.PathValue("key")
	var req deviceRequest
	if !decode(w, r, &req) {
		return key, "", errBadRequest
	}
	dv := configedit.Device{Key: key, Name: req.Name, Group: req.Group, Allow: req.Allow, Block: req.Block}
	stored, st, err := s.svc.PutDevice(dv, ifMatch(r), p.Who()+" "+p.Addr)
	detail := fmt.Sprintf("name %q, group %q", req.Name, req.Group)
	if err != nil {
		writeConfigError(w, err, st)
		return key, detail, cause(err)
	}
	setVersion(w, st)
	resp := map[string]any{"key": key, "name": req.Name, "group": firstNonEmpty(req.Group, "default"), "stored": stored, "version": st.Version}
	if req.Allow != nil {
		resp["allow"] = *req.Allow
	}
	if req.Block != nil {
		resp["block"] = *req.Block
	}
	if stored == "state" {
		resp["why"] = st.Why
	}
	writeJSON(w, http.StatusOK, resp)
	return key, detail + " in " + stored, nil
}

func short(v string) string { return v[:min(12, len(v))] }
