package alerts

import (
	"net/netip"
	"testing"
	"time"
)

// TestRoutes: a person's entry beats their group's, which beats the
// household's; a device nobody owns is its own owner; a device not
// configured follows its group's entry; Notify's owner finds the same.
func TestRoutes(t *testing.T) {
	off, twenty := false, 20*time.Minute
	gaming := []string{"gaming"}
	cfg := Config{Events: EventsConfig{Blocked: []string{"adult"}, Bypass: true, Budget: true, SilentDevice: 40 * time.Minute},
		For: map[string]EventsOverride{"kids": {Blocked: &gaming, Budget: &off}, "alex": {Bypass: &off, SilentDevice: &twenty}}}
	r := newRoutes(cfg, Household{
		Devices: map[string]Member{"alex-tablet": {Person: "alex", Group: "kids"}, "mia-tablet": {Group: "kids"}, "dad-laptop": {Group: "default"}},
		People:  map[string]string{"alex": "kids"}})
	look := func(device, group, category string) (Kind, string) {
		l := Lookup{Device: device, Group: group, Blocked: true, Category: category, Client: netip.MustParseAddr("192.168.1.9")}
		f, owner := r.forLookup(&l)
		return f.kind(&l), owner
	}
	for _, c := range []struct {
		device, group, category string
		kind                    Kind
		owner                   string
	}{
		{"alex-tablet", "kids", "gaming", KindBlocked, "alex"},
		{"alex-tablet", "kids", "adult", "", "alex"}, // kids replace the household's list
		{"alex-tablet", "kids", "bypass", "", "alex"},
		{"mia-tablet", "kids", "bypass", KindBypass, "mia-tablet"},
		{"dad-laptop", "default", "gaming", "", "dad-laptop"},
		{"dad-laptop", "default", "adult", KindBlocked, "dad-laptop"},
		{"", "kids", "gaming", KindBlocked, ""}, // a device nobody named, in kids
	} {
		if k, o := look(c.device, c.group, c.category); k != c.kind || o != c.owner {
			t.Errorf("%s/%s %s: %q %q, want %q %q", c.device, c.group, c.category, k, o, c.kind, c.owner)
		}
	}
	if r.forOwner("alex").kindOn(KindBudgetLow) || !r.forOwner("dad-laptop").kindOn(KindBudgetLow) || r.forOwner("kids").kindOn(KindBudgetLow) {
		t.Error("budget switches by owner")
	}
	if r.forOwner("alex-tablet").silentAfter != twenty || r.forOwner("mia-tablet").silentAfter != 40*time.Minute {
		t.Error("silent_device by device")
	}
}
