package app

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/alerts"
)

// TestUnknownDeviceIDAlerts: a device asking over DNS-over-TLS with an ID
// no device is named with is a new device, told of once with its ID; a
// configured device's ID is not.
func TestUnknownDeviceIDAlerts(t *testing.T) {
	url, got := webhookReceiver(t)
	dir := t.TempDir()
	up := upstreamAnswering(t, "192.0.2.1")
	cfg := encryptedYAML(t, dir, up.Addr, "tls: {self_signed: true, names: [dns.home.arpa]}\nalerts:\n  webhook: {url: \""+url+"\"}\n")
	ranBefore(t, cfg.StateDirectory())
	_, roots, dot := startEncrypted(t, cfg)
	askAs := func(device string) {
		t.Helper()
		c := &dns.Client{Net: "tcp-tls", Timeout: 3 * time.Second, TLSConfig: &tls.Config{ServerName: device + ".dns.home.arpa", RootCAs: roots}}
		if _, _, err := c.Exchange(new(dns.Msg).SetQuestion("example.org.", dns.TypeA), dot); err != nil {
			t.Fatalf("DoT as %s: %v", device, err)
		}
	}
	askAs("alex-tablet")
	askAs("visitor-phone")
	askAs("visitor-phone")
	a := awaitAlerts(got)
	if len(a) != 1 || a[0].Kind != alerts.KindNewDevice ||
		a[0].Text != `A new device joined the network and is not named yet: device ID "visitor-phone" (127.0.0.1). Name it on the dashboard to give it its rules.` {
		t.Fatalf("alerts: %+v", a)
	}
}
