//go:build browser

package web

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/resolvertest"
)

var updateScreens = flag.Bool("update", false, "write the dashboard's screenshots to docs/screenshots")

// The phone the screenshots are taken on (CSS pixels, scale 1).
const phoneWidth, phoneHeight = 412, 915

// TestDashboardInChromium drives the dashboard in real headless Chromium, as
// a parent on a phone would: open it, get sent to the login page, log in,
// see the devices on the Now page and press "Pause 30 min" for the kid's
// tablet; a real Hearth resolver sharing the policy engine then blocks the
// tablet's lookups. It opens every page and takes a full-page screenshot of
// each; with -update they become docs/screenshots/*.png (the README's).
// Chromium is Debian's package, installed by scripts/install-chromium.sh
// when missing (as root).
func TestDashboardInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	browser := findChromium(t)

	clk := clocktest.New(pagesNoon)
	f := newPagesFixture(t, pagesSetup{clk: clk, seedDays: 7})
	dnsAddr, recorded := startPagesResolver(t, f)
	// A guest's phone and a friend's tablet ask something: the first gets a
	// name on the dashboard, the other stays unknown.
	dnsAskFrom(t, dnsAddr, "127.0.0.77", "www.example.com")
	dnsAskFrom(t, dnsAddr, pagesGuestIP, "www.example.com")
	if err := f.engine.Assign(state.Assignment{Key: "ip:127.0.0.77", Name: "guest-phone", Group: "default", By: "test"}); err != nil {
		t.Fatal(err)
	}

	// Before the pause the tablet's lookups resolve.
	if r := dnsAskFrom(t, dnsAddr, pagesKidIP, "www.example.com"); r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
		t.Fatalf("before the pause: %v", r)
	}

	ctx := chromium(t, browser)
	shots := map[string][]byte{}
	shoot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", name, err)
		}
		shots[name] = b
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, steps...); err != nil {
			u, _ := chromedp.Run(ctx, chromedp.Location())
			page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, u, page)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(u, f.url)
	}

	do("open the dashboard", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(f.url+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	if got := location(); got != "/login?next=%2Fnow" {
		t.Errorf("opening / ends at %s, want the login page", got)
	}
	shoot("login")

	do("log in", chromedp.SendKeys(chromedp.ID("password"), pagesPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button.pause[data-device="alex-tablet"]`)))
	if got := location(); got != "/now" {
		t.Errorf("after logging in: %s, want /now", got)
	}
	main := text("main")
	for _, want := range []string{"alex-tablet", "jo-laptop", "parents-phone", "guest-phone", "Unknown devices",
		"Gaming blocked until 16:00", "Pause 30 min"} {
		if !strings.Contains(main, want) {
			t.Errorf("the Now page has no %q:\n%s", want, main)
		}
	}

	do("pause alex-tablet", chromedp.Click(chromedp.CSS(`button.pause[data-device="alex-tablet"][data-minutes="30"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(".flash"); got != "Paused alex-tablet until 12:30." {
		t.Errorf("flash after the pause: %q", got)
	}
	if got := text("#dev-1 .badge"); got != "Paused until 12:30" {
		t.Errorf("alex-tablet's state: %q", got)
	}
	// The pause reaches DNS at once: the blocked answer is the configured
	// response (NXDOMAIN), with an Extended DNS Error saying why.
	r := dnsAskFrom(t, dnsAddr, pagesKidIP, "www.example.com")
	if r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
		t.Errorf("after the pause alex-tablet's www.example.com is %s %v, want NXDOMAIN", dns.RcodeToString[r.Rcode], r.Answer)
	}
	if r := dnsAskFrom(t, dnsAddr, pagesTeenIP, "www.example.com"); r.Rcode != dns.RcodeSuccess {
		t.Errorf("jo-laptop is blocked too: %s", dns.RcodeToString[r.Rcode])
	}
	// The journal has the blocked lookup once the writer commits it; the
	// log shows whole minutes before now, so the clock moves on a little.
	waitForRecord(t, recorded, "www.example.com")
	f.reopenJournal()
	clk.Advance(2 * time.Minute)
	do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	shoot("now")

	do("open the report", chromedp.Click(chromedp.CSS(`nav a[href="/report"]`)), chromedp.WaitVisible(chromedp.CSS(".report h1")))
	if got := text(".report h1"); got != "Hearth report" {
		t.Errorf("report heading %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".report svg rect.bar").length`)); err != nil || n == 0 {
		t.Errorf("the report has %d chart bars (%v)", n, err)
	}
	shoot("report")

	for _, p := range []struct{ name, path, sel, want string }{
		{"devices", "/devices", "main h1", "Devices"},
		{"rules", "/rules", ".week", "Bedtime"},
		{"log", "/log", "table.log", "www.roblox.com"},
	} {
		do("open "+p.path, chromedp.Click(chromedp.CSS(`nav a[href="`+p.path+`"]`)), chromedp.WaitVisible(chromedp.CSS(p.sel)))
		if got := text("main"); !strings.Contains(got, p.want) {
			t.Errorf("%s has no %q:\n%s", p.path, p.want, got)
		}
		shoot(p.name)
	}
	// The pause's own lookup is in the log.
	if got := text("table.log"); !strings.Contains(got, "www.example.com") {
		t.Errorf("the log has no blocked www.example.com:\n%s", got)
	}

	names := make([]string, 0, len(shots))
	for name := range shots {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		data := checkScreenshot(t, name, shots[name])
		if *updateScreens {
			path := filepath.Join("..", "docs", "screenshots", name+".png")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s (%d bytes)", path, len(data))
		}
	}
}

// signalRecorder hands the resolver's lookups to the journal and tells the
// test of each, once the journal has it.
type signalRecorder struct {
	resolver.Recorder
	recorded chan<- journal.Event
}

func (r signalRecorder) Record(e journal.Event) {
	r.Recorder.Record(e)
	e.Name = strings.Clone(e.Name) // a view of the resolver's buffer
	select {
	case r.recorded <- e:
	default: // nobody waits for so many
	}
}

// waitForRecord waits until the resolver has journaled a lookup of name.
func waitForRecord(t *testing.T, recorded <-chan journal.Event, name string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-recorded:
			if strings.TrimSuffix(e.Name, ".") == name {
				return
			}
		case <-timeout:
			t.Fatalf("the resolver journaled no lookup of %s", name)
		}
	}
}

// findChromium returns Chromium's path, installing Debian's package with
// scripts/install-chromium.sh when it is missing.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	out, err := exec.Command("../scripts/install-chromium.sh").Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		t.Fatalf("no Chromium (%v: %s): run scripts/install-chromium.sh as root, or sudo apt-get install chromium; -short skips this test", err, msg)
	}
	return strings.TrimSpace(string(out))
}

