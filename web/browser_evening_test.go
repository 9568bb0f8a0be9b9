//go:build browser

package web

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/configedit"
	"github.com/hearth-dns/hearth/policy/policytest"
)

// A parent's first evening on a phone, in real headless Chromium, without
// YAML or a terminal: the dashboard of a new install (no password, a
// hearth.yaml with no rules), a real resolver on loopback sharing its
// policy engine, and three devices on their own loopback addresses. After
// each step, DNS from the devices answers as the pages say. axe-core checks
// every page (browser_axe_test.go); HEARTH_SCREENSHOTS=1 writes each page's
// screenshot to docs/screenshots/evening-*.png.

// The first evening's hearth.yaml, as a new install has it.
const eveningYAML = `# Hearth at first start: the dashboard's setup fills this in.
timezone: Europe/London
identify:
  refresh: 1m
blocking:
  response: nxdomain
groups:
  default: {}
`

// The devices: a child's tablet and the parents' phone, named during the
// evening, and a friend's phone nobody names.
const (
	eveTablet = "127.0.0.21"
	eveParent = "127.0.0.22"
	eveFriend = "127.0.0.23"
)

// The phone the evening is walked on (CSS pixels).
const eveWidth, eveHeight = 390, 844

const evePassword = "our family password"

func TestFirstEveningInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	browser := findChromium(t)
	axe := axeSource(t)

	// Thursday 26 November 2026, 16:30 in London: after school.
	clk := clocktest.New(pagesAt("2026-11-26 16:30"))
	cfg, err := yamlPolicy([]byte(eveningYAML))
	if err != nil {
		t.Fatal(err)
	}
	f := newPagesFixture(t, pagesSetup{noPassword: true, clk: clk, engine: policytest.Engine(t, cfg, clk)})
	path := filepath.Join(f.dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(eveningYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(b []byte) error { _, err := yamlPolicy(b); return err }
	f.srv.opts.ConfigFile = &configedit.File{Path: path, Check: check}
	f.srv.opts.Backend = &fileBackend{path: path, engine: f.engine}
	if _, err := f.srv.PrepareSetup(); err != nil { // what Start does for a new install
		t.Fatal(err)
	}
	dnsAddr, _ := startPagesResolver(t, f)

	// answers checks what DNS answers each device now: want is NOERROR
	// with an address, or NXDOMAIN (the blocked answer configured).
	type ask struct {
		from, name string
		blocked    bool
	}
	answers := func(step string, asks ...ask) {
		t.Helper()
		for _, a := range asks {
			r := dnsAskFrom(t, dnsAddr, a.from, a.name)
			got := r.Rcode == dns.RcodeNameError && len(r.Answer) == 0
			open := r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0
			if a.blocked && !got || !a.blocked && !open {
				want := "open"
				if a.blocked {
					want = "blocked"
				}
				t.Errorf("%s at %s: %s from %s is %s %v, want %s", step, clk.Now().Format("15:04"), a.name, a.from,
					dns.RcodeToString[r.Rcode], r.Answer, want)
			}
		}
	}

	// Before anything: every device is open but for the ways round the
	// filter (first start), and has been seen.
	answers("a new install",
		ask{eveTablet, "www.tiktok.com", false}, ask{eveTablet, "www.youtube.com", false},
		ask{eveParent, "www.example.com", false}, ask{eveFriend, "www.roblox.com", false},
		ask{eveTablet, "dns.google", true}, ask{eveFriend, "use-application-dns.net", true})

	b := newEveningBrowser(t, f, browser, axe, clk)

	// 1. Setup with the code from the state directory (what `hearth
	// doctor` shows the owner): the 9-12 preset makes the kids group, and
	// devices nobody names get its rules.
	raw, err := os.ReadFile(filepath.Join(f.dir, SetupCodeFile))
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(string(raw))
	b.do("open the dashboard", chromedp.EmulateViewport(eveWidth, eveHeight, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(f.url+"/"), chromedp.WaitVisible(chromedp.ID("code")))
	if got := b.location(); got != "/setup" {
		t.Errorf("a new install's dashboard opens at %s, want /setup", got)
	}
	if got := b.text(".notsetup"); !strings.Contains(got, "Setup is not finished: only ways around the filter are blocked; finish setup to choose what to block") {
		t.Errorf("the setup page of a new install says %q, want that setup is not finished", got)
	}
	b.page("setup")
	b.do("fill in setup",
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.SendKeys(chromedp.ID("password"), evePassword),
		chromedp.SendKeys(chromedp.ID("password2"), evePassword),
		chromedp.SetValue(chromedp.ID("timezone"), "Europe/London"),
		chromedp.SetValue(chromedp.ID("country"), "gb"),
		chromedp.Click(chromedp.ID("preset-9-12")),
		chromedp.SetValue(chromedp.ID("new_devices"), "kids"),
		chromedp.Click(chromedp.CSS(`#setup button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.location(); got != "/devices" {
		t.Errorf("after setup: %s, want /devices", got)
	}
	if n := b.count(".notsetup"); n != 0 {
		t.Error("after setup the page still says setup is not finished")
	}
	if _, err := os.Stat(filepath.Join(f.dir, SetupCodeFile)); !os.IsNotExist(err) {
		t.Errorf("the setup code is still there after setup (%v)", err)
	}
	y, _ := os.ReadFile(path)
	for _, want := range []string{"# Hearth at first start", "kids:", "group: kids"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("hearth.yaml after setup lacks %q:\n%s", want, y)
		}
	}
	// Every device is in kids now: social media always blocked, gaming
	// allowed 16:00-19:00 on weekdays.
	answers("after setup",
		ask{eveTablet, "www.tiktok.com", true}, ask{eveParent, "www.tiktok.com", true},
		ask{eveFriend, "www.roblox.com", false}, ask{eveTablet, "www.youtube.com", false})

	// 2. A rule with windows on the group editor: YouTube only 17:00-19:00
	// on weekdays.
	b.visit("/rules", "main h1")
	b.page("rules")
	b.visit("/rules/group?name=kids", `button[value="addrule"]`)
	b.page("group")
	n := b.count(`fieldset.rule`)
	b.do("add a rule", chromedp.Click(chromedp.CSS(`button[value="addrule"]`)), chromedp.WaitVisible(chromedp.ID(ruleID(n)+"-mode")))
	r := ruleID(n)
	b.do("fill the rule in",
		chromedp.SetValue(chromedp.ID(r+"-add"), "youtube"),
		chromedp.SetValue(chromedp.ID(r+"-mode"), "outside"))
	for _, day := range []string{"mon", "tue", "wed", "thu", "fri"} {
		b.do("tick "+day, chromedp.Click(chromedp.CSS(`input[name="`+r+`.w0.day"][value="`+day+`"]`)))
	}
	b.do("the times",
		chromedp.SetValue(chromedp.CSS(`input[name="`+r+`.w0.from"]`), "17:00"),
		chromedp.SetValue(chromedp.CSS(`input[name="`+r+`.w0.to"]`), "19:00"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.CSS(".preview")))
	if got := b.text(".preview"); !strings.Contains(got, "YouTube") {
		t.Errorf("the preview does not mention YouTube:\n%s", got)
	}
	b.submit("save", `button[value="save"]`)
	if got := b.text(".flash"); strings.Contains(strings.ToLower(got), "not") {
		t.Errorf("saving the group: %q", got)
	}
	answers("YouTube only 17:00-19:00",
		ask{eveTablet, "www.youtube.com", true}, ask{eveFriend, "www.roblox.com", false})

	// 2b. Mistakes in the group editor are shown next to the field they
	// concern, and nothing is written: a category's name mistyped in the
	// website box ("gamign") and times no clock has (25:00-26:00). A phone
	// browser without a time picker sends the times as typed; the time
	// inputs are made plain text here to send them the same way.
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b.visit("/rules/group?name=kids", `button[value="addrule"]`)
	n = b.count(`fieldset.rule`)
	b.do("add another rule", chromedp.Click(chromedp.CSS(`button[value="addrule"]`)), chromedp.WaitVisible(chromedp.ID(ruleID(n)+"-mode")))
	r = ruleID(n)
	b.do("a mistyped category and impossible times",
		chromedp.SendKeys(chromedp.ID(r+"-domain"), "gamign"),
		chromedp.SetValue(chromedp.ID(r+"-mode"), "during"),
		chromedp.Click(chromedp.CSS(`input[name="`+r+`.w0.day"][value="mon"]`)),
		chromedp.SetAttributeValue(chromedp.ID(r+"-w0-from"), "type", "text"),
		chromedp.SetAttributeValue(chromedp.ID(r+"-w0-to"), "type", "text"),
		chromedp.SetValue(chromedp.ID(r+"-w0-from"), "25:00"),
		chromedp.SetValue(chromedp.ID(r+"-w0-to"), "26:00"),
		chromedp.Click(chromedp.CSS(`button[value="save"]`)),
		chromedp.WaitVisible(chromedp.ID(r+"-block-err")))
	for _, fe := range []struct{ field, err, attr, want string }{
		{r + "-block", r + "-block-err", r + "-block", `"gamign" is not a catalogue category or service (did you mean "gaming"?)`},
		{r + "-w0", r + "-w0-err", r + "-w0-from", `start "25:00": no such time of day`},
	} {
		next, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`document.querySelector("#%s #%s") !== null && document.getElementById(%q).getAttribute("aria-describedby") === %q`,
			fe.field, fe.err, fe.attr, fe.err)))
		if err != nil || !next {
			t.Errorf("the error %s is not inside %s, described by %s (%v)", fe.err, fe.field, fe.attr, err)
		}
		if got := b.text("#" + fe.err); !strings.Contains(got, fe.want) {
			t.Errorf("the error next to %s says %q, want %q", fe.field, got, fe.want)
		}
	}
	if got := b.count(".field-error"); got != 2 {
		t.Errorf("%d field errors on the page, want 2 (the website box and the times)", got)
	}
	b.page("group-errors")
	if now, _ := os.ReadFile(path); !bytes.Equal(now, saved) {
		t.Errorf("a refused edit changed hearth.yaml:\n%s", now)
	}
	answers("after the refused edit",
		ask{eveTablet, "www.youtube.com", true}, ask{eveTablet, "www.roblox.com", false}, ask{eveFriend, "www.roblox.com", false})

	// 3. Name two devices on the Devices page: the tablet in kids, the
	// parents' phone in default (adult, gambling, malware blocked).
	b.visit("/devices", "main h1")
	b.nameDevice("ip:"+eveTablet, "alex-tablet", "kids")
	b.nameDevice("ip:"+eveParent, "parents-phone", "default")
	b.page("devices")
	if got := b.text("main"); !strings.Contains(got, "alex-tablet") || !strings.Contains(got, "parents-phone") {
		t.Errorf("the Devices page lacks the names:\n%s", got)
	}
	answers("named",
		ask{eveTablet, "www.tiktok.com", true}, ask{eveParent, "www.tiktok.com", false},
		ask{eveParent, "www.youtube.com", false}, ask{eveFriend, "www.tiktok.com", true})

	// 4. Pause the kids group (every device in it, named or not) from the
	// Now page's card for the devices nobody named.
	b.visit("/now", "main h1")
	b.page("now-before")
	b.submit("pause the kids", `button.pause[data-device="kids"][data-minutes="30"]`)
	if got := b.text(".flash"); !strings.Contains(got, "until 17:00") {
		t.Errorf("flash after pausing kids: %q", got)
	}
	if got := b.text("main"); !strings.Contains(got, "Paused until 17:00") {
		t.Errorf("the Now page does not say the pause:\n%s", got)
	}
	answers("kids paused",
		ask{eveTablet, "www.example.com", true}, ask{eveFriend, "www.example.com", true},
		ask{eveParent, "www.example.com", false})
	clk.Advance(31 * time.Minute) // 17:01: the pause is over, YouTube's window open
	answers("the pause over",
		ask{eveTablet, "www.example.com", false}, ask{eveTablet, "www.youtube.com", false})

	// 5. Bonus time before the cut-off: at 18:55, 30 more minutes of
	// gaming for the tablet, which count from 19:00.
	clk.Set(pagesAt("2026-11-26 18:55"))
	b.visit("/now", "main h1")
	bonus := `button.bonus[data-device="alex-tablet"][data-what="gaming"]`
	b.submit("gaming bonus", bonus)
	if got := b.text(".flash"); !strings.Contains(got, "until 19:30") {
		t.Errorf("flash after the bonus: %q", got)
	}
	clk.Set(pagesAt("2026-11-26 19:10"))
	answers("after the cut-off, with bonus time for the tablet",
		ask{eveTablet, "www.roblox.com", false}, ask{eveFriend, "www.roblox.com", true})
	b.visit("/now", "main h1")
	if got := b.text("main"); !strings.Contains(got, "allowed until 19:30") {
		t.Errorf("the Now page does not show the bonus:\n%s", got)
	}

	// 6. Bedtime (20:30 on school nights) 30 minutes later for the tablet.
	clk.Set(pagesAt("2026-11-26 20:15"))
	b.visit("/now", "main h1")
	b.submit("later bedtime", `button.later[data-device="alex-tablet"]`)
	if got := b.text(".flash"); !strings.Contains(got, "21:00") {
		t.Errorf("flash after the later bedtime: %q", got)
	}
	b.page("now")
	clk.Set(pagesAt("2026-11-26 20:40"))
	answers("bedtime, later for the tablet",
		ask{eveTablet, "www.example.com", false}, ask{eveFriend, "www.example.com", true},
		ask{eveParent, "www.example.com", false})
	clk.Set(pagesAt("2026-11-26 21:05"))
	answers("the tablet's bedtime", ask{eveTablet, "www.example.com", true})

	// 7. Alerts for the kids' group: ways round the filter not told of.
	b.visit("/alerts?for=kids", "#for-h")
	b.page("alerts")
	b.do("bypass off for kids", chromedp.SetValue(chromedp.ID("for-bypass"), "off"))
	b.submit("save the kids' alerts", `form[action="/alerts/for"] button[type="submit"]`)
	if got := b.text(".flash"); !strings.Contains(got, "Alerts for kids are saved") {
		t.Errorf("flash after saving the kids' alerts: %q", got)
	}
	if got := b.text("#for-list"); !strings.Contains(got, "kids (group): ways round the filter off") {
		t.Errorf("the Alerts page does not list the kids' entry: %q", got)
	}
	if y, _ := os.ReadFile(path); !strings.Contains(string(y), "bypass: false") {
		t.Errorf("hearth.yaml lacks the kids' alerts:\n%s", y)
	}

	// The other pages, each checked: the report, the log, and the login
	// page after logging out.
	b.visit("/report", ".report h1")
	b.page("report")
	b.visit("/log", "main h1")
	b.page("log")
	b.do("log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	b.page("login")
	b.axeCanFail()
	b.finish()
}

func ruleID(i int) string { return "r" + strconv.Itoa(i) }

// eveningShot checks a screenshot is phone-wide with something drawn on
// it, and returns it made smaller (256 colours, as checkScreenshot does).
func eveningShot(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != eveWidth || b.Dy() < eveHeight/2 {
		t.Errorf("%s: %dx%d, want %d wide", name, b.Dx(), b.Dy(), eveWidth)
	}
	if n := screenColours(img); n < 8 {
		t.Errorf("%s: %d colours: the page did not render", name, n)
	}
	return smallPNG(t, img)
}
