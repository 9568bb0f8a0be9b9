//go:build browser

package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTMLRendersInChromium renders the golden HTML report (testdata/week.html)
// in headless Chromium at a phone's width and checks the screenshot: a PNG of
// the right size with real content on it. With -update it also becomes the
// README's screenshot, docs/report.png. Chromium is Debian's package,
// installed by scripts/install-chromium.sh when missing (as root).
func TestHTMLRendersInChromium(t *testing.T) {
	page, err := filepath.Abs("testdata/week.html")
	if err != nil {
		t.Fatal(err)
	}
	data := chromiumShot(t, page, 412, 2400)
	if *update {
		if err := os.WriteFile("../docs/report.png", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// chromiumShot renders the file page in headless Chromium at width x
// height (Debian's package, installed by scripts/install-chromium.sh when
// missing, as root) and returns the screenshot, checked: a PNG of that
// size with real content on it.
func chromiumShot(t *testing.T, page string, width, height int) []byte {
	t.Helper()
	out, err := exec.Command("../scripts/install-chromium.sh").Output()
	if err != nil {
		t.Fatalf("no Chromium (%v): run scripts/install-chromium.sh, or sudo apt-get install chromium", err)
	}
	browser := strings.TrimSpace(string(out))
	shot := filepath.Join(t.TempDir(), "shot.png")
	// Chromium started beside another one now and then dies at start on
	// this kind of machine: one more try.
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
			"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(),
			fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+shot, "file://"+page)
		msg, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			break
		}
		if try == 2 {
			t.Fatalf("chromium: %v\n%s", err, msg)
		}
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
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
	return data
}

// colours counts the distinct colours in img, up to 1000.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 1000; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}
