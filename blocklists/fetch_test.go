package blocklists

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// listServer serves one list on loopback; tests change what it answers.
type listServer struct {
	*httptest.Server

	mu           sync.Mutex
	body         string
	contentType  string
	status       int    // 0: 200
	etag         string // sent, and honoured in If-None-Match
	lastModified string // sent, and honoured in If-Modified-Since
	requests     []*http.Request
}

func newListServer(t *testing.T, body string) *listServer {
	t.Helper()
	s := &listServer{body: body, contentType: "text/plain; charset=utf-8"}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *listServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	if s.etag != "" {
		w.Header().Set("ETag", s.etag)
		if r.Header.Get("If-None-Match") == s.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if s.lastModified != "" {
		w.Header().Set("Last-Modified", s.lastModified)
		if s.etag == "" && r.Header.Get("If-Modified-Since") == s.lastModified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", s.contentType)
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	_, _ = w.Write([]byte(s.body))
}

func (s *listServer) set(fn func(s *listServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func (s *listServer) lastRequest() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// logBuffer collects log output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testLists returns Lists for sources with a fresh cache directory (unless
// dir is set), a fake clock and a captured log.
func testLists(t *testing.T, dir string, sources ...SourceConfig) (*Lists, *clocktest.Fake, *logBuffer) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	clk := clocktest.New(t0)
	logs := &logBuffer{}
	l, err := New(Config{Refresh: time.Hour, Sources: sources}, Options{
		Logger: zerolog.New(logs), Clock: clk, Dir: dir, UserAgent: "hearth/test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return l, clk, logs
}

func mustCompile(t *testing.T, l *Lists) *Compiled {
	t.Helper()
	c, err := l.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustRefresh(t *testing.T, l *Lists, wantChanged bool) {
	t.Helper()
	changed, err := l.Refresh(context.Background())
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if changed != wantChanged {
		t.Fatalf("Refresh changed = %v, want %v", changed, wantChanged)
	}
}

func blocks(c *Compiled, name string) bool { return c.Matcher.Match(name).Blocked() }

func statusOf(t *testing.T, l *Lists, name string) SourceStatus {
	t.Helper()
	for _, s := range l.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for %q", name)
	return SourceStatus{}
}

func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, etag, lastModified string
		header, want             string
	}{
		{"etag", `"v1"`, "", "If-None-Match", `"v1"`},
		{"last-modified", "", "Sun, 01 Mar 2026 10:00:00 GMT", "If-Modified-Since", "Sun, 01 Mar 2026 10:00:00 GMT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newListServer(t, "ads.example\n||track.example^\n")
			srv.set(func(s *listServer) { s.etag, s.lastModified = tc.etag, tc.lastModified })
			l, clk, _ := testLists(t, "", SourceConfig{Name: "ads", Category: "ads", URL: srv.URL})

			mustRefresh(t, l, true)
			if r := srv.lastRequest(); r.Header.Get(tc.header) != "" {
				t.Errorf("first request sent %s %q", tc.header, r.Header.Get(tc.header))
			}
			if ua := srv.lastRequest().UserAgent(); ua != "hearth/test" {
				t.Errorf("User-Agent %q", ua)
			}
			first := statusOf(t, l, "ads")
			if first.LastFetch != FetchUpdated || first.Entries != 2 || !first.LastUpdate.Equal(t0) {
				t.Errorf("after download: %+v", first)
			}

			clk.Advance(2 * time.Hour)
			mustRefresh(t, l, false)
			if got := srv.lastRequest().Header.Get(tc.header); got != tc.want {
				t.Errorf("second request: %s = %q, want %q", tc.header, got, tc.want)
			}
			st := statusOf(t, l, "ads")
			if st.LastFetch != FetchNotModified || !st.LastUpdate.Equal(t0) || !st.LastCheck.Equal(t0.Add(2*time.Hour)) {
				t.Errorf("after 304: fetch %v, update %v, check %v", st.LastFetch, st.LastUpdate, st.LastCheck)
			}
			if st.Age != 2*time.Hour {
				t.Errorf("age %v, want 2h", st.Age)
			}
			if c := mustCompile(t, l); !blocks(c, "ads.example") || !blocks(c, "x.track.example") {
				t.Errorf("the kept copy does not block its entries")
			}
		})
	}
}

func TestSameBytesWithoutConditionalSupport(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "ads.example\n")
	l, _, _ := testLists(t, "", SourceConfig{Name: "ads", Category: "ads", URL: srv.URL})
	mustRefresh(t, l, true)
	mustRefresh(t, l, false)
	if st := statusOf(t, l, "ads"); st.LastFetch != FetchNotModified {
		t.Errorf("same bytes again: %v, want not modified", st.LastFetch)
	}
	srv.set(func(s *listServer) { s.body = "ads.example\nmore.example\n" })
	mustRefresh(t, l, true)
}

func TestCacheSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := newListServer(t, "0.0.0.0 ads.example\n")
	src := SourceConfig{Name: "ads", Category: "ads", URL: srv.URL}
	l, _, _ := testLists(t, dir, src)
	mustRefresh(t, l, true)
	srv.Close()

	// A new process, no network: the copy is compiled, its age known.
	l2, clk, _ := testLists(t, dir, src)
	clk.Advance(30 * time.Minute)
	c := mustCompile(t, l2)
	if !blocks(c, "ads.example") {
		t.Errorf("the cached copy was not compiled after a restart")
	}
	st := statusOf(t, l2, "ads")
	if !st.LastUpdate.Equal(t0) || st.Age != 30*time.Minute || st.Entries != 1 || st.LastError != "" {
		t.Errorf("status after restart: %+v", st)
	}

	// A source whose URL changed does not use the other URL's copy.
	l3, _, _ := testLists(t, dir, SourceConfig{Name: "ads", Category: "ads", URL: srv.URL + "/other"})
	if blocks(mustCompile(t, l3), "ads.example") {
		t.Errorf("a copy of another URL was used")
	}
	if st := statusOf(t, l3, "ads"); !strings.Contains(st.LastError, "no copy") {
		t.Errorf("LastError %q, want no copy", st.LastError)
	}
}

func TestUnreachableKeepsCopy(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "ads.example\n")
	l, _, logs := testLists(t, "", SourceConfig{Name: "ads", Category: "ads", URL: srv.URL})
	mustRefresh(t, l, true)
	srv.Close()

	changed, err := l.Refresh(context.Background())
	if changed || err == nil || !strings.Contains(err.Error(), "ads: unreachable") {
		t.Errorf("Refresh = %v, %v; want unchanged and an unreachable error", changed, err)
	}
	if !blocks(mustCompile(t, l), "ads.example") {
		t.Errorf("the last good copy was dropped")
	}
	st := statusOf(t, l, "ads")
	if st.LastFetch != FetchFailed || !strings.Contains(st.LastError, "unreachable") {
		t.Errorf("status: %v %q", st.LastFetch, st.LastError)
	}
	if out := logs.String(); !strings.Contains(out, `"level":"warn"`) || !strings.Contains(out, "keeping the copy from") {
		t.Errorf("no warning logged:\n%s", out)
	}
}

