package web

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/policy/state"
)

// hearth.yaml as the dashboard changes it: one source of truth. Every
// change is made in the file (internal/configedit keeps its comments and
// layout), checked by the same checker as `hearth check-config`, written
// with the previous versions kept, and applied through the same reload as
// SIGHUP; a file that cannot be written gets the YAML to paste instead.

// configState is what a client needs to change the file: the version to
// send back (If-Match) and whether a change can be saved.
type configState struct {
	Version  string `json:"version"`
	Editable bool   `json:"editable"`
	Why      string `json:"why,omitempty"`
	Path     string `json:"path,omitempty"`
}

// configFile is the editor, or one for "no file" when the server was
// built without one.
func (sv *service) configFile() *configedit.File {
	if sv.opts.ConfigFile != nil {
		return sv.opts.ConfigFile
	}
	return &configedit.File{}
}

func (sv *service) readConfig() (*configedit.Doc, configedit.Snapshot, error) {
	snap, err := sv.configFile().Read()
	if err != nil {
		return nil, snap, failed(kindInternal, err, "%v", err)
	}
	doc, err := configedit.Parse(snap.Data)
	if err != nil {
		return nil, snap, failed(kindInternal, err, "hearth.yaml does not parse: %v", err)
	}
	return doc, snap, nil
}

func stateOf(f *configedit.File, s configedit.Snapshot) configState {
	return configState{Version: s.Version, Editable: s.Writable, Why: s.Why, Path: f.Path}
}

// ConfigState is the file's version and whether it can be saved, with its
// text.
func (sv *service) ConfigState() (configState, []byte, error) {
	_, snap, err := sv.readConfig()
	return stateOf(sv.configFile(), snap), snap.Data, err
}

// GroupsConfig is every group of the file, in its order, as one JSON
// object in the file's shape.
func (sv *service) GroupsConfig() (json.RawMessage, configState, error) {
	doc, snap, err := sv.readConfig()
	if err != nil {
		return nil, configState{}, err
	}
	groups, err := doc.Groups()
	if err != nil {
		return nil, configState{}, failed(kindInternal, err, "%v", err)
	}
	out := []byte{'{'}
	for i, g := range groups {
		if i > 0 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(g.Name)
		out = append(append(append(out, k...), ':'), g.Value...)
	}
	return append(out, '}'), stateOf(sv.configFile(), snap), nil
}

// GroupConfig is one group of the file.
func (sv *service) GroupConfig(name string) (json.RawMessage, configState, error) {
	doc, snap, err := sv.readConfig()
	if err != nil {
		return nil, configState{}, err
	}
	g, err := doc.Group(name)
	if err != nil {
		return nil, configState{}, configError(err)
	}
	return g, stateOf(sv.configFile(), snap), nil
}

// Household is the household's settings as the file has them.
func (sv *service) Household() (json.RawMessage, configState, error) {
	doc, snap, err := sv.readConfig()
	if err != nil {
		return nil, configState{}, err
	}
	h, err := doc.Household()
	if err != nil {
		return nil, configState{}, failed(kindInternal, err, "%v", err)
	}
	return h, stateOf(sv.configFile(), snap), nil
}

// editConfig makes a change to the file from version ("" skips the check)
// and applies it with the same reload as SIGHUP.
func (sv *service) editConfig(version string, change func(*configedit.Doc) error) (configState, error) {
	f := sv.configFile()
	var apply func() error
	if sv.opts.Backend != nil {
		apply = sv.opts.Backend.RequestReload
	}
	snap, err := f.Edit(version, change, apply)
	if err != nil {
		return stateOf(f, snap), configError(err)
	}
	return stateOf(f, snap), nil
}

// jsonBody reads a JSON value into a YAML node in the same shape.
func jsonBody(body []byte) (*yaml.Node, error) {
	n, err := configedit.FromJSON(body)
	if err != nil {
		return nil, &serviceError{kind: kindBadRequest, msg: fmt.Sprintf("request body: %v", err), err: err}
	}
	return n, nil
}

// PutGroup makes groups.<name> the group body (JSON in the file's shape).
// A new group's name must be a slug (checkNewGroupName).
func (sv *service) PutGroup(name string, body []byte, version string) (json.RawMessage, configState, error) {
	if err := sv.checkNewGroupName("name", name); err != nil {
		return nil, configState{}, err
	}
	n, err := jsonBody(body)
	if err != nil {
		return nil, configState{}, err
	}
	st, err := sv.editConfig(version, func(d *configedit.Doc) error { return d.SetGroup(name, n) })
	if err != nil {
		return nil, st, err
	}
	g, _, err := sv.GroupConfig(name)
	return g, st, err
}