// chromium starts a headless browser for the test and returns its tab's
// context. The whole browser lives at most two minutes.
func chromium(t *testing.T, browser string) context.Context {
	t.Helper()
	return startChromium(t, browser, phoneWidth, phoneHeight, 2*time.Minute)
}

// startChromium starts headless Chromium at width x height for at most
// life and returns its tab's context. A start that fails is tried once
// more: Chromium launched beside others (the report's browser tests run at
// the same time) now and then exits before it is ready.
func startChromium(t *testing.T, browser string, width, height int, life time.Duration) context.Context {
	t.Helper()
	var err error
	for range 2 {
		limit, cancelLimit := context.WithTimeout(context.Background(), life)
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
			chromedp.Flag("hide-scrollbars", true), chromedp.Flag("lang", "en-GB"))
		alloc, cancelAlloc := chromedp.NewExecAllocator(limit, opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		if err = chromedp.Do(ctx); err == nil { // starts the browser
			t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelLimit() })
			return ctx
		}
		cancelCtx()
		cancelAlloc()
		cancelLimit()
	}
	t.Fatalf("starting %s: %v", browser, err)
	return nil
}

// startPagesResolver runs a Hearth resolver on loopback in front of a test
// upstream, deciding with the fixture's engine and recording in its journal.
// startPagesResolver starts a resolver on the fixture's engine and
// journal; the channel tells of each lookup it journals.
func startPagesResolver(t *testing.T, f *pagesFixture) (string, <-chan journal.Event) {
	t.Helper()
	up := dnstest.NewServer(t)
	recorded := make(chan journal.Event, 64)
	opts := resolver.Options{Policy: f.engine, Journal: signalRecorder{f.journal, recorded}, Clock: f.clk, Logger: zerolog.Nop()}
	return resolvertest.Start(t, resolvertest.Config(up.Addr), opts).Addrs()[0].String(), recorded
}

// dnsAskFrom asks for name's A record from the local address from, as the
// device with that address would.
func dnsAskFrom(t *testing.T, server, from, name string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second,
		Dialer: &net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("%s from %s: %v", name, from, err)
	}
	return r
}

// checkScreenshot checks a screenshot is a phone-wide PNG with something
// drawn on it, and returns it made smaller: at most 256 colours, which UI
// text and flat colours survive well.
func checkScreenshot(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	b := img.Bounds()
	if b.Dx() != phoneWidth || b.Dy() < phoneHeight/2 {
		t.Errorf("%s: %dx%d, want %d wide", name, b.Dx(), b.Dy(), phoneWidth)
	}
	if n := screenColours(img); n < 8 {
		t.Errorf("%s: %d colours: the page did not render", name, n)
	}
	return smallPNG(t, img)
}

// screenColours counts the distinct colours in img, up to 1000.
func screenColours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 1000; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen)
}

// smallPNG encodes img with the 256 colours it uses most (each pixel to
// the nearest), at the best compression.
func smallPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}]++
		}
	}
	common := make([]color.RGBA, 0, len(counts))
	for c := range counts {
		common = append(common, c)
	}
	sort.Slice(common, func(i, j int) bool {
		if counts[common[i]] != counts[common[j]] {
			return counts[common[i]] > counts[common[j]]
		}
		pack := func(c color.RGBA) uint32 { return uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B) }
		return pack(common[i]) < pack(common[j])
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range common[:min(256, len(common))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	nearest := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			i, ok := nearest[c]
			if !ok {
				i = uint8(pal.Index(c))
				nearest[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
