// Package identity is who a client is: what a query says about its sender
// (ClientInfo, which the resolver reads from the packet, and which claims may
// be trusted), the kernel's neighbour tables (ARP/NDP: a MAC address from an
// IP address), dnsmasq lease files (a host name), the Sources that hold both
// and are refreshed together, and the per-client Cache the identification
// step keeps so that a known client costs one map lookup.
//
// It imports nothing of the policy and nothing of DNS: the resolver parses
// EDNS options, the policy maps a MAC or an address to a configured device.
package identity
