package mobileconfig

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/tlscert"
)

// parsePlist reads an XML property list into map[string]any, []any,
// string, int64, bool and []byte, refusing anything else.
func parsePlist(t *testing.T, b []byte) map[string]any {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var root any
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local != "plist" {
			root = parseValue(t, d, se)
		}
	}
	m, ok := root.(map[string]any)
	if !ok {
		t.Fatalf("the plist's root is %T, want a dict", root)
	}
	return m
}

func parseValue(t *testing.T, d *xml.Decoder, se xml.StartElement) any {
	t.Helper()
	text := func() string {
		var s string
		if err := d.DecodeElement(&s, &se); err != nil {
			t.Fatal(err)
		}
		return s
	}
	switch se.Name.Local {
	case "string":
		return text()
	case "integer":
		n, err := strconv.ParseInt(text(), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	case "true", "false":
		_ = d.Skip()
		return se.Name.Local == "true"
	case "data":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text()), ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	case "dict":
		m := map[string]any{}
		key := ""
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if tok.Name.Local == "key" {
					if err := d.DecodeElement(&key, &tok); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if key == "" {
					t.Fatalf("a %s without its key", tok.Name.Local)
				}
				if _, dup := m[key]; dup {
					t.Fatalf("key %s twice", key)
				}
				m[key], key = parseValue(t, d, tok), ""
			case xml.EndElement:
				return m
			}
		}
	case "array":
		var a []any
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				a = append(a, parseValue(t, d, tok))
			case xml.EndElement:
				return a
			}
		}
	}
	t.Fatalf("unknown plist element <%s>", se.Name.Local)
	return nil
}

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
	top := parsePlist(t, b)
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
	ot := parsePlist(t, other)
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
	parsePlist(t, b)
}
