package journal

// The writer goroutine: it takes lookups off the queue, adds them up per
// row in memory (a burst of retries is one row), and at every FlushInterval
// commits in one transaction the rows that are due (new, minute closed, or
// refreshEvery since their last write: see flush). With the WAL a kill -9
// loses at most what was not yet committed, and never leaves a damaged file; a power cut
// can also lose the commits since the last checkpoint (synchronous=NORMAL
// syncs only then), still without damage. It also prunes, retries an
// unavailable database, and writes the "blocked" log lines.

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// run is the writer goroutine.
func (j *Journal) run() {
	defer close(j.done)
	flush := time.NewTicker(j.cfg.FlushInterval)
	defer flush.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	retry := time.NewTicker(retryEvery)
	defer retry.Stop()
	// The queue is emptied every drainEvery rather than the writer waking
	// for each lookup: under load that is hundreds of wake-ups a second
	// instead of tens of thousands, on the cores that answer DNS.
	drain := time.NewTicker(drainEvery)
	defer drain.Stop()

	j.prune()
	for {
		select {
		case <-drain.C:
			j.drain()
		case <-flush.C:
			j.drain()
			if j.st == nil && j.cfg.Postgres != "" {
				// A server that was down or restarted is tried at every
				// flush, not once a minute: rows wait in memory meanwhile.
				j.reopen()
			}
			j.flush(false)
		case <-prune.C:
			j.prune()
		case <-retry.C:
			if j.st == nil {
				j.reopen()
			}
		case f := <-j.ctl:
			f()
		case <-j.stop:
			j.closeErr = j.shutdown()
			return
		}
	}
}

// drainEvery is how often the writer empties the queue.
const drainEvery = 10 * time.Millisecond

// drain takes everything queued into the pending rows, committing and
// forgetting them all when they pass maxPending, then writes the buffered
// log lines.
func (j *Journal) drain() {
	for _, l := range j.lanes {
		batch := l.take(l.spare)
		for i := range batch {
			j.add(&batch[i])
			if len(j.pending) >= maxPending {
				j.flush(true)
			}
		}
		l.spare = batch
	}
	if j.cfg.LogBlocked {
		j.logTurn(j.clock.Now(), false) // a flood that stopped is still summed up
	}
	j.flushEvents()
}

// flushEvents writes the buffered "blocked" log lines, if they are buffered.
func (j *Journal) flushEvents() {
	if j.eventBuf != nil && j.eventBuf.Buffered() > 0 {
		_ = j.eventBuf.Flush()
	}
}

// add counts one lookup in its pending row.
func (j *Journal) add(e *Event) {
	if e.Time.IsZero() {
		e.Time = j.clock.Now()
	}
	k := key{minute: minuteOf(e.Time), device: e.Device, client: e.Client.Unmap(), name: e.Name, action: e.Action}
	var marker string
	var newName, fold bool
	if j.flood != nil {
		marker, newName, fold = j.flood.check(e, devKey{k.device, k.client}, k.minute)
		if fold {
			k.name = marker
		}
	}
	v := j.pending[k]
	if v == nil {
		v = new(vals)
		j.pending[k] = v
	}
	v.add(e)
	if fold {
		v.fold(e, newName)
	}
}

