package journal

// Pruning: the retention (every table), then the size cap, which deletes
// rows (never the hourly totals) of the devices with the most rows first,
// each cut down to a common level, oldest first, and keeps the last day
// while those devices have older rows.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
)

// keepMinutes is how far back the size cap leaves rows alone while older
// ones remain: the current day.
const keepMinutes = 24 * 60

// pruned says what a prune did.
type pruned struct {
	old      int64 // rows deleted for being older than the retention
	forSize  int64 // rows deleted to get under the size cap
	devices  []devicePruned
	today    bool  // the cap could only be met by deleting rows of the last day
	size     int64 // bytes after pruning (pages + WAL)
	walStuck bool  // a reader kept the checkpoint from emptying the WAL
}

// devicePruned is one device's rows deleted for the size cap.
type devicePruned struct {
	Device, Client string
	Rows           int64
	KeptFrom       int64 // the device's oldest minute kept
}

// prune deletes rows, totals and drops from before the minute cutoff (0:
// none), then, while the file takes more than maxBytes (0: no cap), rows
// of the devices with the most rows (cut down to a common level, so a
// quiet device loses nothing to a noisy one), oldest first, down to 90% of
// the cap so that the next batches do not trigger it again at once. Rows
// from keepFrom (a minute: the last day) on are deleted only when those
// devices have no older rows left. The hourly totals and the drops stay
// (they are small) until the retention takes them. Freed pages are given
// back (incremental_vacuum) and the WAL is checkpointed and truncated.
func (s *store) prune(ctx context.Context, cutoff, maxBytes, keepFrom int64) (pruned, error) {
	var p pruned
	if cutoff != 0 {
		res, err := s.db.ExecContext(ctx, "DELETE FROM lookups WHERE minute < ?", cutoff)
		if err != nil {
			return p, err
		}
		p.old, _ = res.RowsAffected()
		if _, err := s.db.ExecContext(ctx, "DELETE FROM dropped WHERE minute < ?", cutoff); err != nil {
			return p, err
		}
		if _, err := s.db.ExecContext(ctx, "DELETE FROM totals WHERE hour < ?", hourOfMinute(cutoff)); err != nil {
			return p, err
		}
	}
	if err := s.vacuum(ctx, &p); err != nil {
		return p, err
	}
	pages, wal, err := s.size(ctx)
	if err != nil {
		return p, err
	}
	p.size = pages + wal
	if maxBytes <= 0 || p.size <= maxBytes {
		return p, nil
	}
	target := maxBytes / 10 * 9
	for {
		used := pages
		if !p.walStuck {
			used += wal
		}
		if used <= target {
			return p, nil
		}
		rows, err := s.count(ctx)
		if err != nil || rows == 0 {
			return p, err
		}
		// Delete about the share of rows that is over the target, from the
		// noisiest device; the loop takes more if that was not enough.
		n := max(rows*(used-target)/used, rows/100, 1)
		ds, err := s.pruneNoisiest(ctx, n, keepFrom)
		if err == nil && len(ds) == 0 {
			// The devices over the level have nothing older than the last
			// day left: their rows of the last day go, oldest first.
			p.today = true
			ds, err = s.pruneNoisiest(ctx, n, 0)
		}
		if err != nil {
			return p, err
		}
		if len(ds) == 0 {
			return p, nil
		}
		for _, d := range ds {
			p.forSize += d.Rows
			p.addDevice(d)
		}
		if err := s.vacuum(ctx, &p); err != nil {
			return p, err
		}
		if pages, wal, err = s.size(ctx); err != nil {
			return p, err
		}
		p.size = pages + wal
	}
}

// pruneNoisiest deletes about n rows from the devices with the most rows:
// those over a level are cut down to it, each losing its oldest rows from
// before the minute before (0: any), in whole minutes (so up to a minute's
// more); the quieter ones lose nothing.
func (s *store) pruneNoisiest(ctx context.Context, n, before int64) ([]devicePruned, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device, client, count(*) AS n FROM lookups
		GROUP BY device, client ORDER BY n DESC`)
	if err != nil {
		return nil, fmt.Errorf("counting the rows by device: %w", err)
	}
	type devCount struct {
		device, client string
		n              int64
	}
	var counts []devCount
	for rows.Next() {
		var c devCount
		if err := rows.Scan(&c.device, &c.client, &c.n); err != nil {
			rows.Close()
			return nil, err
		}
		counts = append(counts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(counts) == 0 {
		return nil, nil
	}
	// The level: the top k devices cut to it give n rows, and it is not
	// below the next device's count.
	var sum, level int64
	for k := 1; ; k++ {
		sum += counts[k-1].n
		next := int64(0)
		if k < len(counts) {
			next = counts[k].n
		}
		if sum-int64(k)*next >= n || k == len(counts) {
			level = max((sum-n)/int64(k), next, 0)
			break
		}
	}
	bound := " AND minute < ?"
	if before == 0 {
		before = math.MaxInt64
	}
	var out []devicePruned
	for _, c := range counts {
		if c.n <= level {
			break
		}
		var last sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT max(minute) FROM (SELECT minute FROM lookups
			WHERE device = ? AND client = ?`+bound+` ORDER BY minute LIMIT ?) AS oldest`,
			c.device, c.client, before, c.n-level).Scan(&last); err != nil {
			return out, err
		}
		if !last.Valid {
			continue // nothing before before
		}
		res, err := s.db.ExecContext(ctx, `DELETE FROM lookups WHERE device = ? AND client = ? AND minute <= ?`+bound,
			c.device, c.client, last.Int64, before)
		if err != nil {
			return out, err
		}
		d := devicePruned{Device: c.device, Client: c.client, KeptFrom: last.Int64 + 1}
		if d.Rows, _ = res.RowsAffected(); d.Rows > 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// addDevice sums d into the devices pruned.
func (p *pruned) addDevice(d devicePruned) {
	for i := range p.devices {
		if p.devices[i].Device == d.Device && p.devices[i].Client == d.Client {
			p.devices[i].Rows += d.Rows
			p.devices[i].KeptFrom = d.KeptFrom
			return
		}
	}
	p.devices = append(p.devices, d)
}

// vacuum gives the free pages back to the file system and empties the WAL.
// A reader in another process may keep the WAL from being emptied; then
// walStuck is set and only the pages count towards the cap.
func (s *store) vacuum(ctx context.Context, p *pruned) error {
	if s.db.d == dialectPostgres {
		return s.pgCompact(ctx, p.forSize > 0)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return err
	}
	var busy, log, done int
	if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &done); err != nil {
		return err
	}
	p.walStuck = busy != 0
	return nil
}
