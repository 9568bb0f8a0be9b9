//go:build browser

package report

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDigestMailInChromium renders the weekly digest's mail (MailHTML of
// the golden week) in headless Chromium at a phone's width and checks the
// screenshot: a PNG of the right size with real content. With
// HEARTH_SCREENSHOTS=1 it becomes docs/screenshots/digest.png. Run with
// go test -tags browser -run TestDigestMailInChromium ./report/.
func TestDigestMailInChromium(t *testing.T) {
	page := filepath.Join(t.TempDir(), "digest.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := weekReport(t).MailHTML(f, "http://hearth.lan:8080/report"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := chromiumShot(t, page, 412, 3200)
	if os.Getenv("HEARTH_SCREENSHOTS") == "1" {
		if err := os.WriteFile("../docs/screenshots/digest.png", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