// flush commits the rows with new counts that are due, and the drops
// noticed since the last commit; while the database is unavailable (or
// when this commit fails) they go to memory instead. A row is due when it
// is new (not yet written), when its minute has closed, when it was last
// written refreshEvery ago, or always with all (Close, the memory bound).
// Rows of a closed minute (all rows, with all) are then forgotten, with
// their "blocked" log line. So a row is written about twice a minute plus
// once per refreshEvery, however often its name is looked up, instead of
// at every flush.
func (j *Journal) flush(all bool) {
	j.flushEvents()
	now := j.clock.Now()
	nowMin, nowNs := minuteOf(now), now.UnixNano()
	dropped := j.dropped.Load()
	drops := dropped - j.dropsSeen
	batch := j.batch
	clear(batch)
	var queries int64
	for k, v := range j.pending {
		if v.dirty && (all || !v.written || k.minute < nowMin || nowNs-v.lastWrite >= int64(refreshEvery)) {
			batch[k] = v
			queries += v.queries()
		}
	}
	defer j.forget(nowMin, all, now)
	if len(batch) == 0 && drops == 0 {
		return
	}
	var byMinute map[int64]int64
	if drops > 0 {
		byMinute = map[int64]int64{nowMin: int64(drops)}
	}
	if st := j.st; st != nil {
		ctx := context.Background()
		inserted, err := st.write(ctx, batch, byMinute)
		if err == nil {
			j.rowWrites += int64(len(batch))
			j.written.Add(uint64(queries))
			j.dropsSeen = dropped
			j.wrote(batch, nowNs)
			pages, wal, err := st.size(ctx)
			j.mu.Lock()
			j.rows += inserted
			if err == nil {
				j.size = pages + wal
			}
			j.mu.Unlock()
			// Over the cap between hourly prunes: prune now, unless only
			// the WAL is over and a reader keeps it from being emptied
			// (the prune would wait for the reader and delete nothing).
			if limit := j.maxBytes(); limit > 0 && pages+wal > limit && (!j.walStuck || pages > limit/10*9) {
				j.prune()
			}
			return
		}
		j.fail(err)
	}
	j.mu.Lock()
	lost := j.mem.add(batch, byMinute)
	j.mu.Unlock()
	j.dropsSeen = dropped
	j.wrote(batch, nowNs)
	if lost > 0 {
		// Counted now, stored with the next batch.
		j.dropped.Add(uint64(lost))
		if !j.lostWarned {
			j.lostWarned = true
			j.log.Warn().Int("rows", memoryRows).Str("path", j.path).
				Msg("journal: the memory fallback is full; the oldest rows are being dropped (counted as dropped lookups)")
		}
	}
}

// wrote marks the batch's rows written at nowNs.
func (j *Journal) wrote(batch map[key]*vals, nowNs int64) {
	for _, v := range batch {
		v.wrote(nowNs)
	}
	clear(batch)
}

// forget drops the pending rows that have nothing left to write and whose
// minute has closed (every such row, with all), logging their "blocked"
// line. A lookup of a forgotten row's minute that comes later starts a new
// pending row, whose counts are added to the stored ones.
func (j *Journal) forget(nowMin int64, all bool, now time.Time) {
	gone := 0
	for k, v := range j.pending {
		if v.dirty || (!all && k.minute >= nowMin) {
			continue
		}
		j.logRow(k, v, now)
		delete(j.pending, k)
		gone++
	}
	if len(j.pending) == 0 && gone > floodShrink {
		// A map that grew for a flood is made anew, so its memory is given back.
		j.pending = make(map[key]*vals)
	}
}

// logRow writes the "blocked" log line of a row whose minute has closed:
// one line per device, name and minute with its counts, not one per
// lookup (and at most logLinesPerWindow a minute per device).
func (j *Journal) logRow(k key, v *vals, now time.Time) {
	if !j.cfg.LogBlocked || k.action != ActionBlock || v.minute.queries() == 0 {
		return
	}
	if !j.logAllow(devKey{k.device, k.client}, now) {
		return
	}
	ev := j.events.Info().Str("event", "blocked").Time("minute", minuteTime(k.minute)).
		Str("device", k.device).Str("group", v.group).Str("client", addrString(k.client)).
		Str("name", k.name).Int64("tries", v.minute.attempts()).Int64("queries", v.minute.queries()).
		Str("category", v.category).Str("service", v.service).Str("list", v.list).
		Str("rule", v.rule).Str("window", v.window).Str("response", v.response).
		Str("reason", v.reason.String()).Str("mode", modeName(v.mode))
	if v.minute.folded > 0 {
		ev = ev.Int64("folded", v.minute.folded)
	}
	ev.Msg("blocked")
}

// fail gives up on the database after a write error: the rows go to
// memory until a retry opens it again.
func (j *Journal) fail(err error) {
	j.log.Error().Err(err).Str("path", j.path).Str("fix", j.hint(err)).
		Msgf("journal: cannot write to the database; keeping lookups in memory (at most %d rows, lost on restart) and trying again %s", memoryRows, j.retryText())
	j.mu.Lock()
	st := j.st
	j.st, j.mem, j.lastErr, j.size = nil, newMemStore(memoryRows), err.Error(), 0
	j.lostWarned = false
	j.mu.Unlock()
	st.close()
}

