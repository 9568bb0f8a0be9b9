package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
)

// fakeServer records what run asks of the server.
type fakeServer struct {
	mu          sync.Mutex
	reloads     []*config.Config
	reloadErr   error
	shutdowns   int
	shutdownErr error
}

func (f *fakeServer) Reload(c *config.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reloadErr != nil {
		return f.reloadErr
	}
	f.reloads = append(f.reloads, c)
	return nil
}

func (f *fakeServer) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("shutdown without a deadline")
	}
	f.shutdowns++
	return f.shutdownErr
}

// logEvents parses JSON log lines.
func logEvents(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, ev)
	}
	return out
}

func messages(evs []map[string]any) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev["level"].(string)+" "+ev["message"].(string))
	}
	return out
}

func TestRunReloadAndStop(t *testing.T) {
	keepLogLevel(t)
	path := writeFile(t, "cache:\n  size: 10\nlog:\n  format: json\n")
	opts := config.LoadOptions{File: path, Environ: func() []string { return nil }}
	loaded := make(chan struct{}, 1)
	load := func() (*config.Config, config.Source, error) {
		defer func() { loaded <- struct{}{} }()
		return config.Load(opts)
	}
	cfg, _, err := config.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	var logOut bytes.Buffer
	logs := newLogging(&logOut, cfg.Log, false)
	srv := &fakeServer{}
	sigs := make(chan os.Signal)
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), sigs, srv, load, logs) }()

	rewrite := func(content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A broken file: the old configuration stays, the problems are logged.
	rewrite("cache:\n  size: lots\n  colour: blue\n")
	sigs <- syscall.SIGHUP
	<-loaded
	// A good one with a new level: reloaded and applied.
	rewrite("cache:\n  size: 20\nlog:\n  level: debug\n  format: json\n")
	sigs <- syscall.SIGHUP
	<-loaded
	sigs <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}

	if len(srv.reloads) != 1 || srv.reloads[0].Cache.Size != 20 {
		t.Errorf("reloads = %+v, want one with cache.size 20", srv.reloads)
	}
	if srv.shutdowns != 1 {
		t.Errorf("%d shutdowns, want 1", srv.shutdowns)
	}
	if zerolog.GlobalLevel() != zerolog.DebugLevel {
		t.Errorf("level = %v after reload, want debug", zerolog.GlobalLevel())
	}
	evs := logEvents(t, &logOut)
	want := []string{
		"error config reload failed; still running the previous configuration",
		"info config reloaded",
		"info shutting down",
		"info hearth stopped",
	}
	if got := messages(evs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	problems, _ := evs[0]["problems"].([]any)
	if len(problems) != 2 || !strings.Contains(problems[0].(string), ":2: cache.size") && !strings.Contains(problems[1].(string), ":2: cache.size") {
		t.Errorf("logged problems = %v, want the unknown key and cache.size", problems)
	}
	if evs[2]["signal"] != "terminated" {
		t.Errorf("shutdown event %v lacks the signal", evs[2])
	}
}

func TestRunReloadRefused(t *testing.T) {
	keepLogLevel(t)
	load := func() (*config.Config, config.Source, error) {
		return config.Load(config.LoadOptions{Search: []string{}, Environ: func() []string { return []string{"HEARTH_LOG_LEVEL=error"} }})
	}
	var logOut bytes.Buffer
	logs := newLogging(&logOut, config.LogConfig{Level: "info", Format: "json"}, false)
	srv := &fakeServer{reloadErr: errors.New("listen cannot change without a restart")}
	sigs := make(chan os.Signal, 2)
	sigs <- syscall.SIGHUP
	sigs <- syscall.SIGINT
	if err := run(context.Background(), sigs, srv, load, logs); err != nil {
		t.Fatalf("run = %v", err)
	}
	if zerolog.GlobalLevel() != zerolog.InfoLevel {
		t.Errorf("level changed to %v though the reload failed", zerolog.GlobalLevel())
	}
	evs := logEvents(t, &logOut)
	if len(evs) == 0 || evs[0]["error"] != "listen cannot change without a restart" {
		t.Errorf("log = %v, want the Reload error first", messages(evs))
	}
}

func TestRunStops(t *testing.T) {
	keepLogLevel(t)
	logs := newLogging(&bytes.Buffer{}, config.LogConfig{Level: "info", Format: "json"}, false)
	load := func() (*config.Config, config.Source, error) { panic("no reload expected") }

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv := &fakeServer{}
	if err := run(ctx, nil, srv, load, logs); err != nil || srv.shutdowns != 1 {
		t.Errorf("cancelled context: err %v, %d shutdowns", err, srv.shutdowns)
	}

	srv = &fakeServer{shutdownErr: context.DeadlineExceeded}
	sigs := make(chan os.Signal, 1)
	sigs <- syscall.SIGTERM
	err := run(context.Background(), sigs, srv, load, logs)
	var st exitStatus
	if !errors.As(err, &st) || st != exitError {
		t.Errorf("unclean shutdown: err %v, want exit status 1", err)
	}
}

// TestServe runs `hearth serve` in-process on a loopback port and stops it
// through the signal channel.
func TestServe(t *testing.T) {
	keepLogLevel(t)
	a, stdout, stderr := testApp(
		"HEARTH_UPSTREAMS_SERVERS=udp://127.0.0.1:1",
		"HEARTH_UPSTREAMS_BOOTSTRAP=127.0.0.1",
		"HEARTH_LOG_FORMAT=json",
		testWebListen,
	)
	sigs := make(chan os.Signal, 1)
	sigs <- syscall.SIGTERM // handled once the server has started
	a.signals = sigs
	code := execute(context.Background(), a, []string{"serve", "--listen", "127.0.0.1:0"})
	if code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr)
	}
	evs := logEvents(t, stdout)
	var started map[string]any
	for _, ev := range evs {
		if ev["message"] == "hearth started" {
			started = ev
		}
	}
	if started == nil {
		t.Fatalf("log = %v, want hearth started", messages(evs))
	}
	if ups, _ := started["upstreams"].([]any); len(ups) != 1 || ups[0] != "udp://127.0.0.1:1" {
		t.Errorf("started event upstreams = %v", started["upstreams"])
	}
	if l, _ := started["listen"].([]any); len(l) == 0 || !strings.HasPrefix(l[0].(string), "127.0.0.1:") || l[0] == "127.0.0.1:0" {
		t.Errorf("started event listen = %v, want the bound loopback address", started["listen"])
	}
	if got := messages(evs); got[len(got)-1] != "info hearth stopped" {
		t.Errorf("last event %q, want hearth stopped", got[len(got)-1])
	}
}

func TestServeBadConfig(t *testing.T) {
	t.Parallel()
	a, stdout, stderr := testApp("HEARTH_CACHE_SIZE=lots", "HEARTH_UDP_SIZE=1")
	code := execute(context.Background(), a, []string{"serve", "--listen", "127.0.0.1:0"})
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "env HEARTH_CACHE_SIZE: cache.size:") || !strings.HasPrefix(lines[1], "env HEARTH_UDP_SIZE: udp_size:") {
		t.Errorf("stderr:\n%s", stderr)
	}
}
