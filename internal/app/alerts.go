package app

import (
	"context"
	"net"
	"os"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/resolver"
)

// recorder is the resolver's hand-off of lookups: to the journal (when it
// is on) and, for blocked ones, to the alerts (when a channel is set).
// Neither waits; neither allocates for a lookup that makes no new row or
// alert batch.
type recorder struct {
	journal resolver.Recorder // nil: no journal
	alerts  atomic.Pointer[alerts.Service]
	// chat maps each catalogue chat service's domain to the service: a
	// bedtime block carries no category, and bedtime_chat needs one.
	chat map[string]string
}

// chatDomains is the catalogue's chat services by domain.
func chatDomains() map[string]string {
	c := blocklists.Builtin()
	m := map[string]string{}
	for _, s := range c.ServicesIn("chat") {
		for _, d := range s.Domains {
			m[d] = s.ID
		}
	}
	return m
}

// chatService returns the chat service name (lowercase, no trailing dot)
// or one of its parents belongs to; "" none. No allocation.
func (r *recorder) chatService(name string) string {
	for d := name; d != ""; {
		if id, ok := r.chat[d]; ok {
			return id
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return ""
}

func (r *recorder) Record(e journal.Event) {
	if r.journal != nil {
		r.journal.Record(e)
	}
	if e.Action != journal.ActionBlock {
		return
	}
	a := r.alerts.Load()
	if a == nil {
		return
	}
	l := alerts.Lookup{Time: e.Time, Device: e.Device, Group: e.Group, Client: e.Client, Blocked: true,
		Reason: e.Reason, Rule: e.Rule, Category: e.Category, Service: e.Service}
	if e.Reason == verdict.ReasonBedtime && e.Category == "" {
		if id := r.chatService(e.Name); id != "" {
			l.Service, l.Category = id, "chat"
		}
	}
	l.SetName(e.Name)
	a.Look(&l)
}

// startAlerts makes and starts the alerts from cfg (nil when no channel is
// set, or when they cannot start: logged, never a reason not to start).
func (h *Hearth) startAlerts(cfg *config.Config) *alerts.Service {
	if !cfg.Alerts.Enabled() {
		return nil
	}
	s, err := alerts.New(cfg.Alerts, alerts.Options{Dir: cfg.StateDirectory(), Clock: h.clock, Location: h.engine.Location(),
		Logger: h.log.With().Str("part", "alerts").Logger(), RootCAs: h.rootCAs, Dashboard: dashboardURL(cfg), Names: catalogueName})
	if err != nil {
		h.log.Error().Err(err).Msg("alerts not started; DNS is unaffected")
		return nil
	}
	s.SetHousehold(householdOf(cfg))
	s.Start()
	return s
}

// householdOf is who is who in cfg, for alerts.for and for batching by
// person: each device's person and group (as the policy gives it: its own,
// else its person's, else default).
func householdOf(cfg *config.Config) alerts.Household {
	h := alerts.Household{Devices: map[string]alerts.Member{}, People: map[string]string{}}
	personOf := map[string]string{}
	for _, p := range cfg.Policy.People {
		h.People[p.Name] = p.Group
		for _, d := range p.Devices {
			personOf[d] = p.Name
		}
	}
	for _, d := range cfg.Policy.Devices {
		m := alerts.Member{Person: personOf[d.Name], Group: d.Group}
		if m.Group == "" && m.Person != "" {
			m.Group = h.People[m.Person]
		}
		if m.Group == "" {
			m.Group = "default"
		}
		h.Devices[d.Name] = m
	}
	return h
}

// reloadAlerts restarts the alerts when their settings changed; what was
// queued stays on disk and goes out from the new ones.
func (h *Hearth) reloadAlerts(cfg *config.Config) {
	h.helpCountries.Store(&cfg.Policy.Help.Countries)
	if reflect.DeepEqual(cfg.Alerts, h.alertsCfg) && h.engine.Location() == h.alertsLoc {
		if a := h.rec.alerts.Load(); a != nil {
			a.SetHousehold(householdOf(cfg))
		}
		return
	}
	old := h.rec.alerts.Swap(nil)
	if old != nil {
		old.Close(context.Background())
	}
	h.alertsCfg, h.alertsLoc = cfg.Alerts, h.engine.Location()
	h.rec.alerts.Store(h.startAlerts(cfg))
}

// Alerts returns the running alerts (nil: none configured).
func (h *Hearth) Alerts() *alerts.Service { return h.rec.alerts.Load() }

// catalogueName is a catalogue service's or category's display name.
func catalogueName(id string) string {
	c := blocklists.Builtin()
	if s, ok := c.Service(id); ok {
		return s.Name
	}
	if cat, ok := c.Category(id); ok {
		return cat.Name
	}
	return ""
}

// dashboardURL is where alerts link to when alerts.dashboard is "": the
// first of web.hosts (else this machine's name), web.listen's port.
func dashboardURL(cfg *config.Config) string {
	if !cfg.Web.Enabled {
		return ""
	}
	host := ""
	for _, h := range cfg.Web.Hosts {
		if h != "*" {
			host = h
			break
		}
	}
	if host == "" {
		host, _ = os.Hostname()
	}
	if host == "" {
		return ""
	}
	scheme := "http"
	if cfg.Web.TLS.CertFile != "" || cfg.Web.TLS.SelfSigned {
		scheme = "https"
	}
	_, port, _ := net.SplitHostPort(cfg.Web.Listen)
	if port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return scheme + "://" + host
}

// AlertChannels is each alert channel's state (web.AlertsBackend).
func (h *Hearth) AlertChannels() []alerts.ChannelState {
	if a := h.Alerts(); a != nil {
		return a.Channels()
	}
	return nil
}

// TestAlerts sends a test alert through every channel (web.AlertsBackend).
func (h *Hearth) TestAlerts(ctx context.Context) ([]alerts.TestResult, bool) {
	a := h.Alerts()
	if a == nil {
		return nil, false
	}
	return a.Test(ctx), true
}

// newDeviceSeen is the registry's first sight of a device not configured
// (on the query path: Post never waits).
func (h *Hearth) newDeviceSeen(d state.SeenDevice) {
	if !h.newDev.firstSight(d) {
		return
	}
	if a := h.rec.alerts.Load(); a != nil {
		a.Post(alerts.NewDeviceAlert(alerts.NewDevice{Key: d.Key, MAC: d.MAC, Addr: d.Addr, Lease: d.Lease, First: d.FirstSeen}))
	}
}
