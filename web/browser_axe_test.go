//go:build browser

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// The browser of TestFirstEveningInChromium: its steps, logging in again
// when a session has run out, axe-core on every page and the screenshots.

// axeFile is where scripts/install-axe.sh puts axe-core (npm), relative to
// this package.
const axeFile = "testdata/axe/node_modules/axe-core/axe.min.js"

// axeSource is axe-core's script; missing, the test fails naming the
// script that installs it.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run scripts/install-axe.sh (npm install axe-core into web/testdata/axe)", err)
	}
	return string(b)
}

type eveningBrowser struct {
	t     *testing.T
	f     *pagesFixture
	ctx   context.Context
	axe   string
	clk   *clocktest.Fake
	shots map[string][]byte
	order []string
}

// newEveningBrowser starts headless Chromium for the whole evening (at
// most five minutes).
func newEveningBrowser(t *testing.T, f *pagesFixture, browser, axe string, clk *clocktest.Fake) *eveningBrowser {
	t.Helper()
	ctx := startChromium(t, browser, eveWidth, eveHeight, 5*time.Minute)
	return &eveningBrowser{t: t, f: f, ctx: ctx, axe: axe, clk: clk, shots: map[string][]byte{}}
}

// do runs steps, failing with the page as it is when one fails.
func (b *eveningBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	step, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(step, steps...); err != nil {
		u, _ := chromedp.Run(b.ctx, chromedp.Location())
		page, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s at %s: %v\nat %s:\n%s", what, b.clk.Now().Format("15:04"), err, u, page)
	}
}

func (b *eveningBrowser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *eveningBrowser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *eveningBrowser) location() string {
	b.t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(u, b.f.url)
}

// visit opens path and waits for sel; sent to the login page (the session
// ran out as the evening went on), it logs in first, as the parent would.
func (b *eveningBrowser) visit(path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.f.url+path), chromedp.WaitReady(chromedp.CSS("body")))
	if strings.HasPrefix(b.location(), "/login") {
		b.do("log in again", chromedp.SendKeys(chromedp.ID("password"), evePassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("nav")))
		b.do("open "+path+" again", chromedp.Navigate(b.f.url+path))
	}
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// submit presses the button sel, which sends a form, and waits for the
// page it leads to, with its flash message.
func (b *eveningBrowser) submit(what, sel string) {
	b.t.Helper()
	b.do(what, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".flash").forEach(e => e.remove())`),
		chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(".flash")))
}

// nameDevice names the device with key on the Devices page and puts it in
// group, as a parent does: type the name, pick the group, press the button.
func (b *eveningBrowser) nameDevice(key, name, group string) {
	b.t.Helper()
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(function(){var k=document.querySelector('form[action="/devices/name"] input[name="key"][value=%q]');return k?k.form.querySelector('input[name="name"]').id:""})()`, key)))
	if err != nil || id == "" {
		page, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
		b.t.Fatalf("the Devices page has no form for %s (%v):\n%s", key, err, page)
	}
	form := strings.TrimSuffix(id, "-name")
	b.do("name "+key,
		chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), name),
		chromedp.SetValue(chromedp.ID(form+"-group"), group))
	b.submit("name "+key, `#`+form+`-name ~ button[type="submit"]`)
	if got := b.text(".flash"); !strings.Contains(got, name) {
		b.t.Errorf("naming %s %s: %q", key, name, got)
	}
}

// axeFinding is one of axe-core's violations, with the nodes it found.
type axeFinding struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target []any
		HTML   string
	}
}

// axeFindings runs axe-core on the page and returns what it found.
func (b *eveningBrowser) axeFindings(name string) (found []axeFinding, passes int) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](b.axe+"\n;true")); err != nil {
		b.t.Fatalf("%s: injecting axe-core: %v", name, err)
	}
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`axe.run(document).then(r => JSON.stringify({violations: r.violations, passes: r.passes.length}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: axe.run: %v", name, err)
	}
	var res struct {
		Violations []axeFinding
		Passes     int
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		b.t.Fatalf("%s: axe's answer: %v\n%s", name, err, raw)
	}
	return res.Violations, res.Passes
}

// axeCanFail shows the check can fail: an unlabelled field and an image
// without words added to the page are serious or critical findings.
func (b *eveningBrowser) axeCanFail() {
	b.t.Helper()
	b.do("spoil the page", chromedp.Evaluate[chromedp.Void](
		`document.querySelector("main").insertAdjacentHTML("beforeend", '<input type="text"><img src="/static/none.png">')`))
	found, _ := b.axeFindings("spoilt")
	bad := map[string]bool{}
	for _, v := range found {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad[v.ID] = true
		}
	}
	if !bad["label"] || !bad["image-alt"] {
		b.t.Errorf("axe-core missed an unlabelled field or an image without alt: %+v", found)
	}
}

// page checks the page in the browser with axe-core (no serious or critical
// finding) and takes its screenshot as name.
func (b *eveningBrowser) page(name string) {
	b.t.Helper()
	found, passes := b.axeFindings(name)
	if passes == 0 {
		b.t.Errorf("%s page: axe-core checked nothing", name)
	}
	b.t.Logf("%s page: axe-core: %d checks passed, %d kinds of problem (minor or moderate ones are not failures)", name, passes, len(found))
	for _, v := range found {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
		}
		b.t.Errorf("%s page: axe %s (%s): %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
	b.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", name, err)
	}
	if _, ok := b.shots[name]; !ok {
		b.order = append(b.order, name)
	}
	b.shots[name] = shot
}

// finish checks the screenshots and, when HEARTH_SCREENSHOTS=1, writes
// them to docs/screenshots/evening-NAME.png, made small (256 colours).
func (b *eveningBrowser) finish() {
	b.t.Helper()
	write := os.Getenv("HEARTH_SCREENSHOTS") == "1"
	for _, name := range b.order {
		data := eveningShot(b.t, name, b.shots[name])
		if !write {
			continue
		}
		path := filepath.Join("..", "docs", "screenshots", "evening-"+name+".png")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("wrote %s (%d bytes)", path, len(data))
	}
}
