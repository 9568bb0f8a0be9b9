package journal

// The hourly totals: tries per hour, device and decision (action, reason,
// mode, category, service), written with the rows in the same transaction
// and kept when rows are pruned to the size cap, so that the report's
// counts of what was blocked survive a flood that fills the journal.
// Without names they stay small: a few rows per device per hour of use.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// Total is the tries of one device with one decision in one hour.
type Total struct {
	Hour     time.Time // the hour's start, UTC
	Device   string
	Client   string
	Action   verdict.Action
	Reason   verdict.Reason
	Mode     verdict.Mode
	Category string
	Service  string
	// Queries and Attempts add up the rows' (Row.Queries, Row.Attempts)
	// of that hour, pruned or not.
	Queries  int64
	Attempts int64
}

// totalKey is a totals row's key, as stored.
type totalKey struct {
	hour                                                    int64
	device, client, action, reason, mode, category, service string
}

type totalVals struct{ queries, attempts int64 }

// addTotal adds a batch row's part to the totals: all its queries, and
// what its attempts grew by.
func addTotal(tot map[totalKey]*totalVals, minute int64, device, client, action string, v *vals, attempts int64) {
	k := totalKey{hour: hourOfMinute(minute), device: device, client: client, action: action,
		reason: v.reason.String(), mode: modeName(v.mode), category: v.category, service: v.service}
	t := tot[k]
	if t == nil {
		t = new(totalVals)
		tot[k] = t
	}
	t.queries += v.queries()
	t.attempts += attempts
}

// hourOfMinute is the hour (Unix seconds / 3600) holding minute m.
func hourOfMinute(m int64) int64 {
	h := m / 60
	if m%60 < 0 {
		h--
	}
	return h
}

const totalSQL = `
INSERT INTO totals (hour, device, client, "action", reason, mode, category, service, queries, attempts)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (hour, device, client, "action", reason, mode, category, service) DO UPDATE SET
	queries = totals.queries + excluded.queries, attempts = totals.attempts + excluded.attempts`

// upsertTotals adds a batch's totals: a few rows per device and hour.
func upsertTotals(ctx context.Context, tx *txx, tot map[totalKey]*totalVals) error {
	if len(tot) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, totalSQL)
	if err != nil {
		return err
	}
	defer st.Close()
	for k, v := range totalsInOrder(tx.d, tot) {
		if _, err := st.ExecContext(ctx, k.hour, k.device, k.client, k.action, k.reason, k.mode,
			k.category, k.service, v.queries, v.attempts); err != nil {
			return err
		}
	}
	return nil
}

// queryTotals reads the totals of the hours that start in [Since, Until)
// for f.Device and f.Action (f.Limit is not used), oldest first.
func queryTotals(ctx context.Context, db *dbx, f Filter) ([]Total, error) {
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where, args = append(where, "hour >= ?"), append(args, hourAtOrAfter(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "hour < ?"), append(args, hourAtOrAfter(f.Until))
	}
	where, args = f.deviceAndAction(where, args)
	q := `SELECT hour, device, client, "action", reason, mode, category, service, queries, attempts FROM totals`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY hour, device, client`
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: reading the totals: %w", err)
	}
	defer rows.Close()
	var out []Total
	for rows.Next() {
		var t Total
		var h int64
		var action, reason, mode string
		if err := rows.Scan(&h, &t.Device, &t.Client, &action, &reason, &mode, &t.Category, &t.Service,
			&t.Queries, &t.Attempts); err != nil {
			return nil, fmt.Errorf("journal: reading the totals: %w", err)
		}
		t.Hour = time.Unix(h*3600, 0).UTC()
		r := Row{Minute: t.Hour, Device: t.Device, Client: t.Client, Name: "(hourly total)"}
		if err := r.parseDecision(action, reason, mode); err != nil {
			return nil, err
		}
		t.Action, t.Reason, t.Mode = r.Action, r.Reason, r.Mode
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: reading the totals: %w", err)
	}
	return out, nil
}

// hourAtOrAfter is the first hour (Unix seconds / 3600) that starts at or
// after t.
func hourAtOrAfter(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s%3600 < 0 {
		h--
	}
	if time.Unix(h*3600, 0).Before(t) {
		h++
	}
	return h
}

// Totals reads the hourly totals (see Total) of the hours starting in
// [f.Since, f.Until). They are kept when rows are pruned to the size cap,
// and deleted with the retention. While the database is unavailable there
// are none (nil, nil): the rows kept in memory are all there is.
func (j *Journal) Totals(ctx context.Context, f Filter) ([]Total, error) {
	j.mu.RLock()
	st := j.st
	if st == nil {
		defer j.mu.RUnlock()
		if j.mem == nil {
			return nil, errClosed
		}
		return nil, nil
	}
	j.mu.RUnlock()
	return queryTotals(ctx, st.db, f)
}

// Totals reads the hourly totals as Journal.Totals does. A journal an older
// hearth wrote and has not yet brought up to date has none (nil, nil).
func (r *Reader) Totals(ctx context.Context, f Filter) ([]Total, error) {
	if r.version < 2 {
		return nil, nil
	}
	return queryTotals(ctx, r.db, f)
}
