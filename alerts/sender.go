package alerts

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/policy/schedule"
)

// Backoff after a failed delivery: from backoffMin doubling to backoffMax.
const (
	backoffMin = 10 * time.Second
	backoffMax = 15 * time.Minute
)

// ChannelState is what /api/alerts and `hearth doctor` show of a channel.
type ChannelState struct {
	Name      string    `json:"name"`
	Pending   int       `json:"pending"`              // alerts waiting on disk
	Sent      uint64    `json:"sent"`                 // deliveries since start
	Dropped   uint64    `json:"dropped"`              // alerts dropped: the spool was full
	LastSent  time.Time `json:"last_sent,omitzero"`   //
	LastError string    `json:"last_error,omitempty"` // the last failure, "" once a delivery worked
	FailingAt time.Time `json:"failing_since,omitzero"`
	RetryAt   time.Time `json:"retry_at,omitzero"` // when the next attempt is due, while failing
	Held      string    `json:"held,omitempty"`    // "quiet hours" or "rate limit" while holding
}

// sender delivers one channel's spool, in order, from one goroutine:
// quiet hours and the rate limit hold alerts (then sent as one summary), a
// failure is retried with exponential backoff.
type sender struct {
	ch    Channel
	sp    *spool
	clk   clock.Timers
	quiet *schedule.Schedule // nil: no quiet hours
	rate  int
	link  string
	log   zerolog.Logger
	kick  chan struct{}

	statusFile string    // where the state is saved for `hearth doctor` ("": not)
	saved      time.Time // when a delivery last saved it (at most hourly)

	mu    sync.Mutex
	state ChannelState
	sent  []time.Time // deliveries in the last hour
}

func (s *sender) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *sender) State() ChannelState {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	names, _ := s.sp.list()
	st.Pending = len(names)
	st.Dropped = s.sp.dropped.Load()
	return st
}

// wait returns after d of the clock's time, a kick (if kicks), or ctx's end
// (false).
func (s *sender) wait(ctx context.Context, d time.Duration, kicks bool) bool {
	c, stop := s.clk.After(d)
	defer stop()
	var kick chan struct{}
	if kicks {
		kick = s.kick
	}
	select {
	case <-c:
	case <-kick:
	case <-ctx.Done():
		return false
	}
	return true
}

func (s *sender) setHeld(why string) {
	s.mu.Lock()
	s.state.Held = why
	s.mu.Unlock()
}

func (s *sender) run(ctx context.Context) {
	backoff := time.Duration(0)
	held := "" // why the alerts now queued were held: they go as one summary
	for ctx.Err() == nil {
		names, err := s.sp.list()
		if err != nil {
			s.fail(err, time.Minute)
			if !s.wait(ctx, time.Minute, true) {
				return
			}
			continue
		}
		if len(names) == 0 {
			held = ""
			s.setHeld("")
			select {
			case <-s.kick:
			case <-ctx.Done():
				return
			}
			continue
		}
		now := s.clk.Now()
		if s.quiet != nil && s.quiet.Active(now) {
			held = "during quiet hours"
			s.setHeld("quiet hours")
			if !s.wait(ctx, s.quiet.Next(now).Sub(now), false) {
				return
			}
			continue
		}
		s.mu.Lock()
		for len(s.sent) > 0 && now.Sub(s.sent[0]) >= time.Hour {
			s.sent = s.sent[1:]
		}
		remaining := s.rate - len(s.sent)
		var free time.Duration
		if remaining <= 0 {
			free = s.sent[0].Add(time.Hour).Sub(now)
		}
		s.mu.Unlock()
		if remaining <= 0 {
			if held == "" {
				held = "past the limit of alerts an hour"
			}
			s.setHeld("rate limit")
			if !s.wait(ctx, free, false) {
				return
			}
			continue
		}
		s.setHeld("")
		var alerts []Alert
		var files []string
		take := names[:1]
		if len(names) > 1 && (held != "" || len(names) > remaining) {
			take = names
			if held == "" {
				held = "past the limit of alerts an hour"
			}
		}
		for _, n := range take {
			a, err := s.sp.read(n)
			if err != nil {
				s.log.Error().Err(err).Str("channel", s.ch.Name()).Msg("alert spool")
				continue
			}
			alerts, files = append(alerts, a), append(files, n)
		}
		if len(alerts) == 0 {
			continue
		}
		alerts, files = apartDigests(alerts, files)
		a := alerts[0]
		if len(alerts) > 1 {
			a = summarise(alerts, held, now, s.link)
		}
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err = s.ch.Send(sctx, a)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, backoffMin), backoffMax)
			s.fail(err, backoff)
			if !s.wait(ctx, backoff, false) {
				return
			}
			continue
		}
		backoff, held = 0, ""
		s.sp.remove(files...)
		s.mu.Lock()
		s.sent = append(s.sent, now)
		s.state.Sent++
		recovered := s.state.LastError != ""
		s.state.LastSent, s.state.LastError, s.state.FailingAt, s.state.RetryAt = now, "", time.Time{}, time.Time{}
		s.mu.Unlock()
		if recovered || now.Sub(s.saved) >= time.Hour || now.Before(s.saved) {
			s.saved = now
			s.save()
		}
	}
}

func (s *sender) fail(err error, retry time.Duration) {
	now := s.clk.Now()
	s.mu.Lock()
	if s.state.LastError == "" {
		s.state.FailingAt = now
		s.log.Warn().Err(err).Str("channel", s.ch.Name()).Msg("alert not delivered; retrying")
	}
	s.state.LastError, s.state.RetryAt = err.Error(), now.Add(retry)
	s.mu.Unlock()
	s.save()
}

// save writes the state where `hearth doctor` reads it (StatusOf).
func (s *sender) save() {
	if s.statusFile == "" {
		return
	}
	b, _ := json.Marshal(s.State())
	if err := atomicfile.Write(s.statusFile, b, 0o600); err != nil {
		s.log.Warn().Err(err).Msg("alerts: channel state not saved")
	}
}

// StatusOf reads what the running Hearth last saved of each channel in
// stateDir (for `hearth doctor`), with the alerts waiting on disk now.
// A channel never used has no saved state: only its name and what waits.
func StatusOf(stateDir string, channels []string) []ChannelState {
	var out []ChannelState
	for _, name := range channels {
		st := ChannelState{Name: name}
		if b, err := os.ReadFile(filepath.Join(stateDir, SpoolDir, name+statusSuffix)); err == nil {
			json.Unmarshal(b, &st)
		}
		st.Pending = 0
		if sp, err := os.ReadDir(filepath.Join(stateDir, SpoolDir, name)); err == nil {
			for _, e := range sp {
				if strings.HasSuffix(e.Name(), ".json") {
					st.Pending++
				}
			}
		}
		out = append(out, st)
	}
	return out
}

const statusSuffix = ".status.json"

// apartDigests keeps a weekly digest out of a summary: its report would be
// lost in one. With other alerts held, they go first and the digests wait
// (still on disk) to go on their own; else the first digest goes alone.
func apartDigests(alerts []Alert, files []string) ([]Alert, []string) {
	if len(alerts) < 2 {
		return alerts, files
	}
	var as []Alert
	var fs []string
	for i, a := range alerts {
		if a.Kind != KindDigest {
			as, fs = append(as, a), append(fs, files[i])
		}
	}
	if len(as) == 0 {
		return alerts[:1], files[:1]
	}
	return as, fs
}
