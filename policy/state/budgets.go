package state

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// Daily budgets' minutes: for each owner (a person, or a device nobody
// owns) and budget, which minutes of the household's day were used. A
// minute is one bit, so a minute used on two devices of one child counts
// once. The query path marks bits with atomic operations and allocates
// nothing once the owner's Counter exists; the store saves them (Save, off
// the query path) and restores them on start, so a restart in the middle
// of a day loses at most the minutes since the last save.

// DayMinutes is how many minutes a household day can have: 25 hours, on
// the day the clocks go back.
const DayMinutes = 25 * 60

const counterWords = (DayMinutes + 63) / 64

// Counter is one owner's used minutes of one budget, for one day.
type Counter struct {
	day  atomic.Int32 // Day the bits are of; 0: none yet
	used atomic.Int32 // bits set
	bits [counterWords]atomic.Uint64
	mu   sync.Mutex // serialises the reset at a new day
}

// Mark records minute (minutes since the household's midnight) of day as
// used and reports whether it was new. It takes no lock and allocates
// nothing, but at the first mark of a new day.
func (c *Counter) Mark(day int32, minute int) bool {
	if minute < 0 || minute >= DayMinutes {
		return false
	}
	if c.day.Load() != day {
		c.reset(day)
	}
	bit := uint64(1) << (minute % 64)
	w := &c.bits[minute/64]
	if w.Load()&bit != 0 {
		return false
	}
	if w.Or(bit)&bit != 0 {
		return false // another device marked it first
	}
	c.used.Add(1)
	return true
}

// reset starts day with no minute used (if another caller has not).
func (c *Counter) reset(day int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.day.Load() == day {
		return
	}
	for i := range c.bits {
		c.bits[i].Store(0)
	}
	c.used.Store(0)
	c.day.Store(day)
}

// Used returns the minutes of day used so far (0 for another day).
func (c *Counter) Used(day int32) int {
	if c.day.Load() != day {
		return 0
	}
	return int(c.used.Load())
}

// Has reports whether minute of day is used.
func (c *Counter) Has(day int32, minute int) bool {
	if minute < 0 || minute >= DayMinutes || c.day.Load() != day {
		return false
	}
	return c.bits[minute/64].Load()&(1<<(minute%64)) != 0
}

// load sets the counter to day's saved bits.
func (c *Counter) load(day int32, words []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for i := range c.bits {
		var w uint64
		if i < len(words) {
			w = words[i]
		}
		c.bits[i].Store(w)
		n += bits.OnesCount64(w)
	}
	c.used.Store(int32(n))
	c.day.Store(day)
}

// snapshot returns the day and its bits.
func (c *Counter) snapshot() (int32, []uint64) {
	day := c.day.Load()
	words := make([]uint64, counterWords)
	for i := range c.bits {
		words[i] = c.bits[i].Load()
	}
	return day, words
}

// Budgets holds the counters of every owner and budget and saves them to
// one JSON file (BudgetsFile). Safe for concurrent use.
type Budgets struct {
	path     string // "": memory only
	readOnly bool
	mu       sync.Mutex
	m        map[string]*Counter // by budgetKey(owner, budget)
	history  map[historyKey]int  // minutes used, by owner, budget and day
}

// historyKey is one owner's budget on one day.
type historyKey struct {
	Owner, Budget string
	Day           int32
}

// HistoryDays is how many days of minutes used the budgets file keeps for
// the report (a month and the week before it).
const HistoryDays = 38

// BudgetUse is the minutes one owner used of one budget on one day (Day as
// state.Day gives it).
type BudgetUse struct {
	Owner  string `json:"owner"`  // "person:alex", "device:tv", "new-devices:kids"
	Budget string `json:"budget"` // the budget's id ("gaming", "tiktok,youtube")
	Day    int32  `json:"day"`
	Used   int    `json:"used"`
}

// budgetsVersion is the "version" written to the budgets file.
const budgetsVersion = 1

type budgetsFile struct {
	Version int            `json:"version"`
	Counts  []budgetRecord `json:"counts"`
	History []BudgetUse    `json:"history,omitempty"` // minutes used on each recent day, for the report
}

// budgetRecord is one counter on disk: Minutes are the day's bits, as
// little-endian 64-bit words, in base64.
type budgetRecord struct {
	Owner   string `json:"owner"`  // "person:alex", "device:tv", "new-devices:kids"
	Budget  string `json:"budget"` // the budget's id: its what, sorted ("tiktok,youtube")
	Day     int32  `json:"day"`    // see Day
	Used    int    `json:"used"`   // minutes used, for people reading the file
	Minutes string `json:"minutes"`
}

func budgetKey(owner, budget string) string { return owner + "\x00" + budget }

// OpenBudgets loads the counters saved at path ("" keeps them in memory).
// A missing file is an empty store; one that cannot be parsed is set aside
// and reported, and the store starts empty (the day's minutes are
// forgotten). A file that cannot be read gives a nil store and the error.
func OpenBudgets(path string) (*Budgets, error) {
	return openBudgets(path, false)
}

// OpenBudgetsReadOnly loads the counters at path for a program that must
// not write (hearth explain): Save does nothing and a damaged file stays.
func OpenBudgetsReadOnly(path string) (*Budgets, error) {
	return openBudgets(path, true)
}

