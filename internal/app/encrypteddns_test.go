package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/mobileconfig/plisttest"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/web"
)

// TestProfileFromDashboardWorks: the profile a parent downloads from the
// dashboard of a running Hearth (DoT and DoH with its own CA) names a DoH
// URL that works: an HTTP/2 client trusting only the CA the profile
// carries, asking that URL, is the kids' tablet (blocked) or the parent's
// phone (not blocked), both from 127.0.0.1. The DoH port in the URL is the
// one bound (listen_https says port 0).
func TestProfileFromDashboardWorks(t *testing.T) {
	dir := t.TempDir()
	up := upstreamAnswering(t, "192.0.2.1")
	state := filepath.Join(dir, "state")
	load := func(tlsNames string) *config.Config {
		t.Helper()
		yaml := "listen: [\"127.0.0.1:0\"]\nlisten_tls: [\"127.0.0.1:0\"]\nlisten_https: [\"127.0.0.1:0\"]\n" +
			"allow_clients: [127.0.0.0/8]\nstate_dir: " + state + "\n" +
			"upstreams:\n  servers: [\"udp://" + up.Addr + "\"]\n  strategy: ordered\n  timeout: 1s\n" +
			"tls: {self_signed: true, names: [" + tlsNames + "]}\n" +
			"devices:\n  - {name: alex-tablet, group: kids, block: [blocked.example]}\n  - {name: parent-phone, group: parents}\n" +
			"groups:\n  kids: {}\n  parents: {}\n" +
			"journal: {enabled: false}\nweb: {enabled: true, listen: \"127.0.0.1:0\"}\n"
		cfg := loadYAML(t, dir, yaml)
		return cfg
	}
	cfg := load("dns.home.arpa")
	const password = "correct horse battery"
	if err := web.SetPassword(state, password); err != nil {
		t.Fatal(err)
	}
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	if h.web == nil {
		t.Fatal("the dashboard did not start")
	}
	dash := "http://" + h.web.Addr().String()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	resp, err := browser.PostForm(dash+"/login", url.Values{"password": {password}, "next": {"/devices"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	_, dohPort, _ := net.SplitHostPort(h.srv.EncryptedAddrs(resolver.ProtoDoH)[0].String())
	askAs := func(device string) string {
		t.Helper()
		resp, err := browser.Get(dash + "/devices/" + device + "/profile.mobileconfig")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's profile: %s\n%s", device, resp.Status, body)
		}
		var serverURL string
		roots := x509.NewCertPool()
		content, _ := plisttest.Parse(t, body)["PayloadContent"].([]any)
		for _, c := range content {
			p, _ := c.(map[string]any)
			if s, ok := p["DNSSettings"].(map[string]any); ok {
				serverURL, _ = s["ServerURL"].(string)
			}
			if der, ok := p["PayloadContent"].([]byte); ok {
				ca, err := x509.ParseCertificate(der)
				if err != nil {
					t.Fatal(err)
				}
				roots.AddCert(ca)
			}
		}
		if want := "https://dns.home.arpa:" + dohPort + "/dns-query/" + device; serverURL != want {
			t.Fatalf("%s's profile names %q, want %q", device, serverURL, want)
		}
		// The device: it trusts the profile's CA alone and finds
		// dns.home.arpa at 127.0.0.1 (the router's DNS name, at home).
		phone := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, port, _ := net.SplitHostPort(addr)
				return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
			},
		}}
		q, _ := new(dns.Msg).SetQuestion("blocked.example.", dns.TypeA).Pack()
		resp, err = phone.Post(serverURL, "application/dns-message", bytes.NewReader(q))
		if err != nil {
			t.Fatalf("DoH as %s: %v", device, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
			t.Fatalf("DoH as %s: %s over %s\n%s", device, resp.Status, resp.Proto, b)
		}
		var r dns.Msg
		if err := r.Unpack(b); err != nil {
			t.Fatal(err)
		}
		return dns.RcodeToString[r.Rcode]
	}
	if got := askAs("alex-tablet"); got != "NXDOMAIN" {
		t.Errorf("alex-tablet through its profile: %s, want NXDOMAIN", got)
	}
	if got := askAs("parent-phone"); got != "NOERROR" {
		t.Errorf("parent-phone through its profile: %s, want NOERROR", got)
	}
	if e := h.encryptedDNS(); !e.DoT || !e.SelfSigned || e.Host != "dns.home.arpa" || e.DoHPort != dohPort || strings.Contains(e.Host, ":") {
		t.Errorf("the dashboard's encrypted DNS %+v", e)
	}
	// A reload that renames the host: the dashboard's setup follows it.
	if err := h.Reload(load("hearth.home.arpa")); err != nil {
		t.Fatal(err)
	}
	if e := h.encryptedDNS(); e.Host != "hearth.home.arpa" {
		t.Errorf("after the reload, the dashboard's host is %q, want hearth.home.arpa", e.Host)
	}
}

// TestEncryptedDNSOf: port 443 is left out of the DoH URL, another kept;
// the host is the first of tls.names, lowercased, without its final dot.
func TestEncryptedDNSOf(t *testing.T) {
	for _, tc := range []struct {
		https []string
		port  string
	}{{[]string{"0.0.0.0:443"}, ""}, {[]string{"[::]:8443", "0.0.0.0:443"}, "8443"}, {nil, ""}} {
		c := resolver.Config{ListenHTTPS: tc.https}
		c.TLS.Names = []string{"DNS.Home.Arpa.", "other.example"}
		e := encryptedDNSOf(c, nil)
		if e.DoH != (len(tc.https) > 0) || e.DoT || e.DoHPort != tc.port || e.Host != "dns.home.arpa" {
			t.Errorf("%v: %+v, want port %q and host dns.home.arpa", tc.https, e, tc.port)
		}
	}
}
