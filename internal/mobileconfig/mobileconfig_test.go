package mobileconfig

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/mobileconfig/plisttest"
	"github.com/hearth-dns/hearth/internal/tlscert"
)

// Apple's documented keys (Device Management: Top-level, DNSSettings,
// CertificateRoot), and those every payload must have.
var (
	topLevelKeys = keys("PayloadContent PayloadDescription PayloadDisplayName PayloadExpirationDate PayloadIdentifier " +
		"PayloadOrganization PayloadUUID PayloadRemovalDisallowed PayloadType PayloadVersion PayloadScope RemovalDate " +
		"DurationUntilRemoval ConsentText HasRemovalPasscode IsEncrypted TargetDeviceType")
	payloadCommon     = "PayloadType PayloadIdentifier PayloadUUID PayloadVersion PayloadDisplayName PayloadDescription PayloadOrganization"
	dnsPayloadKeys    = keys(payloadCommon + " DNSSettings OnDemandRules ProhibitDisablement PayloadCertificateUUID")
	dnsSettingsKeys   = keys("DNSProtocol ServerURL ServerName ServerAddresses SupplementalMatchDomains AllowFailover")
	rootPayloadKeys   = keys(payloadCommon + " PayloadCertificateFileName PayloadContent")
	requiredOfPayload = []string{"PayloadType", "PayloadIdentifier", "PayloadUUID", "PayloadVersion"}
	uuidRE            = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)
)

func keys(s string) map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(s) {
		m[k] = true
	}
	return m
}

func checkKeys(t *testing.T, what string, m map[string]any, allowed map[string]bool, required ...string) {
	t.Helper()
	for k := range m {
		if !allowed[k] {
			t.Errorf("%s: key %s is not one of Apple's", what, k)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %s", what, k)
		}
	}
	if v, ok := m["PayloadVersion"]; ok && v != int64(1) {
		t.Errorf("%s: PayloadVersion %v, want the integer 1", what, v)
	}
	if u, ok := m["PayloadUUID"].(string); ok && !uuidRE.MatchString(u) {
		t.Errorf("%s: PayloadUUID %q is not a UUID", what, u)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := tlscert.New(tlscert.Config{SelfSigned: true, Names: []string{"dns.home.arpa"}}, dir, clocktest.New(time.Now())); err != nil {
		t.Fatal(err)
	}
	caPEM, err := tlscert.CACertPEM(dir)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caPEM)
	url := "https://dns.home.arpa/dns-query/alex-phone"
	b, err := Profile{Device: "alex-phone", DoHURL: url, CACert: block.Bytes}.Build()
	if err != nil {
		t.Fatal(err)
	}
	top := plisttest.Parse(t, b)
	checkKeys(t, "profile", top, topLevelKeys, append(requiredOfPayload, "PayloadContent", "PayloadDisplayName")...)
	if top["PayloadType"] != "Configuration" {
		t.Errorf("PayloadType %v", top["PayloadType"])
	}
	content, _ := top["PayloadContent"].([]any)
	if len(content) != 2 {
		t.Fatalf("%d payloads, want the DNS settings and the CA", len(content))
	}
	seen := map[string]bool{}
	for i, p := range content {
		m, ok := p.(map[string]any)
		if !ok {
			t.Fatalf("payload %d is %T", i, p)
		}
		id := fmt.Sprint(m["PayloadIdentifier"])
		if seen[id] || seen[fmt.Sprint(m["PayloadUUID"])] {
			t.Errorf("payload %d: identifier or UUID repeated", i)
		}
		seen[id], seen[fmt.Sprint(m["PayloadUUID"])] = true, true
		switch m["PayloadType"] {
		case "com.apple.dnsSettings.managed":
			checkKeys(t, "DNS settings payload", m, dnsPayloadKeys, append(requiredOfPayload, "DNSSettings")...)
			ds, _ := m["DNSSettings"].(map[string]any)
			checkKeys(t, "DNSSettings", ds, dnsSettingsKeys, "DNSProtocol")
			if ds["DNSProtocol"] != "HTTPS" || ds["ServerURL"] != url {
				t.Errorf("DNSSettings %v, want HTTPS to %s", ds, url)
			}
		case "com.apple.security.root":
			checkKeys(t, "root certificate payload", m, rootPayloadKeys, append(requiredOfPayload, "PayloadContent")...)
			der, _ := m["PayloadContent"].([]byte)
			c, err := x509.ParseCertificate(der)
			if err != nil || !c.IsCA {
				t.Errorf("the CA payload's certificate: %v", err)
			}
			if bytes.Contains(b, []byte("PRIVATE KEY")) {
				t.Error("a private key in the profile")
			}
		default:
			t.Errorf("payload %d: type %v", i, m["PayloadType"])
		}
	}

	// Downloaded again: the same profile (it replaces the one installed);
	// another device's differs; a public certificate needs no CA payload.
	again, _ := Profile{Device: "alex-phone", DoHURL: url, CACert: block.Bytes}.Build()
	if !bytes.Equal(again, b) {
		t.Error("the profile changed between two downloads")
	}
	other, _ := Profile{Device: "sam-ipad", DoHURL: "https://dns.home.arpa/dns-query/sam-ipad"}.Build()
	ot := plisttest.Parse(t, other)
	if ot["PayloadUUID"] == top["PayloadUUID"] || ot["PayloadIdentifier"] == top["PayloadIdentifier"] {
		t.Error("two devices' profiles share an identifier")
	}
	if n := len(ot["PayloadContent"].([]any)); n != 1 {
		t.Errorf("%d payloads without a CA, want 1", n)
	}
}

func TestProfileRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, p := range []Profile{
		{Device: "x", DoHURL: "http://dns.home.arpa/dns-query/x"},
		{Device: "x", DoHURL: "dns.home.arpa"},
		{DoHURL: "https://dns.home.arpa/dns-query"},
	} {
		if _, err := p.Build(); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
	// Text is escaped: the plist stays well-formed.
	b, err := Profile{Device: "a<b&c", DoHURL: "https://dns.home.arpa/dns-query?x=1&y=2"}.Build()
	if err != nil {
		t.Fatal(err)
	}
	plisttest.Parse(t, b)
}
