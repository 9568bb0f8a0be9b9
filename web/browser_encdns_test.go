//go:build browser

package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// TestEncryptedDNSSetupInChromium: the Devices page's "Set up encrypted
// DNS" on a phone in headless Chromium, with DoT, DoH and Hearth's own CA:
// axe-core finds nothing serious, the logged-in browser downloads a
// device's profile (as Safari would) and Hearth's CA certificate.
// HEARTH_SCREENSHOTS=1 writes the section's screenshot to
// docs/screenshots/encrypted-dns-setup.png.
func TestEncryptedDNSSetupInChromium(t *testing.T) {
	browser := findChromium(t)
	axe := axeSource(t)
	clk := clocktest.New(pagesNoon)
	f := newPagesFixture(t, pagesSetup{clk: clk})
	withEncryptedDNS(t, f, EncryptedDNS{DoT: true, DoH: true, Host: "dns.home.arpa", SelfSigned: true})
	b := newEveningBrowser(t, f, browser, axe, clk)
	b.do("open the dashboard", chromedp.EmulateViewport(eveWidth, eveHeight, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(f.url+"/login"), chromedp.WaitVisible(chromedp.ID("password")))
	b.do("log in", chromedp.SendKeys(chromedp.ID("password"), pagesPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("nav")))
	b.do("open Devices", chromedp.Navigate(f.url+"/devices"), chromedp.WaitVisible(chromedp.ID("encdns-h")))
	if got := b.text("#setup-alex-tablet"); !strings.Contains(got, "alex-tablet.dns.home.arpa") || !strings.Contains(got, "https://dns.home.arpa/dns-query/alex-tablet") {
		t.Errorf("alex-tablet's setup says:\n%s", got)
	}
	fetch := func(path string) string {
		t.Helper()
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`fetch("`+path+`").then(r => r.status + " " + r.headers.get("content-type"))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch %s: %v", path, err)
		}
		return s
	}
	if got := fetch("/devices/alex-tablet/profile.mobileconfig"); got != "200 application/x-apple-aspen-config" {
		t.Errorf("the browser's profile download: %s", got)
	}
	if got := fetch("/devices/ca.crt"); got != "200 application/x-x509-ca-cert" {
		t.Errorf("the browser's CA download: %s", got)
	}
	// The picture for docs/encrypted-dns.md: the section alone, as the
	// parent's phone shows it (axe-core checks the whole page first).
	found, passes := b.axeFindings("devices")
	if passes == 0 {
		t.Error("axe-core checked nothing")
	}
	for _, v := range found {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	b.do("keep the section alone", chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll("main > *").forEach(e => { if (e.id !== "encrypted-dns" && e.tagName !== "H1") e.remove() }); window.scrollTo(0, 0)`))
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	data := eveningShot(t, "encrypted-dns-setup", shot)
	if os.Getenv("HEARTH_SCREENSHOTS") == "1" {
		path := filepath.Join("..", "docs", "screenshots", "encrypted-dns-setup.png")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(data))
	}
}
