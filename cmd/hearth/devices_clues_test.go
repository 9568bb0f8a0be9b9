package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
)

const cluesConfig = `listen: ["127.0.0.1:0"]
allow_clients: ["127.0.0.0/8"]
state_dir: %q
upstreams: {servers: [%q]}
local: {router: %q}
timezone: Europe/London
identify: {neighbours: false}
devices:
  - {name: alex-tablet, ip: 127.0.0.2}
web: {enabled: false}
`

// TestDeviceClues: a device nobody has named (127.0.0.9) looks up Nintendo
// and Fortnite over real DNS; the Devices page and GET /api/devices say so
// (and what the router calls it), the named device's lookups are not
// recorded, nothing of it reaches devices.json, and it is forgotten at the
// household's midnight.
func TestDeviceClues(t *testing.T) {
	up := dnstest.NewServer(t)
	router := dnstest.NewServer(t) // the home router: names 127.0.0.9
	router.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg).SetReply(q)
		if q.Question[0].Qtype == dns.TypePTR && strings.EqualFold(q.Question[0].Name, "9.0.0.127.in-addr.arpa.") {
			r.Answer = []dns.RR{&dns.PTR{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "switch.lan."}}
		} else {
			r.Rcode = dns.RcodeNameError
		}
		return r
	})
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, cluesConfig, dir, "udp://"+up.Addr, router.Addr), 0o600); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 11, 30, 17, 0, 0, 0, loc))
	devicesFile := filepath.Join(dir, state.DevicesFile)
	reg, err := state.OpenRegistry(devicesFile)
	if err != nil {
		t.Fatal(err)
	}
	_, engine, srv := startStack(t, path, clk, policy.Options{Devices: reg})
	engine.SetRouterLookup(srv.RouterName) // as internal/app does
	dnsAddr := srv.Addrs()[0].String()

	for _, name := range []string{"www.nintendo.com.", "accounts.nintendo.com.", "www.fortnite.com.", "example.org.", "www.nintendo.com."} {
		askFrom(t, "127.0.0.9", dnsAddr, name)
	}
	askFrom(t, "127.0.0.2", dnsAddr, "www.roblox.com.") // named: not recorded
	if err := engine.RefreshRouterNames(context.Background()); err != nil {
		t.Fatal(err)
	}

	const password = "device-clues-secret"
	get := startDashboard(t, engine, dir, clk, password).get
	type apiDevice struct {
		Key           string    `json:"key"`
		Name          string    `json:"name"`
		Vendor        *string   `json:"vendor"`
		PrivateMAC    *bool     `json:"private_mac"`
		LeaseName     *string   `json:"lease_name"`
		RouterName    string    `json:"router_name"`
		FirstSeen     time.Time `json:"first_seen"`
		LastSeen      time.Time `json:"last_seen"`
		ServicesToday []string  `json:"services_today"`
		Settings      []struct {
			Service, Name, URL string
		} `json:"settings"`
	}
	devices := func() map[string]apiDevice {
		var body struct{ Devices []apiDevice }
		if err := json.Unmarshal(get("/api/devices"), &body); err != nil {
			t.Fatal(err)
		}
		out := map[string]apiDevice{}
		for _, d := range body.Devices {
			out[d.Key] = d
		}
		return out
	}
	got := devices()
	switchDev, tablet := got["ip:127.0.0.9"], got["ip:127.0.0.2"]
	if !slices.Equal(switchDev.ServicesToday, []string{"nintendo", "epic-games"}) {
		t.Errorf("services today of the unnamed device: %q, want nintendo, epic-games", switchDev.ServicesToday)
	}
	if len(switchDev.Settings) != 2 || switchDev.Settings[0].Service != "nintendo" ||
		switchDev.Settings[0].URL != "https://www.nintendo.com/us/switch/parental-controls/" ||
		switchDev.Settings[1].Service != "epic-games" || switchDev.Settings[1].Name != "Epic parental controls (Fortnite, Rocket League, Fall Guys)" {
		t.Errorf("settings of the unnamed device: %+v, want Nintendo's and Epic's parental controls", switchDev.Settings)
	}
	if switchDev.RouterName != "switch.lan" {
		t.Errorf("router name: %q, want switch.lan", switchDev.RouterName)
	}
	if switchDev.Vendor == nil || switchDev.PrivateMAC == nil || switchDev.LeaseName == nil || switchDev.FirstSeen.IsZero() || !switchDev.LastSeen.Equal(clk.Now()) {
		t.Errorf("fields missing from /api/devices: %+v", switchDev)
	}
	if tablet.Name != "alex-tablet" || tablet.ServicesToday == nil || len(tablet.ServicesToday) != 0 || tablet.Settings == nil || len(tablet.Settings) != 0 {
		t.Errorf("the named device: %+v; want no services recorded", tablet)
	}
	page := string(get("/devices"))
	for _, want := range []string{"Looked up today: Nintendo online (Switch, eShop), Fortnite / Epic Games", "The router calls it switch.lan", "First seen 17:00",
		// The games' own parental controls, linked (docs/game-chat.md).
		`Nintendo online (Switch, eShop) has its own chat settings: <a href="https://www.nintendo.com/us/switch/parental-controls/" rel="noopener noreferrer">Nintendo Switch Parental Controls</a>`,
		`Fortnite / Epic Games has its own chat settings: <a href="https://safety.epicgames.com/en-US/parental-controls" rel="noopener noreferrer">Epic parental controls (Fortnite, Rocket League, Fall Guys)</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the Devices page lacks %q", want)
		}
	}

	// The named device's game (Roblox) is not recorded, so not linked.
	if strings.Contains(page, "corp.roblox.com") {
		t.Errorf("the Devices page links Roblox's settings, which only the named device looked up")
	}

	// Never on disk.
	if err := reg.Flush(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(devicesFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "nintendo\"") || strings.Contains(string(data), "epic-games") || !strings.Contains(string(data), "switch.lan") {
		t.Errorf("devices.json:\n%s", data)
	}

	// The household's midnight: forgotten.
	clk.Set(time.Date(2026, 12, 1, 0, 0, 1, 0, loc))
	if s := devices()["ip:127.0.0.9"].ServicesToday; len(s) != 0 {
		t.Errorf("after midnight: %q", s)
	}
	askFrom(t, "127.0.0.9", dnsAddr, "www.fortnite.com.")
	if s := devices()["ip:127.0.0.9"].ServicesToday; !slices.Equal(s, []string{"epic-games"}) {
		t.Errorf("the next day: %q", s)
	}
}
