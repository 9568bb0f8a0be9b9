package policy

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/policy/identity"
)

// A device known by name: over DNS-over-TLS and DNS-over-HTTPS a device
// says who it is (identity.ClientInfo.DeviceID, from its TLS server name or
// its DoH path). The ID is matched to the device of that name in hearth.yaml
// (or named on the dashboard), whatever address the query comes from: it
// wins over the address, so a phone with a private Wi-Fi address or a
// rotating IPv6 address keeps its rules. An ID no device has is an unknown
// device, in the new-devices group, recorded in the devices seen under the
// key "id:<ID>" so the parent can see it and name it.

// maxIDs bounds the device IDs cached per plan: IDs are whatever clients
// type, so past this many the cache starts again.
const maxIDs = 1024

// idCache remembers who each device ID is. The zero value is ready.
type idCache struct {
	m sync.Map // string -> *ident
	n atomic.Int32
}

// identifyByID identifies a client that named itself. A known ID costs a
// sync.Map lookup and no allocation.
func (e *Engine) identifyByID(b *bound, client *identity.ClientInfo, now time.Time) Who {
	addr := client.Remote
	if v, ok := b.byID.m.Load(client.DeviceID); ok {
		id := v.(*ident)
		id.seen.Touch(now.Unix())
		return Who{b: b, dev: id.dev, addr: addr, seen: id.seen}
	}
	dev := b.plan.deviceNamed(client.DeviceID)
	name := ""
	if dev != nil {
		name = dev.name
	}
	id := &ident{dev: dev, seen: e.opts.Devices.ObserveID(client.DeviceID, name, addr, now)}
	if b.byID.n.Add(1) > maxIDs {
		b.byID.m.Clear()
		b.byID.n.Store(1)
	}
	b.byID.m.Store(strings.Clone(client.DeviceID), id)
	return Who{b: b, dev: id.dev, addr: addr, seen: id.seen}
}

// deviceNamed is the device whose name is id (letter case aside), or nil.
// Names written as on the dashboard ("Alex's Tablet") match their slug too
// ("alexs-tablet").
func (p *plan) deviceNamed(id string) *device {
	for _, d := range p.devices {
		if strings.EqualFold(d.name, id) {
			return d
		}
	}
	for _, d := range p.devices {
		if identity.Slug(d.name) == id {
			return d
		}
	}
	return nil
}
