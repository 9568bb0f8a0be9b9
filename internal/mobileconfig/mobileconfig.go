// Package mobileconfig makes the configuration profile (.mobileconfig) that
// sets an iPhone, iPad or Mac to use Hearth's DNS-over-HTTPS with its own
// device ID: an encrypted DNS settings payload (com.apple.dnsSettings.managed)
// naming the device's DoH URL and, when Hearth's own CA signs the
// certificate, a root certificate payload (com.apple.security.root) with
// that CA's certificate (never its key). The profile is unsigned XML; the
// device says so when it is installed.
//
// The payload keys are those of Apple's Device Management documentation
// (Top-level, DNSSettings, Certificate Root).
package mobileconfig

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Profile is what a device's profile says.
type Profile struct {
	// Device is the device's name (its device ID), shown in the profile's
	// name and used in its identifiers.
	Device string
	// DoHURL is the device's DoH URL: https://dns.home.arpa/dns-query/alex-phone.
	DoHURL string
	// CACert is the DER of Hearth's local CA certificate, nil when the
	// listeners use a publicly trusted certificate.
	CACert []byte
	// Identifier prefixes the payload identifiers (reverse DNS); default
	// "arpa.home.hearth".
	Identifier string
}

// Build returns the profile's bytes (an XML property list). The UUIDs are
// derived from the device and URL, so a profile downloaded again replaces
// the one installed rather than adding another.
func (p Profile) Build() ([]byte, error) {
	u, err := url.Parse(p.DoHURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("mobileconfig: %q is not an https:// URL", p.DoHURL)
	}
	if p.Device == "" {
		return nil, errors.New("mobileconfig: no device name")
	}
	id := p.Identifier
	if id == "" {
		id = "arpa.home.hearth"
	}
	base := id + ".dns." + strings.ToLower(p.Device)
	var content []dict
	content = append(content, dict{
		{"PayloadType", "com.apple.dnsSettings.managed"},
		{"PayloadIdentifier", base + ".doh"},
		{"PayloadUUID", uuidOf(base, p.DoHURL, "doh")},
		{"PayloadVersion", 1},
		{"PayloadDisplayName", "Hearth encrypted DNS"},
		{"PayloadDescription", "Sends this device's DNS to Hearth over HTTPS as " + p.Device + "."},
		{"DNSSettings", dict{
			{"DNSProtocol", "HTTPS"},
			{"ServerURL", p.DoHURL},
		}},
	})
	if p.CACert != nil {
		content = append(content, dict{
			{"PayloadType", "com.apple.security.root"},
			{"PayloadIdentifier", base + ".ca"},
			{"PayloadUUID", uuidOf(base, string(p.CACert), "ca")},
			{"PayloadVersion", 1},
			{"PayloadDisplayName", "Hearth local CA"},
			{"PayloadDescription", "Lets this device trust Hearth's own certificate for encrypted DNS."},
			{"PayloadCertificateFileName", "hearth-ca.cer"},
			{"PayloadContent", p.CACert},
		})
	}
	top := dict{
		{"PayloadType", "Configuration"},
		{"PayloadIdentifier", base},
		{"PayloadUUID", uuidOf(base, p.DoHURL, "profile")},
		{"PayloadVersion", 1},
		{"PayloadDisplayName", "Hearth DNS for " + p.Device},
		{"PayloadDescription", "Hearth, the home's DNS filter, over encrypted DNS (DNS-over-HTTPS) for " + p.Device + "."},
		{"PayloadOrganization", "Hearth"},
		{"PayloadRemovalDisallowed", false},
		{"PayloadContent", content},
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n" +
		`<plist version="1.0">` + "\n")
	if err := write(&b, top, 0); err != nil {
		return nil, err
	}
	b.WriteString("</plist>\n")
	return b.Bytes(), nil
}

// dict is a plist dictionary, its keys in order.
type dict []kv

type kv struct {
	k string
	v any
}

func write(b *bytes.Buffer, v any, depth int) error {
	ind := strings.Repeat("\t", depth)
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	switch v := v.(type) {
	case string:
		b.WriteString(ind + "<string>" + esc(v) + "</string>\n")
	case int:
		fmt.Fprintf(b, "%s<integer>%d</integer>\n", ind, v)
	case bool:
		if v {
			b.WriteString(ind + "<true/>\n")
		} else {
			b.WriteString(ind + "<false/>\n")
		}
	case []byte:
		b.WriteString(ind + "<data>" + base64.StdEncoding.EncodeToString(v) + "</data>\n")
	case dict:
		b.WriteString(ind + "<dict>\n")
		for _, e := range v {
			b.WriteString(ind + "\t<key>" + esc(e.k) + "</key>\n")
			if err := write(b, e.v, depth+1); err != nil {
				return err
			}
		}
		b.WriteString(ind + "</dict>\n")
	case []dict:
		b.WriteString(ind + "<array>\n")
		for _, d := range v {
			if err := write(b, d, depth+1); err != nil {
				return err
			}
		}
		b.WriteString(ind + "</array>\n")
	default:
		return fmt.Errorf("mobileconfig: cannot write %T", v)
	}
	return nil
}

// uuidOf is a UUID (version 5 layout, SHA-256 based) named by parts.
func uuidOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
