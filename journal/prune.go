package journal

// Pruning: the retention (every table), then the size cap, which deletes
// rows (never the hourly totals) of the device with the most rows first,
// oldest first, and keeps the last day while anything older is left.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
// of the device with the most rows, oldest first, down to 90% of the cap so
// that the next batches do not trigger it again at once. Rows from keepFrom
// (a minute) on are deleted only when no older row is left. The hourly
// totals and the drops stay (they are small) until the retention takes
// them. Freed pages are given back (incremental_vacuum) and the WAL is
// checkpointed and truncated.
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
		d, err := s.pruneNoisiest(ctx, n, keepFrom)
		if err == nil && d.Rows == 0 {
			p.today = true
			d, err = s.pruneNoisiest(ctx, n, 0)
		}
		if err != nil {
			return p, err
		}
		if d.Rows == 0 {
			return p, nil
		}
		p.forSize += d.Rows
		p.addDevice(d)
		if err := s.vacuum(ctx, &p); err != nil {
			return p, err
		}
		if pages, wal, err = s.size(ctx); err != nil {
			return p, err
		}
		p.size = pages + wal
	}
}

// pruneNoisiest deletes the oldest n rows (in whole minutes, so up to a
// minute's more) of the device with the most rows before the minute before
// (0: all rows), but not all the rows it has.
func (s *store) pruneNoisiest(ctx context.Context, n, before int64) (devicePruned, error) {
	var d devicePruned
	bound := " AND minute < ?"
	if before == 0 {
		bound, before = " AND ?", 1
	}
	var count int64
	err := s.db.QueryRowContext(ctx, `SELECT device, client, count(*) AS n FROM lookups WHERE 1`+bound+`
		GROUP BY device, client ORDER BY n DESC, min(minute) LIMIT 1`, before).Scan(&d.Device, &d.Client, &count)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("finding the noisiest device: %w", err)
	}
	n = min(n, count)
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT minute FROM lookups WHERE device = ? AND client = ?`+bound+`
		ORDER BY minute LIMIT 1 OFFSET ?`, d.Device, d.Client, before, n-1).Scan(&last); err != nil {
		return d, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM lookups WHERE device = ? AND client = ? AND minute <= ?`+bound,
		d.Device, d.Client, last, before)
	if err != nil {
		return d, err
	}
	d.Rows, _ = res.RowsAffected()
	d.KeptFrom = last + 1
	return d, nil
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
