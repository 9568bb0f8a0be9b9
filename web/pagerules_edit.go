package web

// One group's editor: its rules (what they block, picked from the
// catalogue; when), bedtime, allow list, safe search, bypass protection and
// block response. Preview checks the draft with the same checker as
// check-config and shows its week and what each of the group's devices
// could do now, on a throwaway engine; Save writes hearth.yaml from the
// version the editor was loaded with.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/policy"
)

type editorData struct {
	Group, Version, Extra, Q string
	File                     configState
	Paste                    string // the YAML to paste when the file cannot be saved
	Rules                    []ruleView
	Bedtime, BedtimeHolidays windowsView
	Allow                    []option
	AllowErr                 string
	SafeSearch, Response     string
	ResponseAddr             string
	Bypass                   bool
	SafeErr, ByErr, RespErr  string
	Problems                 []string // problems with no field of their own
	Blockable, Services      []option // the catalogue, filtered by Q
	Names                    []string // every catalogue name, for the filter's datalist
	Preview                  *previewView
	Budgets                  []budgetView
}

type ruleView struct {
	I, N, Num           int
	ID, Mode            string
	Block, Except       []option
	BlockErr, ExceptErr string
	Windows, Holidays   windowsView
}

type windowsView struct {
	Name, ID, Arg, Legend string
	Rows                  []windowRow
}

type windowRow struct {
	J              int
	ID, Name       string
	Days           []dayBox
	From, To, Text string
	Err            string
}

type dayBox struct {
	Value, Label string
	On           bool
}

type previewView struct {
	Week    ruleGroup
	Devices []previewDevice
}

type previewDevice struct {
	Name, State string
	Lines       []string
}

// editGroup shows a group as the file has it now.
func (ps *pageSet) editGroup(r *http.Request, v *view) int {
	name := r.URL.Query().Get("name")
	raw, st, err := ps.s.svc.GroupConfig(name)
	if err != nil {
		v.Error = errorText(err)
		v.Data = editorData{Group: name}
		return statusOf(err)
	}
	d, err := draftFromJSON(name, raw)
	if err != nil {
		v.Error = errorText(err)
	}
	v.Title = "Group " + name
	v.Data = ps.editor(d, st, r.URL.Query().Get("q"), nil, nil)
	return http.StatusOK
}

// postGroup is every button of the editor: Save writes the file; the
// others change the draft (or preview it) and show the editor again.
func (ps *pageSet) postGroup(w http.ResponseWriter, r *http.Request) {
	p, ok := ps.formPrincipal(w, r, "/rules")
	if !ok {
		return
	}
	d := draftFromForm(r.PostForm)
	op := r.PostFormValue("op")
	st := configState{Version: r.PostFormValue("version")}
	if fresh, _, err := ps.s.svc.ConfigState(); err == nil {
		st.Editable, st.Why, st.Path = fresh.Editable, fresh.Why, fresh.Path
	}
	v := ps.newView(w, r, "rulesgroup", "Group "+d.Name, p, true)
	q := r.PostFormValue("q")
	body, gc, fm := d.file()
	switch berr := d.budgetErrors(); {
	case d.apply(op):
		v.Data = ps.editor(d, st, q, nil, nil)
		ps.render(w, http.StatusOK, v)
	case berr != nil && (op == "save" || op == "preview"):
		v.Error = "Nothing was saved. " + errorText(berr)
		v.Data = ps.editor(d, st, q, berr, fm)
		ps.render(w, http.StatusUnprocessableEntity, v)
	case op == "save":
		var err error
		_ = ps.s.audited(p, "set-group", func() (string, string, error) {
			var saved configState
			_, saved, err = ps.s.svc.PutGroup(d.Name, body, st.Version)
			if err != nil {
				return d.Name, "", cause(err)
			}
			return d.Name, "hearth.yaml " + short(saved.Version), nil
		})
		if err == nil {
			setFlash(w, "The group "+d.Name+" is saved in hearth.yaml and in force.")
			http.Redirect(w, r, "/rules#g-"+url.PathEscape(d.Name), http.StatusSeeOther)
			return
		}
		var stale *configedit.StaleError
		if errors.As(err, &stale) {
			// The file changed since: the group as it is now, and why.
			raw, fresh, gerr := ps.s.svc.GroupConfig(d.Name)
			if gerr == nil {
				if fd, ferr := draftFromJSON(d.Name, raw); ferr == nil {
					d, st = fd, fresh
				}
			}
			v.Error = "Nothing was saved: hearth.yaml was changed since this page was loaded (by someone else, or an editor). This is the group as it is now: make your change again."
			v.Data = ps.editor(d, st, q, nil, nil)
			ps.render(w, http.StatusConflict, v)
			return
		}
		v.Error = "Nothing was saved. " + errorText(err)
		v.Data = ps.editor(d, st, q, err, fm)
		ps.render(w, statusOf(err), v)
	case op == "preview":
		eng, err := ps.s.svc.DraftGroup(d.Name, body, gc)
		ed := ps.editor(d, st, q, err, fm)
		status := http.StatusOK
		if err != nil {
			v.Error = "The group as it stands would be refused: see the problems below. " + errorText(err)
			status = statusOf(err)
		} else {
			ed.Preview = ps.preview(eng, d.Name)
			v.Flash = "Preview: nothing is saved yet."
		}
		v.Data = ed
		ps.render(w, status, v)
	default: // filter the catalogue, add what was picked
		v.Data = ps.editor(d, st, q, nil, nil)
		ps.render(w, http.StatusOK, v)
	}
}

