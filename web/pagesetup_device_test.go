package web

import (
	"bytes"
	"encoding/pem"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/mobileconfig/plisttest"
	"github.com/hearth-dns/hearth/internal/tlscert"
	"github.com/hearth-dns/hearth/policy/policytest"
)

// withEncryptedDNS sets the fixture's encrypted DNS (before any request)
// and, self-signed, makes Hearth's local CA in its state directory as the
// DNS listeners do on first start.
func withEncryptedDNS(t *testing.T, f *pagesFixture, e EncryptedDNS) {
	t.Helper()
	if e.SelfSigned {
		if _, err := tlscert.New(tlscert.Config{SelfSigned: true, Names: []string{e.Host}}, f.dir, f.clk); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.opts.EncryptedDNS = func() EncryptedDNS { return e }
}

// caFileDER is the CA certificate Hearth made in the state directory.
func caFileDER(t *testing.T, dir string) []byte {
	t.Helper()
	p, err := os.ReadFile(tlscert.CACertPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(p)
	if b == nil {
		t.Fatalf("%s is not PEM", tlscert.CACertPath(dir))
	}
	return b.Bytes
}

// TestDeviceSetupSelfSigned: with DoT and DoH and Hearth's own CA, the
// Devices page gives each named device its Android host name, its DoH
// template and its profile; the profile is a plist naming the device's DoH
// URL with the CA's certificate (the one in the state directory); the CA
// downloads; an unknown device is a 404; nothing downloads without a login.
func TestDeviceSetupSelfSigned(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	withEncryptedDNS(t, f, EncryptedDNS{DoT: true, DoH: true, Host: "dns.home.arpa", SelfSigned: true})
	ca := caFileDER(t, f.dir)

	for _, path := range []string{"/devices/alex-tablet/profile.mobileconfig", "/devices/ca.crt"} {
		resp, body := f.get(path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") || strings.Contains(body, "BEGIN CERTIFICATE") || strings.Contains(body, "plist") {
			t.Errorf("%s without a login: %s to %q, want a redirect to the login page and nothing else\n%s", path, resp.Status, resp.Header.Get("Location"), body)
		}
	}
	f.login()

	resp, body := f.get("/devices")
	wantPage(t, "devices", resp, body, http.StatusOK, "Set up encrypted DNS",
		"<code>alex-tablet.dns.home.arpa</code>", "<code>https://dns.home.arpa/dns-query/alex-tablet</code>",
		`href="/devices/alex-tablet/profile.mobileconfig"`, "<code>parents-phone.dns.home.arpa</code>",
		`href="/devices/ca.crt"`, "cannot be told to trust Hearth's own CA")
	checkAccessible(t, "devices with setup", body)

	resp, body = f.get("/devices/alex-tablet/profile.mobileconfig")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-apple-aspen-config" {
		t.Fatalf("profile: %s, %q\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="hearth-alex-tablet.mobileconfig"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	top := plisttest.Parse(t, []byte(body))
	var doh, root map[string]any
	content, _ := top["PayloadContent"].([]any)
	for _, c := range content {
		p, _ := c.(map[string]any)
		switch p["PayloadType"] {
		case "com.apple.dnsSettings.managed":
			doh = p
		case "com.apple.security.root":
			root = p
		}
	}
	if doh == nil || root == nil {
		t.Fatalf("the profile has no DNS settings or no root certificate payload: %v", top)
	}
	settings, _ := doh["DNSSettings"].(map[string]any)
	if settings["ServerURL"] != "https://dns.home.arpa/dns-query/alex-tablet" || settings["DNSProtocol"] != "HTTPS" {
		t.Errorf("DNSSettings %v, want alex-tablet's DoH URL over HTTPS", settings)
	}
	if got, _ := root["PayloadContent"].([]byte); !bytes.Equal(got, ca) {
		t.Errorf("the profile's CA is not the one in the state directory")
	}
	if strings.Contains(body, "PRIVATE KEY") {
		t.Error("the profile carries a private key")
	}

	resp, body = f.get("/devices/ca.crt")
	b, _ := pem.Decode([]byte(body))
	if resp.StatusCode != http.StatusOK || b == nil || !bytes.Equal(b.Bytes, ca) || strings.Contains(body, "PRIVATE") {
		t.Errorf("ca.crt: %s, want the CA's certificate alone\n%s", resp.Status, body)
	}

	for _, path := range []string{"/devices/nobody/profile.mobileconfig", "/devices/alex_tablet/profile.mobileconfig"} {
		resp, body = f.get(path)
		wantPage(t, path, resp, body, http.StatusNotFound, "No device is named")
	}
}

// TestDeviceSetupPublicCert: with a certificate from files on DoH port
// 8443 only, the template and profile carry the port and no CA, the CA does
// not download, and the page says Android needs DoT.
func TestDeviceSetupPublicCert(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	withEncryptedDNS(t, f, EncryptedDNS{DoH: true, Host: "dns.example.net", DoHPort: "8443"})
	f.login()
	resp, body := f.get("/devices")
	wantPage(t, "devices", resp, body, http.StatusOK, "<code>https://dns.example.net:8443/dns-query/jo-laptop</code>",
		"Android's Private DNS needs DNS-over-TLS")
	if strings.Contains(body, "ca.crt") || strings.Contains(body, ".dns.example.net</code>") {
		t.Errorf("the page offers a CA or an Android host name without them:\n%s", body)
	}
	resp, body = f.get("/devices/jo-laptop/profile.mobileconfig")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("profile: %s\n%s", resp.Status, body)
	}
	top := plisttest.Parse(t, []byte(body))
	content, _ := top["PayloadContent"].([]any)
	if len(content) != 1 {
		t.Fatalf("%d payloads, want the DNS settings alone", len(content))
	}
	settings, _ := content[0].(map[string]any)["DNSSettings"].(map[string]any)
	if settings["ServerURL"] != "https://dns.example.net:8443/dns-query/jo-laptop" {
		t.Errorf("ServerURL %v", settings["ServerURL"])
	}
	resp, body = f.get("/devices/ca.crt")
	wantPage(t, "ca.crt", resp, body, http.StatusNotFound, "Hearth&#39;s own CA is not in use")
}

// TestDeviceSetupOff: without encrypted listeners the Devices page says
// nothing of encrypted DNS and no profile downloads.
func TestDeviceSetupOff(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t, pagesSetup{})
	f.login()
	resp, body := f.get("/devices")
	wantPage(t, "devices", resp, body, http.StatusOK, "<h1>Devices</h1>")
	for _, not := range []string{"Set up encrypted DNS", "dns-query", "Private DNS"} {
		if strings.Contains(body, not) {
			t.Errorf("the page says %q without encrypted listeners", not)
		}
	}
	resp, body = f.get("/devices/alex-tablet/profile.mobileconfig")
	wantPage(t, "profile", resp, body, http.StatusNotFound, "DNS-over-HTTPS is not set up")
	resp, body = f.get("/devices/ca.crt")
	wantPage(t, "ca.crt", resp, body, http.StatusNotFound)
}

// TestDeviceSetupNameAsWritten: a device hearth.yaml names as a parent
// writes it ("Alex's Tablet") is set up under its device ID, the name's
// slug (alexs-tablet), which the DNS listeners match to it; the profile
// answers to that ID in any letter case.
func TestDeviceSetupNameAsWritten(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(pagesNoon)
	cfg := pagesHousehold()
	cfg.Devices[0].Name = "Alex's Tablet"
	f := newPagesFixture(t, pagesSetup{clk: clk, engine: policytest.Engine(t, cfg, clk)})
	withEncryptedDNS(t, f, EncryptedDNS{DoT: true, DoH: true, Host: "dns.home.arpa"})
	f.login()
	resp, body := f.get("/devices")
	wantPage(t, "devices", resp, body, http.StatusOK, "<h3>Alex&#39;s Tablet</h3>", "<code>alexs-tablet.dns.home.arpa</code>",
		`href="/devices/alexs-tablet/profile.mobileconfig"`)
	for _, path := range []string{"/devices/alexs-tablet/profile.mobileconfig", "/devices/Alexs-Tablet/profile.mobileconfig"} {
		resp, body = f.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s\n%s", path, resp.Status, body)
		}
		content, _ := plisttest.Parse(t, []byte(body))["PayloadContent"].([]any)
		settings, _ := content[0].(map[string]any)["DNSSettings"].(map[string]any)
		if settings["ServerURL"] != "https://dns.home.arpa/dns-query/alexs-tablet" {
			t.Errorf("%s: ServerURL %v", path, settings["ServerURL"])
		}
	}
}