func openBudgets(path string, readOnly bool) (*Budgets, error) {
	b := &Budgets{path: path, readOnly: readOnly, m: map[string]*Counter{}, history: map[historyKey]int{}}
	if path == "" {
		return b, nil
	}
	var f budgetsFile
	what := ""
	if readOnly {
		what = "the minutes used of daily budgets"
	}
	fatal, err := loadState(path, &f, "forgetting the minutes used today", what)
	if fatal {
		return nil, fmt.Errorf("policy: budgets: %w", err)
	}
	if err != nil {
		return b, fmt.Errorf("policy: budgets: %w", err)
	}
	if f.Version != 0 && f.Version != budgetsVersion {
		return b, fmt.Errorf("policy: budgets: %s: unsupported version %d (want %d); starting with no minutes used", path, f.Version, budgetsVersion)
	}
	for _, u := range f.History {
		if u.Owner != "" && u.Budget != "" && u.Used > 0 {
			b.history[historyKey{u.Owner, u.Budget, u.Day}] = u.Used
		}
	}
	var errs []error
	for i, r := range f.Counts {
		raw, err := base64.StdEncoding.DecodeString(r.Minutes)
		if err != nil || len(raw)%8 != 0 || len(raw) > counterWords*8 || r.Owner == "" || r.Budget == "" {
			errs = append(errs, fmt.Errorf("policy: budgets: %s: dropped counts[%d] (%s, %s): damaged", path, i, r.Owner, r.Budget))
			continue
		}
		words := make([]uint64, len(raw)/8)
		for j := range words {
			for k := 7; k >= 0; k-- {
				words[j] = words[j]<<8 | uint64(raw[j*8+k])
			}
		}
		c := &Counter{}
		c.load(r.Day, words)
		b.m[budgetKey(r.Owner, r.Budget)] = c
	}
	return b, errors.Join(errs...)
}

// Counter returns the counter of owner's budget, made if new. The policy
// engine asks for it when it compiles a configuration, never per query.
func (b *Budgets) Counter(owner, budget string) *Counter {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := budgetKey(owner, budget)
	c := b.m[k]
	if c == nil {
		c = &Counter{}
		b.m[k] = c
	}
	return c
}

// Save writes the counters of the latest day any counter has to the file,
// atomically (older days are of no use). Off the
// query path (the engine saves once a minute and when it stops).
func (b *Budgets) Save() error {
	if b.path == "" || b.readOnly {
		return nil
	}
	b.mu.Lock()
	keys := make([]string, 0, len(b.m))
	for k := range b.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	f := budgetsFile{Version: budgetsVersion, Counts: []budgetRecord{}}
	var latest int32 // only the latest day's counts matter; older ones are dropped
	for _, c := range b.m {
		latest = max(latest, c.day.Load())
	}
	for _, k := range keys {
		day, words := b.m[k].snapshot()
		if day == 0 || day != latest {
			continue
		}
		raw := make([]byte, 0, len(words)*8)
		n := 0
		for _, w := range words {
			n += bits.OnesCount64(w)
			for k := 0; k < 8; k++ {
				raw = append(raw, byte(w>>(8*k)))
			}
		}
		owner, budget, _ := strings.Cut(k, "\x00")
		f.Counts = append(f.Counts, budgetRecord{Owner: owner, Budget: budget, Day: day, Used: n, Minutes: base64.StdEncoding.EncodeToString(raw)})
		if n > 0 {
			b.history[historyKey{owner, budget, day}] = n
		}
	}
	f.History = b.historyLocked(latest)
	b.mu.Unlock()
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(b.path, append(data, '\n'), 0o600)
}

// History returns the minutes used of every budget on each of the last
// HistoryDays days up to the latest day counted, oldest first: what the
// budgets file keeps for the report.
func (b *Budgets) History() []BudgetUse {
	b.mu.Lock()
	defer b.mu.Unlock()
	var latest int32
	for _, c := range b.m {
		latest = max(latest, c.day.Load())
	}
	for k, c := range b.m { // the minutes counted since the last save

		if day := c.day.Load(); day != 0 && c.used.Load() > 0 {
			owner, budget, _ := strings.Cut(k, "\x00")
			b.history[historyKey{owner, budget, day}] = int(c.used.Load())
		}
	}
	return b.historyLocked(latest)
}

// historyLocked lists the history of the HistoryDays days up to latest,
// dropping older days; b.mu is held.
func (b *Budgets) historyLocked(latest int32) []BudgetUse {
	oldest := dayAdd(latest, -(HistoryDays - 1))
	out := []BudgetUse{}
	for k, used := range b.history {
		if k.Day < oldest {
			delete(b.history, k)
			continue
		}
		out = append(out, BudgetUse{Owner: k.Owner, Budget: k.Budget, Day: k.Day, Used: used})
	}
	slices.SortFunc(out, func(x, y BudgetUse) int {
		return cmp.Or(cmp.Compare(x.Day, y.Day), cmp.Compare(x.Owner, y.Owner), cmp.Compare(x.Budget, y.Budget))
	})
	return out
}

// dayAdd is the Day n days after day (n may be negative).
func dayAdd(day int32, n int) int32 {
	if day == 0 {
		return 0
	}
	t := time.Date(int(day/512), time.Month(day%512/32), int(day%32), 12, 0, 0, 0, time.UTC)
	return Day(t.AddDate(0, 0, n))
}
