package journal

// The log limit of the "blocked" events (journal.log_blocked), on the
// writer goroutine: each device (or client address, for an unknown device)
// gets at most logLinesPerWindow lines per logWindow. What is left out is
// counted, and once the window is over one line per device says how many:
// "suppressed 9970 lookup lines for device alex-tablet in the last minute".
// A flood of 100,000 made-up names writes a few dozen lines to the service
// log, not 100,000; the journal itself still counts every lookup. The
// resolver limits its own lines the same way (resolver/loglimit.go).

import (
	"sort"
	"time"
)

const (
	logWindow         = time.Minute
	logLinesPerWindow = 30
	logMaxSubjects    = 1024 // per window; further devices share one count
)

// logLimiter counts the lines of the current window per device. Writer
// goroutine only.
type logLimiter struct {
	start time.Time
	lines map[devKey]int
}

// othersKey stands for every device past logMaxSubjects in a window.
var othersKey = devKey{device: "\x00others"}

// allow reports whether one more line about d may be written at now; it
// first sums up the window before, if that one has ended.
func (j *Journal) logAllow(d devKey, now time.Time) bool {
	l := &j.logLimit
	j.logTurn(now, false)
	n, ok := l.lines[d]
	if !ok && len(l.lines) >= logMaxSubjects {
		d = othersKey
		n = l.lines[d]
	}
	l.lines[d] = n + 1
	if n < logLinesPerWindow {
		return true
	}
	j.logSuppressed.Add(1)
	return false
}

// logTurn starts a new window if the current one has ended by now (or
// always, with force: at shutdown), writing one line per device whose
// lines were suppressed.
func (j *Journal) logTurn(now time.Time, force bool) {
	l := &j.logLimit
	if l.lines == nil {
		l.lines = make(map[devKey]int)
		l.start = now
	}
	if !force && now.Sub(l.start) < logWindow {
		return
	}
	var over []devKey
	for d, n := range l.lines {
		if n > logLinesPerWindow {
			over = append(over, d)
		}
	}
	sort.Slice(over, func(a, b int) bool { return subjectOf(over[a]) < subjectOf(over[b]) })
	for _, d := range over {
		n := l.lines[d] - logLinesPerWindow
		s := subjectOf(d)
		j.events.Warn().Str("event", "blocked_suppressed").Str("subject", s).Int("suppressed", n).
			Msgf("suppressed %d lookup lines for %s in the last minute (at most %d a minute are logged per device; the journal keeps every lookup)",
				n, s, logLinesPerWindow)
	}
	if len(l.lines) > 0 {
		l.lines = make(map[devKey]int)
	}
	l.start = now
}

// subjectOf names a device for the summary line.
func subjectOf(d devKey) string {
	switch {
	case d == othersKey:
		return "other devices"
	case d.device != "":
		return "device " + d.device
	}
	return "client " + addrString(d.client)
}
