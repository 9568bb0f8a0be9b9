package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestMailHTML: the mail rendering of the golden week has what the parent
// needs (each device, the starters, the help numbers, the link) and
// nothing mail clients drop or refuse: no <style>, no <script>, no <svg>,
// no class attributes; bars are table cells with a width.
func TestMailHTML(t *testing.T) {
	t.Parallel()
	r := weekReport(t)
	var b bytes.Buffer
	if err := r.MailHTML(&b, "http://hearth.lan:8080/report"); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, bad := range []string{"<style", "<script", "<svg", "class=", "<link", "<img"} {
		if strings.Contains(got, bad) {
			t.Errorf("mail HTML contains %q", bad)
		}
	}
	if !strings.Contains(got, `href="http://hearth.lan:8080/report"`) {
		t.Error("no link to the dashboard's report")
	}
	want := []string{"Things to talk about", "Where to get help in"}
	for _, d := range r.Devices {
		want = append(want, d.Name)
	}
	for _, s := range r.Starters {
		want = append(want, s.Title)
	}
	for _, h := range r.Help {
		for _, e := range h.Entries {
			if e.Phone != "" {
				want = append(want, e.Phone)
			}
		}
	}
	for _, w := range want {
		if !strings.Contains(got, escaped(w)) {
			t.Errorf("mail HTML lacks %q", w)
		}
	}
	if len(r.Starters) == 0 || len(r.Help) == 0 {
		t.Fatal("the week report has no starters or help: the test checks nothing")
	}
	if !regexp.MustCompile(`<td width="100%" style="background:#c2562b;`).MatchString(got) {
		t.Error("no full-width bar: the widest category should be 100%")
	}
	// Every element with visible text styled inline: each <p>, <h1>-<h3>
	// carries a style attribute.
	for _, m := range regexp.MustCompile(`<(p|h1|h2|h3)( [^>]*)?>`).FindAllStringSubmatch(got, -1) {
		if !strings.Contains(m[2], "style=") {
			t.Errorf("%s without an inline style", m[0])
		}
	}
}

// escaped escapes s as html/template writes text.
func escaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
