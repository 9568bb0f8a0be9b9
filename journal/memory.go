package journal

// The memory fallback: where rows go while the database cannot be opened
// or written, bounded, and answering Rows and Dropped like the database.

import (
	"cmp"
	"slices"
	"time"
)

// memoryRows bounds the fallback; past it the oldest rows are dropped (and
// their lookups counted as dropped). About 300 bytes a row: ~30 MB.
const memoryRows = 100_000

// memStore holds rows while there is no database. The Journal's mutex
// guards it: the writer changes it, Rows and Dropped read it.
type memStore struct {
	rows  map[key]*vals
	order []key // keys in the order first seen (by minute within a batch), from head
	head  int
	drops map[int64]int64 // lookups lost, by minute
	limit int
}

func newMemStore(limit int) *memStore {
	return &memStore{rows: map[key]*vals{}, drops: map[int64]int64{}, limit: limit}
}

// add merges a batch into the store and returns how many lookups it had
// to drop (the oldest rows') to stay within its limit.
func (m *memStore) add(rows map[key]*vals, drops map[int64]int64) (lost int64) {
	first := len(m.order)
	for k, v := range rows {
		if old, ok := m.rows[k]; ok {
			old.merge(v)
			continue
		}
		c := *v
		m.rows[k] = &c
		m.order = append(m.order, k)
	}
	// A batch comes as a map: put its new rows in time order.
	slices.SortFunc(m.order[first:], func(a, b key) int { return cmp.Compare(a.minute, b.minute) })
	for minute, n := range drops {
		if n != 0 {
			m.drops[minute] += n
		}
	}
	for len(m.rows) > m.limit {
		k := m.order[m.head]
		m.order[m.head] = key{}
		m.head++
		lost += m.rows[k].queries()
		delete(m.rows, k)
	}
	if m.head > len(m.order)/2 {
		m.order = slices.Delete(m.order, 0, m.head)
		m.head = 0
	}
	return lost
}

func (m *memStore) len() int { return len(m.rows) }

// query answers Rows as queryRows does.
func (m *memStore) query(f Filter) []Row {
	lo, hi, hasLo, hasHi := bounds(f.Since, f.Until)
	name, client := deviceFilter(f.Device)
	var out []Row
	for k, v := range m.rows {
		switch {
		case hasLo && k.minute < lo, hasHi && k.minute >= hi:
			continue
		case !f.Action.Has(k.action):
			continue
		case f.Device != "" && k.device != name && (client == "" || addrString(k.client) != client):
			continue
		case len(f.Devices) > 0 && !slices.Contains(f.Devices, k.device):
			continue
		}
		out = append(out, row(k, v))
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(a.Minute.Compare(b.Minute), cmp.Compare(a.Device, b.Device),
			cmp.Compare(a.Client, b.Client), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Action, b.Action))
	})
	if f.Limit > 0 {
		slices.Reverse(out)
		if len(out) > f.Limit {
			out = out[:f.Limit]
		}
	}
	return out
}

// dropped answers Dropped as queryDropped does.
func (m *memStore) dropped(since, until time.Time) int64 {
	lo, hi, hasLo, hasHi := bounds(since, until)
	var n int64
	for minute, d := range m.drops {
		if (!hasLo || minute >= lo) && (!hasHi || minute < hi) {
			n += d
		}
	}
	return n
}
