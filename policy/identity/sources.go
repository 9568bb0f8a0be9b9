package identity

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
)

// Sources are what identification reads besides the packet: the kernel's
// neighbour tables (a client's MAC address from its IP address) and the
// DHCP lease file (a host name), both read again by Refresh. Lookups take no
// lock. The zero Sources is usable and knows nothing.
type Sources struct {
	// Neighbours maps addresses to MAC addresses; nil: not used. Set it
	// before the first use.
	Neighbours *Neighbours
	leases     atomic.Pointer[LeaseTable]
	gen        atomic.Uint64 // bumped after each Refresh
}

// Gen is the generation of the tables: it changes with every Refresh, so
// what was found by address before it may be stale (see Cache).
func (s *Sources) Gen() uint64 { return s.gen.Load() }

// MAC returns mac if set, else the MAC address the neighbour tables give
// addr, or nil.
func (s *Sources) MAC(addr netip.Addr, mac net.HardwareAddr) net.HardwareAddr {
	if mac == nil && s.Neighbours != nil {
		mac, _ = s.Neighbours.MAC(addr)
	}
	return mac
}

// Lease returns the host name the lease file gives mac or addr, or "".
func (s *Sources) Lease(mac net.HardwareAddr, addr netip.Addr) string {
	return s.leases.Load().Name(mac, addr)
}

// Refresh reads the neighbour tables (if neighbours) and the lease file at
// leases (if not ""), so the next query from each client is identified
// afresh. It returns the lease table read, or nil, and the errors, for
// logging: what was read still applies.
func (s *Sources) Refresh(ctx context.Context, neighbours bool, leases string) (*LeaseTable, error) {
	var errs []error
	if s.Neighbours != nil && neighbours {
		if err := s.Neighbours.Refresh(ctx); err != nil {
			errs = append(errs, fmt.Errorf("neighbour tables: %w", err))
		}
	}
	var t *LeaseTable
	if leases != "" {
		f, err := os.Open(leases)
		if err != nil {
			errs = append(errs, fmt.Errorf("lease file: %w", err))
		} else {
			list, err := ParseLeases(f)
			f.Close()
			if err != nil {
				errs = append(errs, fmt.Errorf("lease file %s: %w", leases, err))
			}
			if list != nil {
				t = NewLeaseTable(list)
				s.leases.Store(t)
			}
		}
	}
	s.gen.Add(1)
	return t, errors.Join(errs...)
}
