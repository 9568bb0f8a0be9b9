package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/internal/configedit"
)

// Children (people: in hearth.yaml): who owns which devices, their group
// and their daily budgets, edited in the file like groups and devices.
// The API: GET /api/people, PUT and DELETE /api/people/{name}; the Devices
// page has a Children section with the same edits.

// PeopleConfig is every person of the file, in its order, as JSON in the
// file's shape.
func (sv *service) PeopleConfig() ([]configedit.NamedValue, configState, error) {
	doc, snap, err := sv.readConfig()
	if err != nil {
		return nil, configState{}, err
	}
	people, err := doc.People()
	if err != nil {
		return nil, configState{}, failed(kindInternal, err, "%v", err)
	}
	return people, stateOf(sv.configFile(), snap), nil
}

// PutPerson adds or changes the person called name (a slug) in hearth.yaml.
func (sv *service) PutPerson(name string, body []byte, version string) (json.RawMessage, configState, error) {
	if err := checkSlug("name", "person", name, sv.hasPerson(name)); err != nil {
		return nil, configState{}, err
	}
	n, err := jsonBody(body)
	if err != nil {
		return nil, configState{}, err
	}
	st, err := sv.editConfig(version, func(d *configedit.Doc) error { return d.SetPerson(name, n) })
	if err != nil {
		return nil, st, err
	}
	doc, _, err := sv.readConfig()
	if err != nil {
		return nil, st, err
	}
	p, err := doc.Person(name)
	return p, st, err
}

// DeletePerson removes a person; their devices stay, owned by nobody.
func (sv *service) DeletePerson(name, version string) (configState, error) {
	return sv.editConfig(version, func(d *configedit.Doc) error { return d.DeletePerson(name) })
}

func (sv *service) hasPerson(name string) bool {
	return slices.Contains(sv.opts.Engine.People(), name)
}

func (s *Server) peopleRoutes(m *http.ServeMux) {
	m.Handle("GET /api/people", s.read(s.people))
	m.Handle("PUT /api/people/{name}", s.change("put-person", s.putPerson))
	m.Handle("DELETE /api/people/{name}", s.change("delete-person", s.deletePerson))
}

func (s *Server) people(w http.ResponseWriter, _ *http.Request, _ Principal) {
	people, st, err := s.svc.PeopleConfig()
	if err != nil {
		writeServiceError(w, err)
		return
	}
	out := map[string]json.RawMessage{}
	for _, p := range people {
		out[p.Name] = p.Value
	}
	setVersion(w, st)
	writeJSON(w, http.StatusOK, map[string]any{"version": st.Version, "editable": st.Editable, "why": st.Why, "people": out})
}

func (s *Server) putPerson(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	return s.putNamed(w, r, s.svc.PutPerson)
}

func (s *Server) deletePerson(w http.ResponseWriter, r *http.Request, _ Principal) (string, string, error) {
	return s.deleteNamed(w, r, s.svc.DeletePerson)
}

// The Devices page's Children section: one card per child (their
// devices as boxes, their group) and a form to add one.

type childCard struct {
	ID, Name, Group string
	Devices         []childDevice
	// Budgets are the child's own daily budgets (replacing their group's
	// for the same what), then an empty row to add one.
	Budgets []budgetView
	NewRow  int // the empty row's index
}

type childDevice struct {
	Name  string
	Owned bool
}

// children fills the Children section from the file; a refused save of a
// child's form (v.Failed) shows what was posted, problems next to the rows.
func (ps *pageSet) children(v *view) []childCard {
	people, _, err := ps.s.svc.PeopleConfig()
	if err != nil {
		return nil
	}
	var named []string
	for _, g := range ps.s.opts.Engine.Week() {
		named = append(named, g.Devices...)
	}
	slices.Sort(named)
	var out []childCard
	for i, p := range people {
		var pv struct {
			Devices []string        `json:"devices"`
			Group   string          `json:"group"`
			Budgets json.RawMessage `json:"budgets"`
		}
		_ = json.Unmarshal(p.Value, &pv)
		c := childCard{ID: fmt.Sprintf("child-%d", i+1), Name: p.Name, Group: pv.Group}
		for _, n := range named {
			c.Devices = append(c.Devices, childDevice{n, slices.Contains(pv.Devices, n)})
		}
		budgets, errs := budgetsFromJSON(pv.Budgets), map[string]string{}
		if f := v.Failed; f != nil && f.Action == "put-person" && f.Form.Get("name") == p.Name {
			budgets = budgetsFromForm(f.Form)
			for key, msg := range f.Fields {
				var i int
				if _, err := fmt.Sscanf(strings.TrimPrefix(key, "people."+p.Name+"."), "budgets[%d]", &i); err == nil {
					id := fmt.Sprintf("b%d", i)
					errs[id] = joinMsg(errs[id], msg)
				}
			}
		}
		c.NewRow = len(budgets)
		c.Budgets = ps.budgetViews(append(budgets, budgetDraft{}), errs)
		out = append(out, c)
	}
	return out
}

// savePerson is the Children section's form: a child's name, group and
// devices (the boxes ticked); their budgets are kept as they are.
func (ps *pageSet) savePerson(r *http.Request, _ Principal) (string, string, string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		return name, "", "", invalid("name", "a child needs a name", "give the child a name")
	}
	body := map[string]any{"name": name, "devices": r.PostForm["devices"]}
	if g := r.PostFormValue("group"); g != "" {
		body["group"] = g
	}
	if r.PostForm.Has("budgets") { // the card's budget rows (a new child has none yet)
		bs := budgetsFromForm(r.PostForm)
		if err := budgetErrors("people."+name, bs); err != nil {
			return name, "", "", err
		}
		if len(bs) > 0 { // none: the key goes (the old budgets are not copied below)
			raw, _ := budgetsFile("people."+name, bs, fieldMap{})
			body["budgets"] = raw
		}
	}
	if doc, _, err := ps.s.svc.readConfig(); err == nil { // keep what the form does not show
		if raw, err := doc.Person(name); err == nil {
			var old map[string]any
			if json.Unmarshal(raw, &old) == nil {
				for k, v := range old {
					if _, set := body[k]; !set && k != "group" && k != "budgets" || k == "budgets" && !r.PostForm.Has("budgets") {
						body[k] = v
					}
				}
			}
		}
	}
	b, _ := json.Marshal(body)
	if _, _, err := ps.s.svc.PutPerson(name, b, r.PostFormValue("version")); err != nil {
		return name, "", "", err
	}
	return name, fmt.Sprintf("devices %v", r.PostForm["devices"]), name + " is saved in hearth.yaml.", nil
}

func (ps *pageSet) deletePersonForm(r *http.Request, _ Principal) (string, string, string, error) {
	name := r.PostFormValue("name")
	if _, err := ps.s.svc.DeletePerson(name, r.PostFormValue("version")); err != nil {
		return name, "", "", err
	}
	return name, "", name + " is no longer in hearth.yaml; their devices stay, owned by nobody.", nil
}