func TestRejectedDownloads(t *testing.T) {
	t.Parallel()
	good := "a.example\nb.example\nc.example\nd.example\n"
	tests := []struct {
		name        string
		change      func(s *listServer)
		allowShrink bool
		reason      string // "" means accepted
	}{
		{"http error", func(s *listServer) { s.status = http.StatusNotFound }, false, "HTTP error: 404"},
		{"empty", func(s *listServer) { s.body = "" }, false, "empty"},
		{"only comments", func(s *listServer) { s.body = "# nothing here\n\n! nor here\n" }, false, "empty"},
		{"html content type", func(s *listServer) { s.contentType = "text/html; charset=utf-8" }, false, "HTML"},
		{"html body", func(s *listServer) { s.body = "\n  <!DOCTYPE html>\n<html><body>login</body></html>" }, false, "HTML"},
		{"html tag", func(s *listServer) { s.body = "<HTML><body>portal</body></HTML>" }, false, "HTML"},
		{"too large", func(s *listServer) { s.body = strings.Repeat("x.example\n", 200) }, false, "larger than"},
		{"shrunk", func(s *listServer) { s.body = "a.example\n" }, false, "shrank from 4 to 1 entries"},
		{"shrunk, allowed", func(s *listServer) { s.body = "a.example\n" }, true, ""},
		{"half is fine", func(s *listServer) { s.body = "a.example\nb.example\n" }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newListServer(t, good)
			l, _, logs := testLists(t, "", SourceConfig{Name: "l", Category: "ads", URL: srv.URL, AllowShrink: tt.allowShrink})
			l.maxSize = 1000
			mustRefresh(t, l, true)
			srv.set(tt.change)
			changed, err := l.Refresh(context.Background())
			c := mustCompile(t, l)
			if tt.reason == "" {
				if err != nil || !changed {
					t.Fatalf("Refresh = %v, %v; want accepted", changed, err)
				}
				if blocks(c, "c.example") {
					t.Errorf("the old copy is still compiled")
				}
				return
			}
			if changed || err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Refresh = %v, %v; want rejected for %q", changed, err, tt.reason)
			}
			if !blocks(c, "c.example") {
				t.Errorf("the last good copy was dropped")
			}
			if !strings.Contains(logs.String(), tt.reason) {
				t.Errorf("the reason is not logged:\n%s", logs)
			}
			if st := statusOf(t, l, "l"); st.Entries != 4 || !strings.Contains(st.LastError, tt.reason) {
				t.Errorf("status: %d entries, error %q", st.Entries, st.LastError)
			}
		})
	}
}

func TestRejectedFirstDownloadStoresNothing(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, "<!doctype html><p>hi")
	dir := t.TempDir()
	l, _, _ := testLists(t, dir, SourceConfig{Name: "l", Category: "ads", URL: srv.URL})
	if _, err := l.Refresh(context.Background()); err == nil {
		t.Fatal("an HTML page was accepted")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}
