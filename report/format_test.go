package report

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// TestTextFits checks the text report fits a phone: lines of at most 40
// columns (a single word longer than that may stand alone), ASCII only.
func TestTextFits(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := weekReport(t).Text(&b); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(b.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > textWidth && len(strings.Fields(line)) > 1 {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
		for _, c := range line {
			if c > 0x7e || (c < 0x20 && c != '\t') {
				t.Errorf("line %d has %q: %q", i+1, c, line)
				break
			}
		}
	}
	for _, want := range []string{
		"64 blocked tries this week: +17 (+36%)",
		"- at bedtime: 23",
		"- Chat and messaging: 25 (+15, +150%)",
		"- 21:00-22:00: 20",
		"New this week: Wizz.",
		"3 lookups could not be recorded",
		"\nunknown device 192.168.1.7\n",
		"- Emergency: 999",
		"- Police, not an emergency: 101",
		"- Crimestoppers: 0800 555 111",
		"- Childline: 0800 1111",
		"childline.org.uk",
		"ceop.police.uk",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text has no %q", want)
		}
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := &textWriter{w: &b}
	w.wrap("- ", "  ", "Random video chat (Omegle and its successors): 3")
	w.wrap("", "", "a-very-long-word-that-is-longer-than-forty-columns-on-its-own and more")
	want := "- Random video chat (Omegle and its\n  successors): 3\n" +
		"a-very-long-word-that-is-longer-than-forty-columns-on-its-own\nand more\n"
	if b.String() != want {
		t.Errorf("wrap:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	r := weekReport(t)
	var b bytes.Buffer
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var back Report
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	for i := range r.Devices {
		r.Devices[i].starters = nil // not in the JSON: merged into Starters
	}
	if !reflect.DeepEqual(back.Devices, r.Devices) || !reflect.DeepEqual(back.Starters, r.Starters) || !reflect.DeepEqual(back.Help, r.Help) {
		t.Errorf("JSON does not carry the report back:\n%s", out)
	}
	if !back.Since.Equal(r.Since) || !back.PreviousSince.Equal(r.PreviousSince) || back.Dropped != 3 || !back.History || back.Zone != "Europe/London" {
		t.Errorf("JSON header = %v %v %d %v %q", back.Since, back.PreviousSince, back.Dropped, back.History, back.Zone)
	}
	if !strings.Contains(out, `"since": "2026-03-23T00:00:00Z"`) || !strings.Contains(out, `"until": "2026-03-30T00:00:00+01:00"`) {
		t.Errorf("JSON times are not on the household's clock")
	}
}

// TestHTML checks the HTML report is self-contained (no scripts, no external
// resources: the only web addresses are links to help sites), well formed,
// accessible (one h1, no skipped heading levels, charts with names and
// descriptions) and has one SVG per chart: two per device with blocked
// tries.
func TestHTML(t *testing.T) {
	t.Parallel()
	r := weekReport(t)
	var b bytes.Buffer
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "http://") {
		t.Error("HTML has an http:// address")
	}
	checkBalanced(t, out)

	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	helpSites := map[string]bool{}
	for _, hc := range r.Help {
		for _, e := range hc.Entries {
			if e.Web != "" {
				helpSites["https://"+e.Web] = true
			}
		}
	}
	// The devices' games link their own parental controls (and nothing
	// else of theirs).
	settingsSites := map[string]bool{}
	for _, d := range r.Devices {
		for _, l := range d.Settings {
			settingsSites[l.URL] = true
		}
	}
	if len(settingsSites) == 0 {
		t.Errorf("no device links its games' own settings")
	}
	var (
		svgs, h1s, lastLevel int
		titled               int
		links                = map[string]bool{}
		ids                  = map[string]*html.Node{}
	)
	var walk func(n *html.Node)
	var elems []*html.Node
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			elems = append(elems, n)
			if id := attr(n, "id"); id != "" {
				if ids[id] != nil {
					t.Errorf("id %q used twice", id)
				}
				ids[id] = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range elems {
		switch n.DataAtom {
		case atom.Script, atom.Link, atom.Img, atom.Iframe, atom.Object, atom.Embed, atom.Base, atom.Video, atom.Audio:
			t.Errorf("HTML has a <%s>", n.Data)
		case atom.Html:
			if attr(n, "lang") == "" {
				t.Error("<html> has no lang")
			}
		case atom.Style:
			if css := nodeText(n); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
				t.Error("the style sheet loads something")
			}
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			level := int(n.Data[1] - '0')
			if level == 1 {
				h1s++
			}
			if level > lastLevel+1 {
				t.Errorf("heading <%s> %q skips a level after h%d", n.Data, nodeText(n), lastLevel)
			}
			lastLevel = level
		}
		if n.Data == "svg" {
			svgs++
			if attr(n, "role") != "img" {
				t.Errorf("svg without role=img")
			}
			label := strings.Fields(attr(n, "aria-labelledby"))
			if len(label) != 2 || ids[label[0]] == nil || ids[label[0]].Data != "title" || ids[label[1]] == nil || ids[label[1]].Data != "desc" ||
				nodeText(ids[label[0]]) == "" || nodeText(ids[label[1]]) == "" {
				t.Errorf("svg %q is not labelled by its title and description", attr(n, "aria-labelledby"))
			} else {
				titled++
			}
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "xlink:href" || a.Key == "action":
				t.Errorf("<%s %s=%q>: loads something", n.Data, a.Key, a.Val)
			case a.Key == "style" && strings.Contains(a.Val, "url("):
				t.Errorf("<%s style=%q>: loads something", n.Data, a.Val)
			case a.Key == "href" && n.DataAtom != atom.A:
				t.Errorf("<%s href=%q>: only links may have an address", n.Data, a.Val)
			case a.Key == "href" && strings.HasPrefix(a.Val, "tel:"):
			case a.Key == "href":
				if !helpSites[a.Val] && !settingsSites[a.Val] {
					t.Errorf("link to %q, which is not a help site or a game's own settings", a.Val)
				}
				links[a.Val] = true
			}
		}
	}
	if h1s != 1 {
		t.Errorf("%d h1 headings, want 1", h1s)
	}
	charts := 0
	for _, d := range r.Devices {
		if d.Blocked > 0 {
			charts += 2
		}
	}
	if charts != 6 || svgs != charts || titled != charts {
		t.Errorf("%d svg (%d labelled), want %d: two per device with blocked tries", svgs, titled, charts)
	}
	for site := range settingsSites {
		if !links[site] {
			t.Errorf("no link to %s", site)
		}
	}
	for site := range helpSites {
		if !links[site] {
			t.Errorf("no link to %s", site)
		}
	}
	for _, want := range []string{
		`<h2 id="d3">Tablet</h2>`,
		`<a href="tel:999">999</a>`,
		`<a href="tel:08001111">0800 1111</a>`,
		`<a href="https://ceop.police.uk">ceop.police.uk</a>`,
		"Sam&#39;s phone",
		"Things to talk about",
		`<td>Chat and messaging</td><td class="n">25</td><td class="n">+15 (+150%)</td>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML has no %s", want)
		}
	}
}

// checkBalanced checks that every element but the void ones is closed, in
// order.
func checkBalanced(t *testing.T, s string) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true, "wbr": true}
	z := html.NewTokenizer(strings.NewReader(s))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			if len(stack) > 0 {
				t.Errorf("unclosed elements at the end: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !void[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Errorf("</%s> closes %v", name, stack)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// TestEscaping gives a device a name with markup: it must come out as text.
func TestEscaping(t *testing.T) {
	t.Parallel()
	loc := london(t)
	src := &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, []seed{
		{day: 1, hm: "22:00", dev: `<img src="https://x.example/a.png">&`, reason: "bedtime", cat: "chat", svc: "discord", attempts: 2},
	})}
	r, err := Build(context.Background(), src, weekOptions(loc))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<img") || !strings.Contains(b.String(), "&lt;img src=") {
		t.Errorf("the device name is not escaped:\n%s", b.String())
	}
}

// TestEmpty writes a report of a quiet week with nothing before it.
func TestEmpty(t *testing.T) {
	t.Parallel()
	loc := london(t)
	r, err := Build(context.Background(), &fakeSource{}, weekOptions(loc))
	if err != nil {
		t.Fatal(err)
	}
	var txt, page, js bytes.Buffer
	if err := r.Text(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.HTML(&page); err != nil {
		t.Fatal(err)
	}
	if err := r.JSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{txt.String(), page.String()} {
		if !strings.Contains(out, "Nothing was blocked this week.") || !strings.Contains(out, "Childline") {
			t.Errorf("empty report:\n%s", out)
		}
	}
	if !strings.Contains(js.String(), `"devices": []`) || !strings.Contains(js.String(), `"starters": []`) {
		t.Errorf("empty JSON should have empty lists, not null:\n%s", js.String())
	}
	checkBalanced(t, page.String())
}
