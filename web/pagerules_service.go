package web

// The service layer's part for the Rules page's editor: checking a draft
// group without saving it (the same checker as check-config, then a
// throwaway policy engine for the week and the devices now), creating and
// renaming groups, and the devices' own entries as the file has them.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
)

// DraftGroup checks groups.<name> as body (JSON in the file's shape) would
// make the file, without writing anything, and returns a throwaway engine
// running the draft (gc, the same group for the compiler) to preview it.
// Problems come back as a 422 with fields by key path.
func (sv *service) DraftGroup(name string, body []byte, gc policy.GroupConfig) (*policy.Engine, error) {
	n, err := jsonBody(body)
	if err != nil {
		return nil, err
	}
	doc, _, err := sv.readConfig()
	if err != nil {
		return nil, err
	}
	if err := doc.SetGroup(name, n); err != nil {
		return nil, configError(err)
	}
	if check := sv.configFile().Check; check != nil {
		if err := check(doc.Bytes()); err != nil {
			return nil, configError(&configedit.CheckError{Err: err})
		}
	}
	eng, err := sv.opts.Engine.Draft(func(c *policy.Config) { c.Groups[name] = gc })
	if err != nil {
		e := classify(err)
		e.kind = kindInvalid
		e.msg = "the group would have problems: " + err.Error()
		return nil, e
	}
	return eng, nil
}

// CreateGroup adds an empty group; a name the file has already is refused.
func (sv *service) CreateGroup(name, version string) (configState, error) {
	if err := sv.checkNewGroupName("name", name); err != nil {
		return configState{}, err
	}
	return sv.editConfig(version, func(d *configedit.Doc) error {
		if _, err := d.Group(name); err == nil {
			return fielderr.New("name", "there is a group %q already", name)
		}
		return d.SetGroup(name, nil)
	})
}

// RenameGroup gives a group a new name in one edit of the file: the group
// under its new name (after the others), the file's devices moved to it,
// the old name gone. Devices named on the dashboard (not in the file) in
// the group follow once the file is applied.
func (sv *service) RenameGroup(from, to, version string) (configState, error) {
	if from == policy.DefaultGroup {
		return configState{}, invalid("name", "the default group cannot be renamed: it is where unnamed devices go", "the default group keeps its name")
	}
	if err := sv.checkNewGroupName("to", to); err != nil {
		return configState{}, err
	}
	st, err := sv.editConfig(version, func(d *configedit.Doc) error {
		raw, err := d.Group(from)
		if err != nil {
			return err
		}
		if _, err := d.Group(to); err == nil {
			return fielderr.New("to", "there is a group %q already", to)
		}
		n, err := configedit.FromJSON(raw)
		if err != nil {
			return err
		}
		if err := d.SetGroup(to, n); err != nil {
			return err
		}
		for _, dev := range d.Devices() {
			if dev.Group != from {
				continue
			}
			key := ""
			switch {
			case len(dev.IP) > 0:
				key = "ip:" + dev.IP[0]
			case len(dev.MAC) > 0:
				key = "mac:" + dev.MAC[0]
			}
			if _, _, err := configedit.ParseKey(key); err != nil {
				return fmt.Errorf("%w: device %s has no single address to find it by: rename the group in hearth.yaml itself", configedit.ErrConflict, dev.Name)
			}
			if err := d.SetDevice(configedit.Device{Key: key, Name: dev.Name, Group: to}); err != nil {
				return err
			}
		}
		return d.DeleteGroup(from)
	})
	if err != nil {
		return st, err
	}
	var errs []error
	for _, a := range sv.opts.Engine.Assignments().List() {
		if a.Group == from {
			a.Group = to
			errs = append(errs, sv.opts.Engine.Assign(a))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return st, failed(kindInternal, err, "the group is renamed, but devices named on the dashboard could not follow it: %v", err)
	}
	return st, nil
}

// ownEntries are a device's own allow and block entries, as the file's
// devices list has them.
type ownEntries struct {
	Name, Group  string
	Allow, Block []string
}

// DeviceEntries lists the file's devices with their group and own entries.
func (sv *service) DeviceEntries(data []byte) []ownEntries {
	var f struct {
		Devices []struct {
			Name  string   `yaml:"name"`
			Group string   `yaml:"group"`
			Allow []string `yaml:"allow"`
			Block []string `yaml:"block"`
		} `yaml:"devices"`
	}
	if yaml.Unmarshal(data, &f) != nil {
		return nil
	}
	out := make([]ownEntries, 0, len(f.Devices))
	for _, d := range f.Devices {
		out = append(out, ownEntries{Name: d.Name, Group: firstNonEmpty(d.Group, policy.DefaultGroup), Allow: d.Allow, Block: d.Block})
	}
	return out
}

// householdDraft is the part of the household the Rules page edits.
type householdDraft struct {
	Timezone   string   `json:"timezone"`
	Holidays   []string `json:"holidays"`
	Unfiltered bool     `json:"unfiltered"`
}

// householdOf reads the time zone and the calendar from the file's JSON.
func householdOf(raw json.RawMessage) householdDraft {
	var h struct {
		Timezone string `json:"timezone"`
		Calendar struct {
			Holidays []string `json:"holidays"`
		} `json:"calendar"`
		Unfiltered bool `json:"unfiltered"`
	}
	_ = json.Unmarshal(raw, &h)
	return householdDraft{Timezone: h.Timezone, Holidays: slices.Clip(h.Calendar.Holidays), Unfiltered: h.Unfiltered}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
