package web

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/internal/configedit"
)

// A device's own entries on the Devices page: what is always blocked and
// always allowed for that one device whatever its group says, saved in
// hearth.yaml's devices item (as PUT /api/devices/{key} with allow and
// block). Shown only for a device the file names, when the file can be
// saved: own entries cannot be kept anywhere else.

// ownForm is the own-entries form of one device card.
type ownForm struct {
	Block, Allow       []option // the entries now, each a checked box (untick to remove)
	BlockErr, AllowErr string   // why a save was refused, next to the fieldset
}

// ownFormFor fills a device's own-entries form from the file's entries and,
// when the last save of this device's entries was refused, its problems.
func (ps *pageSet) ownFormFor(v *view, key string, own ownEntries) *ownForm {
	f := &ownForm{}
	for _, e := range own.Block {
		f.Block = append(f.Block, option{e, ps.entryLabel(e)})
	}
	for _, e := range own.Allow {
		f.Allow = append(f.Allow, option{e, ps.entryLabel(e)})
	}
	if fl := v.Failed; fl != nil && fl.Action == "device-entries" && fl.Form.Get("key") == key {
		for _, k := range slices.Sorted(maps.Keys(fl.Fields)) {
			switch {
			case strings.Contains(k, "block"):
				f.BlockErr = joinNonEmpty(f.BlockErr, fl.Fields[k])
			case strings.Contains(k, "allow"):
				f.AllowErr = joinNonEmpty(f.AllowErr, fl.Fields[k])
			}
		}
	}
	return f
}

// entryLabel names a catalogue id as the catalogue does ("Roblox",
// "Gaming (category)"); a domain stays as written.
func (ps *pageSet) entryLabel(e string) string {
	cat := ps.s.opts.Catalogue
	for _, c := range cat.Categories {
		if c.ID == e {
			return c.Name + " (category)"
		}
	}
	for _, s := range cat.Services {
		if s.ID == e {
			return s.Name
		}
	}
	return e
}

// deviceEntries saves a device's own entries: the boxes left ticked, plus
// what was picked from the catalogue or typed.
func (ps *pageSet) deviceEntries(r *http.Request, p Principal) (string, string, string, error) {
	key, name, group := r.PostFormValue("key"), r.PostFormValue("name"), r.PostFormValue("group")
	if !ps.s.svc.Seen(key) {
		return key, "", "", notFound("no device %q has been seen", key)
	}
	block := collect(r.PostForm["block"], r.PostFormValue("block_add"), r.PostFormValue("block_domain"))
	allow := collect(r.PostForm["allow"], r.PostFormValue("allow_add"))
	detail := fmt.Sprintf("block %v, allow %v", block, allow)
	_, _, err := ps.s.svc.PutDevice(configedit.Device{Key: key, Name: name, Group: group, Allow: &allow, Block: &block}, r.PostFormValue("version"), p.Who()+" "+p.Addr)
	if err != nil {
		return key, detail, "", err
	}
	return key, detail, fmt.Sprintf("%s's own entries are saved in hearth.yaml.", name), nil
}

// collect is the entries kept plus those added, trimmed, lowercased and
// without repeats.
func collect(kept []string, added ...string) []string {
	out := []string{}
	for _, e := range append(slices.Clone(kept), added...) {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
