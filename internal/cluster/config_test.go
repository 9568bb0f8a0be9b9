//go:build redis

package cluster

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
)

// memFile is a node's hearth.yaml for these tests: Take refuses a text
// with "BAD" in it (as the checker refuses a list path missing here) and
// keeps the previous text, as configedit keeps hearth.yaml.1. The real
// file, checker and reload are tested in internal/configedit and by two
// `hearth serve` processes (cmd/hearth, tag redis).
type memFile struct {
	mu    sync.Mutex
	text  []byte
	kept  [][]byte // previous texts, newest first
	takes int
}

func (f *memFile) Read() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.text), nil
}

func (f *memFile) Take(text []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bytes.Contains(text, []byte("BAD")) {
		return errors.Join(errors.New("hearth.yaml:3: lists.files: /only/on/a: no such file"))
	}
	f.kept = append([][]byte{f.text}, f.kept...)
	f.text, f.takes = bytes.Clone(text), f.takes+1
	return nil
}

// edit changes the file by hand (or from the dashboard).
func (f *memFile) edit(text string) {
	f.mu.Lock()
	f.text = []byte(text)
	f.mu.Unlock()
}

func (f *memFile) get() (string, int, [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.text), f.takes, f.kept
}

func startConfigNode(t *testing.T, name, url, dir string, f *memFile) *Node {
	t.Helper()
	n, err := Start(Options{URL: url, Node: name, Dir: dir, Config: f, Log: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// waitConfig waits, at most limit, until ok holds for n's configuration
// status and its file's text.
func waitConfig(t *testing.T, limit time.Duration, what string, n *Node, f *memFile, ok func(ConfigStatus, string) bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st := n.Status().Config
		text, _, _ := f.get()
		if ok(*st, text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %s has %q, %+v", what, limit, n.opts.Node, text, *st)
		}
		time.Sleep(10 * time.Millisecond) // polling another goroutine's state
	}
}

func hasText(want string) func(ConfigStatus, string) bool {
	return func(st ConfigStatus, text string) bool { return text == want && st.State != "" }
}

// twoConfigNodes starts A and B on one Redis with the same file, and waits
// until both stand on A's first publication.
func twoConfigNodes(t *testing.T, url string) (a, b *Node, fa, fb *memFile, dirB string) {
	fa, fb = &memFile{text: []byte("v1\n")}, &memFile{text: []byte("v1\n")}
	a = startConfigNode(t, "pi-kitchen", url, t.TempDir(), fa)
	waitConfig(t, 3*time.Second, "A publishes its file to an empty Redis", a, fa, func(st ConfigStatus, _ string) bool {
		return st.State == ConfigPublished && st.Seq == 1
	})
	dirB = t.TempDir()
	b = startConfigNode(t, "pi-attic", url, dirB, fb)
	waitConfig(t, 3*time.Second, "B finds the same text", b, fb, func(st ConfigStatus, _ string) bool {
		return st.State == ConfigApplied && st.Seq == 1 && st.From == "pi-kitchen"
	})
	if _, takes, _ := fb.get(); takes != 0 {
		t.Errorf("B took the same text again (%d takes)", takes)
	}
	return a, b, fa, fb, dirB
}

// TestConfigSharedAndRefused: an edit on A reaches B's file; a text B
// refuses leaves B on its last good one, says why, and is not tried
// again; A's next good edit is taken.
func TestConfigSharedAndRefused(t *testing.T) {
	srv := redistest.Start(t)
	a, b, fa, fb, _ := twoConfigNodes(t, srv.URL(0))

	fa.edit("v2\n")
	a.ConfigChanged()
	waitConfig(t, 3*time.Second, "A's edit on B", b, fb, hasText("v2\n"))

	fa.edit("v3 BAD\n")
	a.ConfigChanged()
	waitConfig(t, 3*time.Second, "B refuses", b, fb, func(st ConfigStatus, text string) bool { return st.Refused })
	st := *b.Status().Config
	if text, _, _ := fb.get(); text != "v2\n" || st.Seq != 3 || st.From != "pi-kitchen" || len(st.Problems) != 1 ||
		!strings.Contains(st.Problems[0], "/only/on/a") {
		t.Fatalf("after a refusal B has %q, %+v", text, st)
	}
	for range 3 { // not tried again
		if err := b.config.reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, takes, _ := fb.get(); takes != 1 || !b.Status().Config.Refused {
		t.Errorf("the refused text was tried again: %d takes, %+v", takes, *b.Status().Config)
	}

	fa.edit("v4\nnode: x\n")
	a.ConfigChanged()
	waitConfig(t, 3*time.Second, "A's next good edit on B", b, fb, hasText("v4\nnode: x\n"))
	st = *b.Status().Config
	if st.Refused || st.State != ConfigApplied || st.Seq != 4 {
		t.Errorf("B after a good edit: %+v", st)
	}
}

// TestConfigOfflineEditPublished: a node's file edited while it was
// stopped, Redis's unchanged, is published at its start and reaches the
// others.
func TestConfigOfflineEditPublished(t *testing.T) {
	srv := redistest.Start(t)
	a, b, fa, fb, dirB := twoConfigNodes(t, srv.URL(0))
	b.Close()
	fb.edit("v1 edited on B while it was stopped\n")
	b = startConfigNode(t, "pi-attic", srv.URL(0), dirB, fb)
	waitConfig(t, 3*time.Second, "B's offline edit on A", a, fa, hasText("v1 edited on B while it was stopped\n"))
	if st := *a.Status().Config; st.From != "pi-attic" || st.Seq != 2 {
		t.Errorf("A: %+v", st)
	}
	if st := *b.Status().Config; st.State != ConfigPublished {
		t.Errorf("B: %+v", st)
	}
}

// TestConfigBothChangedRedisWins: B's file edited while it was stopped,
// and A's edited and published meanwhile: A's wins on B, B's own is kept
// (hearth.yaml.1) and its status says so.
func TestConfigBothChangedRedisWins(t *testing.T) {
	srv := redistest.Start(t)
	a, b, fa, fb, dirB := twoConfigNodes(t, srv.URL(0))
	b.Close()
	fb.edit("b offline\n")
	fa.edit("a online\n")
	a.ConfigChanged()
	waitConfig(t, 3*time.Second, "A publishes", a, fa, func(st ConfigStatus, _ string) bool { return st.Seq == 2 })
	b = startConfigNode(t, "pi-attic", srv.URL(0), dirB, fb)
	waitConfig(t, 3*time.Second, "A's on B", b, fb, hasText("a online\n"))
	st := *b.Status().Config
	if _, _, kept := fb.get(); !st.KeptOwn || len(kept) == 0 || string(kept[0]) != "b offline\n" {
		t.Errorf("B's own is not kept: %+v, kept %q", st, kept)
	}
	if text, _, _ := fa.get(); text != "a online\n" {
		t.Errorf("A's file became %q", text)
	}
}

// TestConfigEditWhileRedisDown: an edit on A while Redis is stopped (and
// comes back empty) reaches B when Redis is back, whichever node gets there
// first.
func TestConfigEditWhileRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	a, b, fa, fb, _ := twoConfigNodes(t, srv.URL(0))
	srv.Stop()
	fa.edit("edited while Redis was down\n")
	a.ConfigChanged()
	waitConfig(t, 3*time.Second, "A sees Redis down", a, fa, func(st ConfigStatus, _ string) bool { return st.LastError != "" })
	srv.Restart()
	waitConfig(t, 15*time.Second, "A's edit on B", b, fb, hasText("edited while Redis was down\n"))
	if text, _, _ := fa.get(); text != "edited while Redis was down\n" {
		t.Errorf("A's edit was lost: %q", text)
	}
}
