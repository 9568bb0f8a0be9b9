package doctor

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/journal"
)

// 8. The router sends the household to Hearth.

func (d *Doctor) checkRouter(ctx context.Context, cfg *config.Config) {
	since := d.clock.Now().Add(-doctorRecent)
	own := map[netip.Addr]bool{}
	for _, a := range d.hostAddrs() {
		own[a.Unmap()] = true
	}
	// A device is its configured name when it has one (a phone asks over
	// IPv4 and IPv6), else its address.
	others := map[string]netip.Addr{}
	self := false
	add := func(device, addr string) {
		a, err := netip.ParseAddr(addr)
		switch {
		case err != nil:
		case a.Unmap().IsLoopback() || own[a.Unmap()]:
			self = true
		case device != "":
			others[device] = netip.Addr{}
		default:
			others[a.Unmap().String()] = a.Unmap()
		}
	}
	var notes []string
	if cfg.Journal.Enabled {
		path := journal.DefaultPath(cfg.Journal, cfg.StateDirectory())
		if _, err := os.Stat(path); err == nil || cfg.Journal.Postgres != "" {
			if r, err := journal.OpenReaderFor(cfg.Journal, cfg.StateDirectory()); err == nil { // else the journal check has said why
				rows, err := r.Rows(ctx, journal.Filter{Since: since})
				r.Close()
				if err != nil {
					notes = append(notes, fmt.Sprintf("the journal could not be read: %v", err))
				}
				for _, row := range rows {
					add(row.Device, row.Client)
				}
			}
		}
	}
	devices, err := readSeenDevices(cfg.StateDirectory())
	if err != nil {
		notes = append(notes, err.Error())
	}
	for _, sd := range devices {
		if !sd.LastSeen.Before(since) {
			add(sd.Device, sd.Addr)
		}
	}

	// Named devices first, then addresses in order.
	names := slices.Collect(maps.Keys(others))
	slices.SortFunc(names, func(x, y string) int {
		ax, ay := others[x], others[y]
		if ax.IsValid() != ay.IsValid() {
			if ax.IsValid() {
				return 1
			}
			return -1
		}
		if ax.IsValid() {
			return ax.Compare(ay)
		}
		return strings.Compare(x, y)
	})
	f := Finding{Status: Warn, Notes: notes}
	switch {
	case len(names) > 1:
		f.Status = OK
		f.Text = fmt.Sprintf("router: queries from %d devices in the last 24 hours (%s)", len(names), listText(names))
	case len(names) == 1:
		f.Text = fmt.Sprintf("router: queries from only one device in the last 24 hours (%s)", names[0])
	case self:
		f.Text = "router: queries only from this machine in the last 24 hours"
	default:
		f.Text = "router: no queries seen from the household in the last 24 hours"
		f.Notes = append(f.Notes, "Hearth may not have run yet, or the router does not send the devices to it")
	}
	you := "this machine's address"
	if v4 := d.lanIPv4(); len(v4) > 0 {
		you += " (" + addrList(v4) + ")"
	}
	f.Fix = "set the router's DHCP DNS server to " + you + ", so that every device asks Hearth; " +
		"devices take it up when they reconnect or renew their lease.\n" +
		"IPv6: a router that advertises its own DNS server (RDNSS in router advertisements, or DHCPv6) lets devices ask it " +
		"instead: turn that off on the router, or have it advertise this machine's IPv6 address"
	d.report(f)
}

// lanIPv4 is this machine's IPv4 addresses but loopback: what the router
// should hand out as the DNS server.
func (d *Doctor) lanIPv4() []netip.Addr {
	var out []netip.Addr
	for _, a := range d.hostAddrs() {
		if a = a.Unmap(); a.Is4() && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			out = append(out, a)
		}
	}
	return out
}

// addrList is "a, b, c" (at most five, then ", ..."), or "none found".
func addrList(as []netip.Addr) string {
	if len(as) == 0 {
		return "none found"
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return listText(parts)
}

// listText is "a, b, c", at most five, then ", ...".
func listText(parts []string) string {
	if len(parts) > 5 {
		parts = append(parts[:5:5], "...")
	}
	return strings.Join(parts, ", ")
}

// listenExample is a listen setting for this machine's first LAN address.
func listenExample(v4 []netip.Addr, port string) string {
	host := "192.168.1.10"
	if len(v4) > 0 {
		host = v4[0].String()
	}
	return fmt.Sprintf("listen: [%q]", net.JoinHostPort(host, port))
}

// machineAddrs is every address of this machine's interfaces that are up.
func machineAddrs() []netip.Addr {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					out = append(out, ip.Unmap())
				}
			}
		}
	}
	return out
}

// tryBind binds addr over network ("udp" or "tcp") and closes it at once.
func tryBind(network, addr string) error {
	if network == "udp" {
		pc, err := net.ListenPacket("udp", addr)
		if err == nil {
			pc.Close()
		}
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
	}
	return err
}
