package blocklists

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// Downloads. Each URL source has a cached copy in the directory (name.list)
// with its metadata beside it (name.json); both are replaced atomically
// (temp file, then rename), the list first, so a crash leaves the old copy or
// the new one, never half of one. A download is streamed to the temp file
// and parsed on the way through, so its entries are counted without holding
// it in memory; only a download that passes every check replaces the copy.

// MaxDownload bounds one download: the largest public lists are ~20 MiB.
const MaxDownload = 64 << 20

// meta is the sidecar of a cached copy.
type meta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Fetched      time.Time `json:"fetched"` // when these bytes were downloaded
	Checked      time.Time `json:"checked"` // when the server last confirmed them (200 or 304)
	Bytes        int64     `json:"bytes"`
	SHA256       string    `json:"sha256"`
	Entries      int       `json:"entries"`
	Exceptions   int       `json:"exceptions"`
}

func readMeta(path string) (*meta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// cacheBase is the file name, without extension, of a source's copy: its
// name made safe for a file name, plus a hash of the name so that
// "adult/x y" and "adult_x_y" stay apart.
func cacheBase(name string) string {
	safe := []byte(name)
	for i, c := range safe {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			safe[i] = '_'
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s-%08x", safe, h.Sum32())
}

func (l *Lists) copyPath(s *source) string {
	return filepath.Join(l.dir, cacheBase(s.name)+".list")
}

func (l *Lists) metaPath(s *source) string {
	return filepath.Join(l.dir, cacheBase(s.name)+".json")
}

// Refresh downloads every URL source now, one after another. A request
// carries If-None-Match and If-Modified-Since from the cached copy, and a
// 304 keeps it. A download replaces the copy only if it is a list: not
// unreachable, not an HTTP error, not empty, not an HTML page, not larger
// than MaxDownload, and with at least half the entries of the copy it
// replaces (unless allow_shrink). Anything else keeps the copy and is
// logged at warn with the reason. Refresh reports whether any copy changed;
// the error joins the failures (one per source), so the caller may tell the
// user; they are already logged.
func (l *Lists) Refresh(ctx context.Context) (changed bool, err error) {
	l.refreshMu.Lock()
	defer l.refreshMu.Unlock()
	var errs []error
	for _, s := range l.sources {
		if !s.isURL() {
			continue
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		c, err := l.fetch(ctx, s)
		changed = changed || c
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	return changed, errors.Join(errs...)
}

// reject is the error of a download that arrived but is not taken.
func reject(format string, args ...any) error { return fmt.Errorf(format, args...) }

// fetch downloads one source and records the outcome.
func (l *Lists) fetch(ctx context.Context, s *source) (changed bool, err error) {
	start := time.Now()
	l.mu.Lock()
	var old *meta
	if s.meta != nil {
		m := *s.meta
		old = &m
	}
	l.mu.Unlock()
	if old != nil {
		if _, err := os.Stat(l.copyPath(s)); err != nil {
			old = nil // the metadata outlived its copy
		}
	}

	m, outcome, err := l.download(ctx, s, old)
	log := l.log.With().Str("list", s.name).Str("url", s.url).Logger()
	l.mu.Lock()
	s.lastFetch = outcome
	if err != nil {
		s.fetchErr = err.Error()
	} else {
		s.fetchErr = ""
		s.meta = m
	}
	l.mu.Unlock()
	switch {
	case err != nil:
		keep := "no copy yet: its entries are missing until a download succeeds"
		if old != nil {
			keep = "keeping the copy from " + old.Fetched.UTC().Format(time.RFC3339)
		}
		log.Warn().Str("reason", err.Error()).Msg("list download failed; " + keep)
	case outcome == FetchNotModified:
		log.Info().Dur("duration", time.Since(start)).Int("entries", m.Entries).Msg("list not modified")
	default:
		log.Info().Int64("bytes", m.Bytes).Int("entries", m.Entries).Int("exceptions", m.Exceptions).
			Dur("duration", time.Since(start)).Msg("list downloaded")
	}
	return outcome == FetchUpdated, err
}

// download fetches s, and on success stores the copy and returns its
// metadata. old is the current copy's metadata, or nil.
func (l *Lists) download(ctx context.Context, s *source, old *meta) (*meta, FetchOutcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, FetchFailed, err
	}
	req.Header.Set("User-Agent", l.agent)
	if old != nil {
		if old.ETag != "" {
			req.Header.Set("If-None-Match", old.ETag)
		}
		if old.LastModified != "" {
			req.Header.Set("If-Modified-Since", old.LastModified)
		}
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, FetchFailed, fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	now := l.clock.Now()

	switch {
	case resp.StatusCode == http.StatusNotModified && old != nil:
		m := *old
		m.Checked = now
		if et := resp.Header.Get("ETag"); et != "" {
			m.ETag = et
		}
		if err := l.writeMeta(s, &m); err != nil {
			return nil, FetchFailed, err
		}
		return &m, FetchNotModified, nil
	case resp.StatusCode != http.StatusOK:
		return nil, FetchFailed, reject("HTTP error: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt == "text/html" {
			return nil, FetchFailed, reject("an HTML page, not a list (Content-Type %s)", ct)
		}
	}
	body := bufio.NewReaderSize(resp.Body, 64<<10)
	if looksLikeHTML(body) {
		return nil, FetchFailed, reject("an HTML page, not a list (it starts with <html or <!doctype)")
	}

	if err := os.MkdirAll(l.dir, 0o750); err != nil {
		return nil, FetchFailed, err
	}
	tmp, err := os.CreateTemp(l.dir, cacheBase(s.name)+".*.tmp")
	if err != nil {
		return nil, FetchFailed, err
	}
	stored := false
	defer func() {
		if !stored {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	// Count and hash what is written; parse what is read.
	limited := &io.LimitedReader{R: body, N: l.maxSize + 1}
	sum := sha256.New()
	w := bufio.NewWriterSize(tmp, 64<<10)
	cw := &countWriter{w: io.MultiWriter(w, sum)}
	tee := io.TeeReader(limited, cw)
	stats, err := Parse(tee, func(Entry) {})
	if err == nil {
		_, err = io.Copy(io.Discard, tee) // whatever Parse did not read
	}
	if err != nil {
		return nil, FetchFailed, fmt.Errorf("download cut short: %w", err)
	}
	if cw.n > l.maxSize {
		return nil, FetchFailed, reject("larger than %d bytes", l.maxSize)
	}
	if cw.n == 0 || stats.Entries+stats.Exceptions == 0 {
		return nil, FetchFailed, reject("empty: no entries in %d bytes", cw.n)
	}
	if old != nil && !s.allowShrink && stats.Entries*2 < old.Entries {
		return nil, FetchFailed, reject("shrank from %d to %d entries, probably broken; set allow_shrink: true to accept it",
			old.Entries, stats.Entries)
	}
	m := &meta{
		URL: s.url, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		Fetched: now, Checked: now, Bytes: cw.n, SHA256: hex.EncodeToString(sum.Sum(nil)),
		Entries: stats.Entries, Exceptions: stats.Exceptions,
	}
	if old != nil && old.SHA256 == m.SHA256 {
		// The same bytes (a server without conditional requests): keep the
		// copy and its download time.
		m.Fetched = old.Fetched
		if err := l.writeMeta(s, m); err != nil {
			return nil, FetchFailed, err
		}
		return m, FetchNotModified, nil
	}
	if err := w.Flush(); err != nil {
		return nil, FetchFailed, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, FetchFailed, err
	}
	if err := tmp.Close(); err != nil {
		return nil, FetchFailed, err
	}
	if err := os.Rename(tmp.Name(), l.copyPath(s)); err != nil {
		return nil, FetchFailed, err
	}
	stored = true
	if err := l.writeMeta(s, m); err != nil {
		return nil, FetchFailed, err
	}
	return m, FetchUpdated, nil
}

// looksLikeHTML reports whether r starts (after a BOM and white space)
// with <!doctype or <html: a captive portal or an error page served as 200.
func looksLikeHTML(r *bufio.Reader) bool {
	head, _ := r.Peek(512)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	lower := strings.ToLower(string(head[:min(len(head), 16)]))
	return strings.HasPrefix(lower, "<!doctype") || strings.HasPrefix(lower, "<html")
}

// writeMeta replaces s's metadata file atomically.
func (l *Lists) writeMeta(s *source, m *meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(l.metaPath(s), append(b, '\n'), 0o644)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
