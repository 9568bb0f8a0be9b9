package identity

import (
	"net"
	"net/netip"
)

// ClientInfo is what a query says about the client that sent it.
//
// MAC and an ECS address are claims made inside the packet: any client can
// put them there. Trust them only when Remote is a forwarder you configured
// (the home router); otherwise use Direct().
type ClientInfo struct {
	// Addr is the client's address: the packet's source, or the address a
	// forwarder put in a /32 or /128 EDNS Client Subnet option.
	Addr netip.Addr
	// Remote is the packet's source address (IPv4-mapped IPv6 unmapped).
	Remote netip.Addr
	// MAC is the hardware address from a MAC or device-id option, or nil.
	MAC net.HardwareAddr
	// ECS is the EDNS Client Subnet source prefix (masked), if the query had
	// one; a /32 or /128 one also sets Addr.
	ECS netip.Prefix
	// DeviceID is the name the device gave itself over an encrypted
	// transport: the left-most label of its TLS server name (SNI) below one
	// of tls.names, or the last segment of its DNS-over-HTTPS path
	// (/dns-query/alex-phone); "" over plain UDP and TCP. It is a lowercase
	// slug (IsSlug). Unlike MAC and ECS it is not a claim inside the packet
	// but part of the connection the client opened, so Direct keeps it.
	DeviceID string
}

// Forwarded reports whether the query claims a client other than its sender.
func (c ClientInfo) Forwarded() bool { return c.Addr != c.Remote || c.MAC != nil }

// Direct drops what the packet claims and keeps only its source address: use
// it for queries that do not come from a trusted forwarder.
func (c ClientInfo) Direct() ClientInfo {
	return ClientInfo{Addr: c.Remote, Remote: c.Remote, DeviceID: c.DeviceID}
}

// Trusted returns c as far as it may be believed: c itself if its sender is
// one of forwarders (the home router), else only its source address.
func (c ClientInfo) Trusted(forwarders []netip.Prefix) ClientInfo {
	if !c.Forwarded() {
		return c
	}
	for _, f := range forwarders {
		if f.Contains(c.Remote) {
			return c
		}
	}
	return c.Direct()
}