// DeleteGroup removes a group no device of the file is in.
func (sv *service) DeleteGroup(name, version string) (configState, error) {
	var users []string
	for _, a := range sv.opts.Engine.Assignments().List() {
		if a.Group == name {
			users = append(users, a.Name)
		}
	}
	return sv.editConfig(version, func(d *configedit.Doc) error {
		err := d.DeleteGroup(name)
		var inUse *configedit.InUseError
		if err == nil && len(users) > 0 {
			err = &configedit.InUseError{Group: name, Devices: users}
		} else if errors.As(err, &inUse) {
			inUse.Devices = append(inUse.Devices, users...)
		}
		return err
	})
}

// PutHousehold sets the household settings body has.
func (sv *service) PutHousehold(body []byte, version string) (json.RawMessage, configState, error) {
	n, err := jsonBody(body)
	if err != nil {
		return nil, configState{}, err
	}
	st, err := sv.editConfig(version, func(d *configedit.Doc) error { return d.SetHousehold(n) })
	if err != nil {
		return nil, st, err
	}
	h, _, err := sv.Household()
	return h, st, err
}

// PutDevice names a device, puts it in a group and sets its own allow and
// block entries, in hearth.yaml's devices. When the file cannot be saved,
// a name and group alone are kept in the state directory as before
// (stored: "state"); own entries cannot be, and the YAML to paste is the
// answer.
func (sv *service) PutDevice(dv configedit.Device, version, by string) (stored string, st configState, err error) {
	f := sv.configFile()
	snap, rerr := f.Read()
	if err := sv.checkNewName(dv.Name); err != nil {
		return "", stateOf(f, snap), err
	}
	if rerr == nil && !snap.Writable && dv.Allow == nil && dv.Block == nil {
		if err := sv.NameDevice(state.Assignment{Key: dv.Key, Name: dv.Name, Group: dv.Group, By: by}); err != nil {
			return "", stateOf(f, snap), err
		}
		return "state", stateOf(f, snap), nil
	}
	st, err = sv.editConfig(version, func(d *configedit.Doc) error { return d.SetDevice(dv) })
	if err != nil {
		return "", st, err
	}
	// The file names it now: a name given before on the dashboard goes.
	_ = sv.opts.Engine.Unassign(dv.Key)
	return "hearth.yaml", st, nil
}

// RemoveDevice undoes a device's naming: a name given on the dashboard
// and kept in the state directory is forgotten; otherwise the device's
// address goes from hearth.yaml's devices (the item with it when it was
// its last). Either way the device is unknown from its next lookup, in
// the new devices' group. It returns the name the device had.
func (sv *service) RemoveDevice(key, version string) (name string, st configState, err error) {
	for _, a := range sv.opts.Engine.Assignments().List() {
		if a.Key == key {
			name, err = sv.ForgetDevice(key)
			_, snap, _ := sv.readConfig()
			return name, stateOf(sv.configFile(), snap), err
		}
	}
	if doc, snap, rerr := sv.readConfig(); rerr != nil || !snap.Writable {
		name, err = sv.ForgetDevice(key) // not named here, and the file cannot say otherwise
		return name, stateOf(sv.configFile(), snap), err
	} else if i, _ := doc.FindDevice(key, ""); i < 0 {
		name, err = sv.ForgetDevice(key)
		return name, stateOf(sv.configFile(), snap), err
	}
	st, err = sv.editConfig(version, func(d *configedit.Doc) error {
		var err error
		name, err = d.RemoveDevice(key)
		return err
	})
	return name, st, err
}

// configErrorOf is the kind of an editor's refusal.
func configError(err error) error {
	var (
		stale    *configedit.StaleError
		readOnly *configedit.ReadOnlyError
		inUse    *configedit.InUseError
		apply    *configedit.ApplyError
	)
	switch {
	case errors.As(err, &stale):
		return &serviceError{kind: kindConflict, msg: err.Error(), err: err}
	case errors.As(err, &readOnly):
		kind := kindConflict
		if readOnly.Off {
			kind = kindForbidden
		}
		return &serviceError{kind: kind, msg: err.Error(), err: err}
	case errors.As(err, &inUse):
		return &serviceError{kind: kindConflict, msg: err.Error(), err: err}
	case errors.As(err, &apply):
		return &serviceError{kind: kindInvalid, msg: err.Error(), err: err}
	case errors.Is(err, configedit.ErrNotFound):
		return &serviceError{kind: kindNotFound, msg: trimPrefix(err), err: err}
	case errors.Is(err, configedit.ErrConflict):
		return &serviceError{kind: kindConflict, msg: trimPrefix(err), err: err}
	}
	var check *configedit.CheckError
	e := classify(err)
	if errors.As(err, &check) {
		e = classify(check)
		e.kind = kindInvalid
		e.msg = "hearth.yaml would have problems, nothing was saved: " + check.Error()
	}
	return e
}

func trimPrefix(err error) string {
	msg := err.Error()
	for _, p := range []string{"configedit: not found: ", "configedit: conflict: "} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			return msg[len(p):]
		}
	}
	return msg
}
