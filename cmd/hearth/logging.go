package main

import (
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
)

// logging is the process's logger and the format it was built with.
//
// The level is zerolog's global level, not the logger's: the resolver keeps
// the logger it was given at start-up, and a SIGHUP must still be able to
// change what it logs. Only this package (the process's edge) sets it;
// loggers are built at TraceLevel and the global level does the filtering,
// so `log.Debug().Enabled()` stays a cheap and correct guard.
type logging struct {
	logger zerolog.Logger
	format string
	// jsonOut is the destination of JSON lines (nil for the console
	// format): the journal writes its per-lookup events there in batches.
	jsonOut io.Writer
}

// newLogging builds a logger writing to w: one JSON object a line, or
// zerolog's console format when cfg.Format is console, or auto and
// terminal is true.
func newLogging(w io.Writer, cfg config.LogConfig, terminal bool) *logging {
	w = &lockedWriter{w: w}
	out := w
	if cfg.Format == config.FormatConsole || (cfg.Format == config.FormatAuto && terminal) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !terminal}
	}
	l := &logging{
		logger: zerolog.New(out).Level(zerolog.TraceLevel).With().Timestamp().Logger(),
		format: cfg.Format,
	}
	if out == w {
		l.jsonOut = w
	}
	l.setLevel(cfg.Level)
	return l
}

// setLevel applies a log.level value (already validated).
func (l *logging) setLevel(name string) {
	lvl, err := zerolog.ParseLevel(name)
	if err != nil || name == "" {
		lvl = zerolog.InfoLevel
	}
	zerolog.SetGlobalLevel(lvl)
}

// lockedWriter serialises writes, so the journal's batches of lines and
// the other goroutines' single lines never interleave in the output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