// reopen tries the database again and moves the rows kept in memory there.
func (j *Journal) reopen() {
	if !j.open() {
		return
	}
	mem := j.mem
	var queries int64
	for _, v := range mem.rows {
		queries += v.queries()
	}
	inserted, err := j.st.write(context.Background(), mem.rows, mem.drops)
	if err != nil {
		// Keep the rows in memory: fail's fresh store would lose them.
		j.fail(err)
		j.mu.Lock()
		j.mem = mem
		j.mu.Unlock()
		return
	}
	j.written.Add(uint64(queries))
	j.mu.Lock()
	j.mem, j.rows = nil, j.rows+inserted
	j.lastErr = "" // well again: a later failure is a new one (logged, alerted)
	j.mu.Unlock()
	j.log.Warn().Str("path", j.path).Int("rows", len(mem.rows)).
		Msg("journal: the database is available again; the rows kept in memory are written to it")
	j.prune()
}

// prune applies the retention and the size cap.
func (j *Journal) prune() {
	st := j.st
	if st == nil {
		return
	}
	var cutoff int64
	if j.cfg.RetentionDays > 0 {
		cutoff = minuteOf(j.clock.Now()) - int64(j.cfg.RetentionDays)*24*60
	}
	start := time.Now()
	p, err := st.prune(context.Background(), cutoff, j.maxBytes(), minuteOf(j.clock.Now())-keepMinutes)
	j.walStuck = p.walStuck
	j.mu.Lock()
	j.rows -= p.old + p.forSize
	if err == nil {
		j.size = p.size
	}
	j.mu.Unlock()
	if st.db.d == dialectPostgres {
		// Other Hearths write the same tables: count them again.
		if n, err := st.count(context.Background()); err == nil {
			j.mu.Lock()
			j.rows = n
			j.mu.Unlock()
		}
	}
	if err != nil {
		// Not worth giving up the database for: the next prune tries again.
		j.log.Warn().Err(err).Str("path", j.path).Msg("journal: pruning failed")
		return
	}
	if p.forSize > 0 {
		msg := "journal: the database reached max_size_mb before retention_days; deleted the oldest rows of the device with the most rows (raise journal.max_size_mb to keep more; the report's counts are kept)"
		if p.today {
			msg = "journal: the database reached max_size_mb with the last day alone; deleted rows of today from the device with the most rows (raise journal.max_size_mb to keep more; the report's counts are kept)"
		}
		ev := j.log.Warn().Int64("rows", p.forSize).
			Int("max_size_mb", j.cfg.MaxSizeMB).Int("retention_days", j.cfg.RetentionDays)
		for i, d := range p.devices {
			if i == 3 {
				break
			}
			ev = ev.Dict(fmt.Sprintf("device_%d", i+1), zerolog.Dict().Str("device", d.Device).Str("client", d.Client).
				Int64("rows", d.Rows).Time("kept_from", minuteTime(d.KeptFrom)))
		}
		ev.Msg(msg)
	}
	ev := j.log.Debug()
	if p.walStuck {
		ev = j.log.Info()
	}
	ev.Int64("old_rows", p.old).Int64("size_rows", p.forSize).Int64("size_bytes", p.size).
		Bool("wal_kept_by_reader", p.walStuck).Dur("took", time.Since(start)).Msg("journal: pruned")
}

// shutdown takes what is left in the queue, commits it and closes the
// database.
func (j *Journal) shutdown() error {
	j.drain() // Record takes nothing more once closing is set
	if j.st == nil {
		j.reopen()
	}
	j.flush(true)
	if j.cfg.LogBlocked {
		j.logTurn(j.clock.Now(), true)
	}
	j.flushEvents()
	j.mu.Lock()
	defer j.mu.Unlock()
	st, mem := j.st, j.mem
	j.st, j.mem = nil, nil
	if st == nil {
		return fmt.Errorf("journal: the database is still unavailable (%s); %d rows kept in memory are lost", j.lastErr, mem.len())
	}
	return st.close()
}
