package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestGameChatDocExample runs `hearth check-config` on the example of
// docs/game-chat.md ("gaming allowed 16:00-19:00, game chat never"), as it
// is written there.
func TestGameChatDocExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/game-chat.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/game-chat.md has no yaml example")
	}
	example := string(m[1])
	for _, want := range []string{"block: [gaming], outside:", "block: [game-chat]"} {
		if !strings.Contains(example, want) {
			t.Errorf("the example lacks %q:\n%s", want, example)
		}
	}
	a, stdout, stderr := testApp()
	path := writeFile(t, example)
	if code := execute(context.Background(), a, []string{"check-config", "--config", path}); code != 0 {
		t.Errorf("check-config on docs/game-chat.md's example: status %d: %s", code, stderr)
	}
	if want := "ok: " + path + "\n"; stdout.String() != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
}
