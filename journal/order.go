package journal

import (
	"cmp"
	"iter"
	"maps"
	"slices"
)

// inOrder walks a batch's rows: in key order on PostgreSQL, where two
// Hearths may upsert the same rows at once and must take their row locks
// in the same order (else each waits for the other: a deadlock, which the
// server breaks by failing one commit); in the map's order on SQLite, which
// has one writer.
func inOrder(d dialect, rows map[key]*vals) iter.Seq2[key, *vals] {
	if d != dialectPostgres {
		return maps.All(rows)
	}
	keys := slices.SortedFunc(maps.Keys(rows), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.minute, b.minute), cmp.Compare(a.device, b.device),
			a.client.Compare(b.client), cmp.Compare(a.name, b.name), cmp.Compare(a.action, b.action))
	})
	return func(yield func(key, *vals) bool) {
		for _, k := range keys {
			if !yield(k, rows[k]) {
				return
			}
		}
	}
}

// totalsInOrder is inOrder for the hourly totals.
func totalsInOrder(d dialect, tot map[totalKey]*totalVals) iter.Seq2[totalKey, *totalVals] {
	if d != dialectPostgres {
		return maps.All(tot)
	}
	keys := slices.SortedFunc(maps.Keys(tot), func(a, b totalKey) int {
		return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.device, b.device), cmp.Compare(a.client, b.client),
			cmp.Compare(a.action, b.action), cmp.Compare(a.reason, b.reason), cmp.Compare(a.mode, b.mode),
			cmp.Compare(a.category, b.category), cmp.Compare(a.service, b.service))
	})
	return func(yield func(totalKey, *totalVals) bool) {
		for _, k := range keys {
			if !yield(k, tot[k]) {
				return
			}
		}
	}
}
