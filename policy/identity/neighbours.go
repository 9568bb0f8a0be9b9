package identity

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"
)

// Default sources of the kernel's neighbour tables (Linux).
const (
	DefaultProcARPPath = "/proc/net/arp"
)

// defaultIPNeighCommand lists the IPv6 neighbour table in iproute2's text form.
var defaultIPNeighCommand = []string{"ip", "-6", "neigh", "show"}

// ErrNoIPCommand is wrapped by the error Refresh returns when the `ip`
// command (iproute2) is not installed: the table then holds IPv4 neighbours
// only. It says the same on every refresh; log it once (errors.Is).
var ErrNoIPCommand = errors.New("policy: neighbours: `ip` command not found, IPv6 neighbours unknown (install iproute2)")

// MalformedLinesError reports the lines a parser skipped. The parser's result
// is still complete apart from those lines: callers log this, not fail.
type MalformedLinesError struct {
	Source    string // what was parsed: "/proc/net/arp", "ip -6 neigh", "dnsmasq leases"
	Count     int    // lines skipped
	FirstLine int    // 1-based number of the first skipped line
	First     string // why the first line was skipped
}

func (e *MalformedLinesError) Error() string {
	return fmt.Sprintf("policy: %s: skipped %d malformed line(s), first at line %d: %s",
		e.Source, e.Count, e.FirstLine, e.First)
}

// lineSkips collects the lines a parser skipped.
type lineSkips struct {
	source string
	err    *MalformedLinesError
}

func (s *lineSkips) add(line int, why string) {
	if s.err == nil {
		s.err = &MalformedLinesError{Source: s.source, FirstLine: line, First: why}
	}
	s.err.Count++
}

// result returns nil (a typed nil would not compare equal to nil) or the error.
func (s *lineSkips) result() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// maxLineLen bounds a line of the inputs parsed here; longer lines are
// skipped as malformed rather than buffered.
const maxLineLen = 4096

// eachLine calls fn for every line of r (without the line ending), numbered
// from 1. Lines longer than maxLineLen are reported to skips and not passed to
// fn. Only read errors are returned.
func eachLine(r io.Reader, skips *lineSkips, fn func(n int, line []byte)) error {
	br := bufio.NewReaderSize(r, maxLineLen)
	n := 0
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				tooLong = true
				n++
				skips.add(n, "line too long")
			}
			continue
		}
		if len(chunk) > 0 {
			if tooLong {
				tooLong = false // the tail of the long line
			} else {
				n++
				fn(n, bytes.TrimRight(chunk, "\r\n"))
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ParseProcARP parses Linux's /proc/net/arp:
//
//	IP address       HW type     Flags       HW address            Mask     Device
//	192.168.1.20     0x1         0x2         aa:bb:cc:dd:ee:ff     *        br-lan
//
// Incomplete entries (the ATF_COM flag 0x2 unset) and all-zero hardware
// addresses are left out; they are not errors. Malformed lines are skipped
// and reported by a *MalformedLinesError alongside the complete map.
func ParseProcARP(r io.Reader) (map[netip.Addr]net.HardwareAddr, error) {
	out := make(map[netip.Addr]net.HardwareAddr)
	skips := lineSkips{source: "/proc/net/arp"}
	err := eachLine(r, &skips, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			return
		}
		if n == 1 && string(f[0]) == "IP" {
			return // header
		}
		if len(f) < 4 {
			skips.add(n, "want at least 4 fields")
			return
		}
		addr, err := netip.ParseAddr(string(f[0]))
		if err != nil || !addr.Is4() {
			skips.add(n, "bad IPv4 address")
			return
		}
		flags, err := strconv.ParseUint(string(f[2]), 0, 32)
		if err != nil {
			skips.add(n, "bad flags")
			return
		}
		mac, err := net.ParseMAC(string(f[3]))
		if err != nil {
			skips.add(n, "bad hardware address")
			return
		}
		const atfCom = 0x2 // completed entry (linux/if_arp.h)
		if flags&atfCom == 0 || zeroMAC(mac) {
			return
		}
		out[addr] = mac
	})
	if err != nil {
		return nil, fmt.Errorf("policy: reading /proc/net/arp: %w", err)
	}
	return out, skips.result()
}

// ParseIPNeigh parses the output of `ip -6 neigh show` (iproute2):
//
//	fe80::1 dev eth0 lladdr aa:bb:cc:dd:ee:ff router REACHABLE
//	2001:db8::5 dev eth0 FAILED
//
// Entries without a link-layer address, in state FAILED or INCOMPLETE, or with
// an all-zero address are left out; they are not errors. IPv4 lines (from
// `ip neigh show`) are accepted too. Malformed lines are skipped and reported
// by a *MalformedLinesError alongside the complete map.
func ParseIPNeigh(r io.Reader) (map[netip.Addr]net.HardwareAddr, error) {
	return parseIPNeigh(r, false)
}

// ParseIPNeighReachable is ParseIPNeigh keeping only the neighbours the
// kernel has heard from recently: states REACHABLE, DELAY and PROBE (not
// STALE, which an entry stays in long after its device left, nor
// PERMANENT or NOARP, which are configured, not heard). It reads `ip neigh
// show` (both families) for the alerts' "online but silent" device.
func ParseIPNeighReachable(r io.Reader) (map[netip.Addr]net.HardwareAddr, error) {
	return parseIPNeigh(r, true)
}

