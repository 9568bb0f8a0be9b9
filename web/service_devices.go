package web

import (
	"net"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// What helps a parent tell one device from another: its maker (from the
// MAC address), whether the MAC is a private Wi-Fi address, the names the
// device and the router give it, and, for a device not yet named, the
// catalogue services it looked up today (in memory only).

// deviceClues are a deviceView's clues, in /api/devices as they are.
type deviceClues struct {
	Vendor        string   `json:"vendor"`      // the MAC's maker (IEEE registry); "" if unknown or private
	PrivateMAC    bool     `json:"private_mac"` // a locally administered ("private Wi-Fi") address
	LeaseName     string   `json:"lease_name"`  // the name in the DHCP lease
	ServicesToday []string `json:"services_today"`
	// Settings are the parental controls of the services of ServicesToday
	// that have their own (the catalogue's settings).
	Settings []settingLink `json:"settings"`
}

// cluesOf makes sd's clues; today are the services looked up today by
// device key, shown only for a device not named (unnamed); cat gives their
// parental-control pages.
func cluesOf(sd state.SeenDevice, unnamed bool, today map[string][]string, cat *blocklists.Catalogue) deviceClues {
	c := deviceClues{LeaseName: sd.Lease, ServicesToday: []string{}, Settings: []settingLink{}}
	if mac, err := net.ParseMAC(sd.MAC); err == nil {
		c.Vendor, c.PrivateMAC = identity.Vendor(mac), identity.PrivateMAC(mac)
	}
	if unnamed && today[sd.Key] != nil {
		c.ServicesToday = today[sd.Key]
		c.Settings = settingLinks(cat, c.ServicesToday)
	}
	return c
}

// serviceNames are the catalogue's names for service ids, in order.
func (s *Server) serviceNames(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if sv, ok := s.opts.Catalogue.Service(id); ok && sv.Name != "" {
			out = append(out, sv.Name)
		} else {
			out = append(out, id)
		}
	}
	return out
}

// settingLink is a game's or platform's own parental-control page.
type settingLink struct {
	Service     string `json:"service"`      // the service id, "roblox"
	ServiceName string `json:"service_name"` // "Roblox"
	Name        string `json:"name"`         // "Roblox Parental Controls"
	URL         string `json:"url"`          // https, from the catalogue
}

// settingLinks are the parental-control pages of the services ids, in
// order, each page once.
func settingLinks(cat *blocklists.Catalogue, ids []string) []settingLink {
	out := []settingLink{}
	if cat == nil {
		return out
	}
	seen := make(map[string]bool)
	for _, id := range ids {
		sv, ok := cat.Service(id)
		if !ok {
			continue
		}
		for _, st := range sv.Settings {
			if !seen[st.URL] {
				seen[st.URL] = true
				out = append(out, settingLink{Service: sv.ID, ServiceName: sv.Name, Name: st.Name, URL: st.URL})
			}
		}
	}
	return out
}

// deviceDetails are the Devices page's lines about dv, and the services it
// looked up today in words ("" if none).
func (s *Server) deviceDetails(dv deviceView, now time.Time, loc *time.Location) (details []string, today string) {
	add := func(parts ...string) { details = append(details, strings.Join(parts, "")) }
	if dv.Vendor != "" {
		add("Made by ", dv.Vendor)
	}
	if dv.PrivateMAC {
		add("Private Wi-Fi address (the device made it up: it may change, and says nothing of its maker)")
	}
	if dv.LeaseName != "" {
		add("Calls itself ", dv.LeaseName)
	}
	if dv.Router != "" && !strings.EqualFold(dv.Router, dv.LeaseName) {
		add("The router calls it ", dv.Router)
	}
	if dv.Addr != "" {
		add("Address ", dv.Addr)
	}
	if dv.MAC != "" {
		add("MAC ", dv.MAC)
	}
	if !dv.FirstSeen.IsZero() {
		add("First seen ", clockText(dv.FirstSeen, now, loc))
	}
	if !dv.LastSeen.IsZero() {
		add("Last seen ", clockText(dv.LastSeen, now, loc))
	}
	if len(dv.ServicesToday) > 0 {
		today = "Looked up today: " + strings.Join(s.serviceNames(dv.ServicesToday), ", ")
	}
	return details, today
}
