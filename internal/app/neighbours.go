package app

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/hearth-dns/hearth/alerts"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/web"
)

// SilentStatus is the neighbour check's last look (alerts.NeighbourStatus).
type SilentStatus = alerts.NeighbourStatus

// lookNeighbours is the once-a-minute look at the neighbour table, when a
// check needs it: devices online but silent (silent.go) and new devices
// seen only there (newdevices.go); the fresh installation's summary; the
// status for doctor and the Alerts page.
func (h *Hearth) lookNeighbours(ctx context.Context, a *alerts.Service, now time.Time, argv []string, sw *silentWatch, logged *bool, stateDir string) {
	for _, al := range h.newDev.settled(now) {
		a.Notify(al)
	}
	defer h.saveNewDevices()
	st := alerts.NeighbourStatus{Silent: a.SilentAfter("") > 0, NewDevice: a.On(alerts.KindNewDevice)}
	st.On = st.Silent || st.NewDevice
	if !st.On {
		h.silent.Store(&st)
		return
	}
	st.LastRun = now
	seen := h.engine.Devices().List()
	online, err := readOnline(ctx, argv)
	if err != nil {
		st.Error = err.Error()
		if !*logged {
			*logged = true
			h.log.Warn().Err(err).Msg("alerts: the neighbour table cannot be read: devices online but silent, and new devices that never asked Hearth, are not detected")
		}
	} else {
		st.Readable, st.Online = true, len(online)
		if st.Silent {
			for _, al := range sw.look(now, a.SilentAfter, seen, online) {
				a.Notify(al)
			}
		}
		if st.NewDevice {
			configured := func(ip netip.Addr, mac net.HardwareAddr) bool {
				return h.engine.Lookup(identity.ClientInfo{Addr: ip, Remote: ip, MAC: mac}).Device != ""
			}
			for _, al := range h.newDev.look(now, online, seen, configured) {
				a.Notify(al)
			}
		}
	}
	if st.Silent {
		st.Watched = sw.watched(now, a.SilentAfter, seen)
	}
	h.silent.Store(&st)
	if err := alerts.SaveNeighbourStatus(stateDir, st); err != nil {
		h.log.Debug().Err(err).Msg("alerts: neighbour status not saved")
	}
}

// saveNewDevices writes the new devices' state if it changed.
func (h *Hearth) saveNewDevices() {
	if err := h.newDev.save(); err != nil {
		h.log.Warn().Err(err).Msg("alerts: new devices not saved")
	}
}

// NeighbourStatus is the neighbour check's last look (nil: alerts off or
// not looked yet), for the Alerts page.
func (h *Hearth) NeighbourStatus() *alerts.NeighbourStatus { return h.silent.Load() }

// The Alerts page and GET /api/alerts show the neighbour check's status.
var _ web.NeighbourStatuser = (*Hearth)(nil)
