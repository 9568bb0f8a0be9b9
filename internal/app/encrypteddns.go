package app

import (
	"net"
	"strings"

	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/web"
)

// encryptedDNSOf is what the dashboard's Devices page needs to tell a
// parent how to set up a device's encrypted DNS: which listeners are on,
// the host name the devices use (the first of tls.names), the DoH port
// when it is not 443 (the bound one when there is one: listen_https may
// say port 0), and whether Hearth's own CA signs the certificate.
func encryptedDNSOf(c resolver.Config, boundDoH []net.Addr) web.EncryptedDNS {
	e := web.EncryptedDNS{DoT: len(c.ListenTLS) > 0, DoH: len(c.ListenHTTPS) > 0, SelfSigned: c.TLS.SelfSigned}
	if len(c.TLS.Names) > 0 {
		e.Host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(c.TLS.Names[0]), "."))
	}
	if e.DoH {
		a := c.ListenHTTPS[0]
		if len(boundDoH) > 0 {
			a = boundDoH[0].String()
		}
		if _, port, err := net.SplitHostPort(a); err == nil && port != "443" {
			e.DoHPort = port
		}
	}
	return e
}

// noteEncryptedDNS records the running configuration's encrypted DNS for
// the dashboard (at start and after each reload that applied).
func (h *Hearth) noteEncryptedDNS(c resolver.Config) {
	e := encryptedDNSOf(c, h.srv.EncryptedAddrs(resolver.ProtoDoH))
	h.encDNS.Store(&e)
}

// encryptedDNS is the dashboard's Options.EncryptedDNS.
func (h *Hearth) encryptedDNS() web.EncryptedDNS {
	if e := h.encDNS.Load(); e != nil {
		return *e
	}
	return web.EncryptedDNS{}
}