// preview is the draft's week for the group and what each of its devices
// could do now, from the throwaway engine at the dashboard's clock.
func (ps *pageSet) preview(eng *policy.Engine, group string) *previewView {
	pv := &previewView{}
	for _, gw := range eng.Week() {
		if gw.Group == group {
			pv.Week = ps.groupWeek(gw, "preview")
		}
	}
	now, loc := ps.s.opts.Clock.Now(), eng.Location()
	at := func(t time.Time) string { return clockText(t, now, loc) }
	for _, ds := range eng.Status(now) {
		if ds.Group != group {
			continue
		}
		pd := previewDevice{Name: firstNonEmpty(ds.Name, "Devices not named yet"), State: ps.stateText(ds, at)}
		for _, rs := range ds.Rules {
			pd.Lines = append(pd.Lines, ps.ruleLine(rs, at))
		}
		pv.Devices = append(pv.Devices, pd)
	}
	return pv
}

// editor lays the draft out for the template, with err's problems next
// to the fields fm maps their keys to.
func (ps *pageSet) editor(d groupDraft, st configState, q string, err error, fm fieldMap) editorData {
	extra, _ := json.Marshal(d.Extra)
	ed := editorData{Group: d.Name, Version: st.Version, Extra: string(extra), Q: q, File: st,
		SafeSearch: d.SafeSearch, Bypass: d.Bypass, Response: d.Response}
	switch d.Response {
	case "", "nxdomain", "null_ip", "refused":
	default:
		ed.Response, ed.ResponseAddr = "address", d.Response
	}
	errs := map[string]string{}
	if err != nil {
		e := classify(err)
		for key, msg := range e.fields {
			if id, ok := fm.lookup(strings.TrimPrefix(key, "hearth.yaml: ")); ok && id != "group" {
				errs[id] = joinMsg(errs[id], msg)
			} else {
				ed.Problems = append(ed.Problems, key+": "+msg)
			}
		}
		slices.Sort(ed.Problems)
		var ro *configedit.ReadOnlyError
		if errors.As(err, &ro) {
			ed.Paste, ed.File.Why = string(ro.YAML), ro.Why
		}
	}
	for i, r := range d.Rules {
		id := fmt.Sprintf("r%d", i)
		rv := ruleView{I: i, N: len(d.Rules), Num: i + 1, ID: id, Mode: r.Mode, Block: ps.entries(r.Block), Except: ps.entries(r.Except),
			BlockErr: errs[id+"-block"], ExceptErr: errs[id+"-except"]}
		rv.Windows = windowsOf(r.Windows, id+".w", id, fmt.Sprintf("%d.w", i), "When", errs)
		rv.Holidays = windowsOf(r.Holidays, id+".h", id+"-h", fmt.Sprintf("%d.h", i), "On holidays instead", errs)
		ed.Rules = append(ed.Rules, rv)
	}
	ed.Bedtime = windowsOf(d.Bedtime, "bed.w", "bed", "bed", "Bedtime", errs)
	ed.BedtimeHolidays = windowsOf(d.BedtimeHolidays, "bedh.w", "bedh", "bedh", "Bedtime on holidays", errs)
	ed.Allow, ed.AllowErr = ps.entries(d.Allow), errs["allow"]
	ed.SafeErr, ed.ByErr, ed.RespErr = errs["safe"], errs["bypass"], errs["response"]
	ed.Blockable, ed.Services, ed.Names = ps.catalogueOptions(q)
	ed.Budgets = ps.budgetViews(d.Budgets, errs)
	return ed
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func windowsOf(ws []windowDraft, name, id, arg, legend string, errs map[string]string) windowsView {
	wv := windowsView{Name: name, ID: id, Arg: arg, Legend: legend}
	if len(ws) == 0 {
		ws = []windowDraft{{}} // one empty row to fill in
	}
	for j, w := range ws {
		rid := fmt.Sprintf("%s-w%d", id, j)
		row := windowRow{J: j, ID: rid, Name: fmt.Sprintf("%s%d", name, j), From: w.From, To: w.To, Text: w.Text, Err: errs[rid]}
		for k, day := range formDays {
			row.Days = append(row.Days, dayBox{Value: day, Label: weekOrder[k].String()[:3], On: w.Days[k]})
		}
		wv.Rows = append(wv.Rows, row)
	}
	return wv
}

// entries are a list's entries with their names from the catalogue.
func (ps *pageSet) entries(list []string) []option {
	out := make([]option, 0, len(list))
	for _, e := range list {
		label := ps.s.word(e)
		switch {
		case isCategory(ps.s, e):
			label += " (category)"
		case label == e:
			label += " (domain)"
		}
		out = append(out, option{e, label})
	}
	return out
}

func isCategory(s *Server, id string) bool {
	_, ok := s.opts.Catalogue.Category(id)
	return ok
}

// catalogueOptions are the catalogue's categories and services whose id or
// name has q in it (all of them for ""), the services alone, and every
// name for the filter's suggestions.
func (ps *pageSet) catalogueOptions(q string) (blockable, services []option, names []string) {
	q = strings.ToLower(strings.TrimSpace(q))
	match := func(id, name string) bool {
		return q == "" || strings.Contains(id, q) || strings.Contains(strings.ToLower(name), q)
	}
	cat := ps.s.opts.Catalogue
	for _, c := range cat.Categories {
		names = append(names, c.Name)
		if match(c.ID, c.Name) {
			blockable = append(blockable, option{c.ID, c.Name + " (category)"})
		}
	}
	for _, sv := range cat.Services {
		names = append(names, sv.Name)
		if match(sv.ID, sv.Name) {
			blockable = append(blockable, option{sv.ID, sv.Name})
			services = append(services, option{sv.ID, sv.Name})
		}
	}
	return blockable, services, names
}