func parseIPNeigh(r io.Reader, reachable bool) (map[netip.Addr]net.HardwareAddr, error) {
	out := make(map[netip.Addr]net.HardwareAddr)
	skips := lineSkips{source: "ip -6 neigh"}
	if reachable {
		skips.source = "ip neigh"
	}
	err := eachLine(r, &skips, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			return
		}
		addr, err := netip.ParseAddr(string(f[0]))
		if err != nil {
			skips.add(n, "bad address")
			return
		}
		var mac net.HardwareAddr
		heard := false
		for i := 1; i < len(f); i++ {
			switch string(f[i]) {
			case "FAILED", "INCOMPLETE":
				return
			case "REACHABLE", "DELAY", "PROBE":
				heard = true
			case "lladdr":
				if i+1 >= len(f) {
					skips.add(n, "lladdr without an address")
					return
				}
				i++
				if mac, err = net.ParseMAC(string(f[i])); err != nil {
					skips.add(n, "bad lladdr")
					return
				}
			}
		}
		if mac == nil || zeroMAC(mac) || (reachable && !heard) {
			return
		}
		out[addr.WithZone("")] = mac
	})
	if err != nil {
		return nil, fmt.Errorf("policy: reading ip neigh output: %w", err)
	}
	return out, skips.result()
}

func zeroMAC(m net.HardwareAddr) bool {
	for _, b := range m {
		if b != 0 {
			return false
		}
	}
	return true
}

// Neighbours maps client addresses to MAC addresses as the kernel's neighbour
// tables last showed them, so a phone that rotates IPv6 privacy addresses is
// still recognised as the same device. Refresh builds a new immutable table
// and swaps it in; MAC reads it without locks. The zero value is not usable:
// use NewNeighbours.
type Neighbours struct {
	arpPath string
	ipNeigh []string
	table   atomic.Pointer[neighTable]
}

type neighTable struct {
	m       map[netip.Addr]net.HardwareAddr
	updated time.Time
}

// NeighbourSources says where Neighbours reads the tables; empty fields take
// the defaults. Tests point them at fixtures.
type NeighbourSources struct {
	ProcARP string   // default DefaultProcARPPath
	IPNeigh []string // argv; default "ip -6 neigh show"
}

// NewNeighbours returns an empty table reading from src. Call Refresh to fill
// it, and again periodically (every few seconds to a minute).
func NewNeighbours(src NeighbourSources) *Neighbours {
	n := &Neighbours{arpPath: src.ProcARP, ipNeigh: src.IPNeigh}
	if n.arpPath == "" {
		n.arpPath = DefaultProcARPPath
	}
	if len(n.ipNeigh) == 0 {
		n.ipNeigh = defaultIPNeighCommand
	}
	n.table.Store(&neighTable{m: map[netip.Addr]net.HardwareAddr{}})
	return n
}

// MAC returns the hardware address last seen for a. IPv4-mapped IPv6
// addresses are unmapped and zones ignored, so a packet's source address can
// be passed as it is. It takes no lock and does not allocate; the returned
// slice is shared and must not be modified.
func (n *Neighbours) MAC(a netip.Addr) (net.HardwareAddr, bool) {
	t := n.table.Load()
	mac, ok := t.m[a.Unmap().WithZone("")]
	return mac, ok
}

// Len is the number of addresses in the current table.
func (n *Neighbours) Len() int { return len(n.table.Load().m) }

// Updated is when the current table was built (zero before the first Refresh).
func (n *Neighbours) Updated() time.Time { return n.table.Load().updated }

// Refresh reads the IPv4 table (/proc/net/arp) and runs `ip -6 neigh show`,
// then publishes a new table. If one source cannot be read, that family's
// entries are carried over from the previous table and the error returned;
// the other family is still refreshed. If `ip` is not installed the error
// wraps ErrNoIPCommand. Malformed lines come back as *MalformedLinesError and
// do not stop the refresh. Errors from several sources are joined.
func (n *Neighbours) Refresh(ctx context.Context) error {
	old := n.table.Load()
	next := make(map[netip.Addr]net.HardwareAddr, len(old.m))
	var errs []error

	v4, err := n.readARP()
	if v4 == nil {
		carryOverFamily(next, old.m, true)
	}
	for a, m := range v4 {
		next[a] = m
	}
	if err != nil {
		errs = append(errs, err)
	}

	v6, err := n.readIPNeigh(ctx)
	if v6 == nil {
		carryOverFamily(next, old.m, false)
	}
	for a, m := range v6 {
		if a.Is6() { // `ip -6` only, but a misconfigured command could list IPv4
			next[a] = m
		}
	}
	if err != nil {
		errs = append(errs, err)
	}

	n.table.Store(&neighTable{m: next, updated: time.Now()})
	return errors.Join(errs...)
}

func carryOverFamily(dst, src map[netip.Addr]net.HardwareAddr, v4 bool) {
	for a, m := range src {
		if a.Is4() == v4 {
			dst[a] = m
		}
	}
}

func (n *Neighbours) readARP() (map[netip.Addr]net.HardwareAddr, error) {
	f, err := os.Open(n.arpPath)
	if err != nil {
		return nil, fmt.Errorf("policy: neighbours: %w", err)
	}
	defer f.Close()
	return ParseProcARP(f)
}

// ipNeighTimeout bounds one run of the ip command when ctx has no deadline.
const ipNeighTimeout = 5 * time.Second

func (n *Neighbours) readIPNeigh(ctx context.Context) (map[netip.Addr]net.HardwareAddr, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ipNeighTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, n.ipNeigh[0], n.ipNeigh[1:]...)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", ErrNoIPCommand, err)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return nil, fmt.Errorf("policy: neighbours: %q: %w: %s", n.ipNeigh, err, bytes.TrimSpace(ee.Stderr))
		}
		return nil, fmt.Errorf("policy: neighbours: %q: %w", n.ipNeigh, err)
	}
	return ParseIPNeigh(bytes.NewReader(out))
}
