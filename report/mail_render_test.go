//go:build browser

package report

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDigestMailInChromium renders the weekly digest's mail (MailHTML of
// the golden week) in headless Chromium at a phone's width and checks the
// screenshot: a PNG of the right size with real content. With
// HEARTH_SCREENSHOTS=1 it becomes docs/screenshots/digest.png. Run with
// go test -tags browser -run TestDigestMailInChromium ./report/.
func TestDigestMailInChromium(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("../scripts/install-chromium.sh").Output()
	if err != nil {
		t.Fatalf("no Chromium (%v): run scripts/install-chromium.sh, or sudo apt-get install chromium", err)
	}
	browser := strings.TrimSpace(string(out))
	dir := t.TempDir()
	page := filepath.Join(dir, "digest.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := weekReport(t).MailHTML(f, "http://hearth.lan:8080/report"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	shot := filepath.Join(dir, "digest.png")
	const width, height = 412, 3200
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(),
		"--window-size=412,3200", "--screenshot="+shot, "file://"+page)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), width, height)
	}
	if n := colours(img); n < 8 {
		t.Errorf("screenshot has %d colours: the page did not render", n)
	}
	if len(data) < 20_000 {
		t.Errorf("screenshot is only %d bytes", len(data))
	}
	if os.Getenv("HEARTH_SCREENSHOTS") == "1" {
		if err := os.WriteFile("../docs/screenshots/digest.png", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
