package journal

// Reading rows back, the same way for the Journal, its memory fallback and
// the Reader: a row is in [Since, Until) when its minute's start is.

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// minuteOf is the minute holding t, as Unix seconds / 60.
func minuteOf(t time.Time) int64 {
	s := t.Unix()
	m := s / 60
	if s%60 < 0 {
		m--
	}
	return m
}

// minuteAtOrAfter is the first minute that starts at or after t.
func minuteAtOrAfter(t time.Time) int64 {
	m := minuteOf(t)
	if minuteTime(m).Before(t) {
		m++
	}
	return m
}

func minuteTime(m int64) time.Time { return time.Unix(m*60, 0).UTC() }

// bounds turns [since, until) into minutes [lo, hi); a zero time is no
// bound, shown by ok false.
func bounds(since, until time.Time) (lo, hi int64, hasLo, hasHi bool) {
	if !since.IsZero() {
		lo, hasLo = minuteAtOrAfter(since), true
	}
	if !until.IsZero() {
		hi, hasHi = minuteAtOrAfter(until), true
	}
	return
}

// deviceFilter reads Filter.Device: a client address (matched against the
// client column, or a device named like one), else a device name.
func deviceFilter(d string) (name, client string) {
	if a, err := netip.ParseAddr(d); err == nil {
		return d, a.Unmap().String()
	}
	return d, ""
}

const selectRows = `SELECT minute, device, client, "group", name, "action", reason, mode,
	category, service, list, rule, "window", response, a, aaaa, other, folded, first_ms, last_ms FROM lookups`

// selectRowsV1 reads a file of schema version 1 (no fold rows), for a
// Reader of a file that the server has not yet brought up to date.
const selectRowsV1 = `SELECT minute, device, client, "group", name, "action", reason, mode,
	category, service, list, rule, "window", response, a, aaaa, other, 0, 0, 0 FROM lookups`

// queryRows reads rows from a journal database.
func queryRows(ctx context.Context, db *dbx, f Filter) ([]Row, error) {
	return queryRowsFrom(ctx, db, selectRows, f)
}

// queryRowsFrom reads rows with the SELECT q.
func queryRowsFrom(ctx context.Context, db *dbx, q string, f Filter) ([]Row, error) {
	var where []string
	var args []any
	lo, hi, hasLo, hasHi := bounds(f.Since, f.Until)
	if hasLo {
		where, args = append(where, "minute >= ?"), append(args, lo)
	}
	if hasHi {
		where, args = append(where, "minute < ?"), append(args, hi)
	}
	where, args = f.deviceAndAction(where, args)
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// Key order, forwards or backwards: no sorting step.
	if f.Limit > 0 {
		q += ` ORDER BY minute DESC, device DESC, client DESC, name DESC, "action" DESC LIMIT ?`
		args = append(args, f.Limit)
	} else {
		q += ` ORDER BY minute, device, client, name, "action"`
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: reading rows: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var m, a, aaaa, other, first, last int64
		var action, reason, mode string
		if err := rows.Scan(&m, &r.Device, &r.Client, &r.Group, &r.Name, &action, &reason, &mode,
			&r.Category, &r.Service, &r.List, &r.Rule, &r.Window, &r.Response, &a, &aaaa, &other,
			&r.Folded, &first, &last); err != nil {
			return nil, fmt.Errorf("journal: reading rows: %w", err)
		}
		r.Minute = minuteTime(m)
		if err := r.parseDecision(action, reason, mode); err != nil {
			return nil, err
		}
		r.Queries, r.Attempts = a+aaaa+other, max(a, aaaa, other)
		r.First, r.Last = msTime(first), msTime(last)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: reading rows: %w", err)
	}
	return out, nil
}

// queryDropped sums the lookups lost in [since, until).
func queryDropped(ctx context.Context, db *dbx, since, until time.Time) (int64, error) {
	q := "SELECT CAST(coalesce(sum(lookups), 0) AS BIGINT) FROM dropped WHERE 1 = 1"
	var args []any
	lo, hi, hasLo, hasHi := bounds(since, until)
	if hasLo {
		q, args = q+" AND minute >= ?", append(args, lo)
	}
	if hasHi {
		q, args = q+" AND minute < ?", append(args, hi)
	}
	var n int64
	if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("journal: reading the dropped count: %w", err)
	}
	return n, nil
}

// deviceAndAction adds to a query's WHERE terms and arguments the filter's
// device (its name, or the client address a device shows as) and action:
// the same for the rows and the hourly totals.
func (f Filter) deviceAndAction(where []string, args []any) ([]string, []any) {
	if f.Device != "" {
		name, client := deviceFilter(f.Device)
		if client != "" {
			where, args = append(where, "(device = ? OR client = ?)"), append(args, name, client)
		} else {
			where, args = append(where, "device = ?"), append(args, name)
		}
	}
	if len(f.Devices) > 0 {
		where = append(where, "device IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.Devices)), ",")+")")
		for _, d := range f.Devices {
			args = append(args, d)
		}
	}
	if a, ok := f.Action.action(); ok {
		where, args = append(where, `"action" = ?`), append(args, a.String())
	}
	return where, args
}
