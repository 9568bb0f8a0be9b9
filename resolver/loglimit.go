package resolver

import (
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
)

// The log limit: lines the query path writes per query (a blocked lookup at
// debug level, an upstream failure, a rebinding answer dropped) are limited
// per subject (a device, or a client address when the device is unknown) to
// logLinesPerWindow per logWindow. What is left out is counted, and once the
// window is over one line per subject says how many: "suppressed 99970 lines
// for device alex-tablet". A flood of 100,000 made-up names writes a few
// dozen lines, not 100,000. The journal keeps every lookup in its own way.

const (
	logWindow         = time.Minute
	logLinesPerWindow = 30
	logMaxSubjects    = 1024 // per window; further subjects share one
)

// logSubject is what a line is about: kind is "device", "client" or the
// kind of event ("upstreams", "rebinding"); name or addr says which.
type logSubject struct {
	kind string
	name string
	addr netip.Addr
}

func (k logSubject) String() string {
	switch {
	case k.name != "":
		return k.kind + " " + k.name
	case k.addr.IsValid():
		return k.kind + " " + k.addr.String()
	}
	return k.kind
}

type logLimiter struct {
	mu      sync.Mutex
	start   int64 // unix nanoseconds: when the current window began
	lines   map[logSubject]int
	dropped atomic.Int64 // since start, for Stats
	out     zerolog.Logger
}

func newLogLimiter(out zerolog.Logger) *logLimiter {
	return &logLimiter{out: out, lines: make(map[logSubject]int)}
}

// allow reports whether one more line about k may be written at now. When a
// window has ended it first writes the summaries of the one before.
func (l *logLimiter) allow(k logSubject, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.turn(now.UnixNano())
	n, ok := l.lines[k]
	if !ok && len(l.lines) >= logMaxSubjects {
		k = logSubject{kind: "others"}
		n = l.lines[k]
	}
	l.lines[k] = n + 1
	if n < logLinesPerWindow {
		return true
	}
	l.dropped.Add(1)
	return false
}

// flush writes the summaries of a window that has ended by now (the
// periodic tick, so that a flood that stopped is still summed up).
func (l *logLimiter) flush(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.turn(now.UnixNano())
}

// turn starts a new window if the current one has ended, writing one line
// per subject whose lines were suppressed. l.mu held.
func (l *logLimiter) turn(now int64) {
	if now-l.start < int64(logWindow) {
		return
	}
	var over []logSubject
	for k, n := range l.lines {
		if n > logLinesPerWindow {
			over = append(over, k)
		}
	}
	sort.Slice(over, func(i, j int) bool { return over[i].String() < over[j].String() })
	for _, k := range over {
		n := l.lines[k] - logLinesPerWindow
		l.out.Warn().Str("subject", k.String()).Int("suppressed", n).Dur("window", logWindow).
			Msgf("suppressed %d lines for %s (at most %d a minute are logged)", n, k, logLinesPerWindow)
	}
	if len(l.lines) > 0 {
		l.lines = make(map[logSubject]int)
	}
	l.start = now
}

// suppressedTotal is the number of lines left out since start.
func (l *logLimiter) suppressedTotal() int64 { return l.dropped.Load() }

// runLogFlush ticks the log limiter once a window until the server stops.
func (s *Server) runLogFlush() {
	defer s.bg.Done()
	for {
		c, stop := clock.After(s.clock, logWindow)
		select {
		case <-s.ctx.Done():
			stop()
			return
		case <-c:
			s.logs.flush(s.clock.Now())
		}
	}
}

// deviceSubject is what a query's log lines are about: its device, or its
// client's address when the device is unknown.
func deviceSubject(device string, client netip.Addr) logSubject {
	if device != "" {
		return logSubject{kind: "device", name: device}
	}
	return logSubject{kind: "client", addr: client}
}
