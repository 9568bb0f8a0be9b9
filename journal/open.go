package journal

// The Journal as its users see it: Open, Record (the DNS path), Close,
// Stats, and reading back. The writer goroutine is in writer.go.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
)

// errClosed is what reading a closed Journal gives.
var errClosed = errors.New("journal: closed")

// Options are what the Journal gets from the program rather than the
// configuration file.
type Options struct {
	Logger zerolog.Logger
	Clock  clock.Clock // nil: the system clock
	Dir    string      // the state directory: the default Path is Dir/journal.db
	// EventOutput, when set, is where the "blocked" log events go, buffered
	// and written a batch at a time (one write for many lines, not one per
	// lookup): the JSON log's own destination. Nil: through Logger, a
	// write per event (right for a console writer, which wants one event
	// per write).
	EventOutput io.Writer
}

// Fallbacks for a Config that was not validated (a zero Config in a test):
// the config loader's defaults.
const (
	fallbackQueue = 65536
	fallbackFlush = time.Second
)

// Timings of the writer, and the rows kept in memory that force a commit
// (and forgetting them) early.
const (
	pruneEvery = time.Hour
	retryEvery = time.Minute
	maxPending = 16_384
	// refreshEvery: a row of the open minute already in the database gets
	// its new counts written at most this often (and when its minute
	// closes); a new row is written at the next flush.
	refreshEvery = 10 * time.Second
)

// Journal is the persistent record of lookups. Open starts it; Record feeds
// it from the DNS path; Close stops it.
type Journal struct {
	cfg Config
	log zerolog.Logger
	// events logs the "blocked" events; eventBuf, if not nil, buffers them
	// until the writer has drained the queue.
	events   zerolog.Logger
	eventBuf *bufio.Writer
	clock    clock.Clock
	path     string

	// The queues (lanes): Record appends to one, the writer takes each
	// whole every drainEvery. Each grows to what the load needs, at most
	// cfg.Queue lookups. lanes[0] takes the lookups with Event.Queue 0,
	// the others those of the UDP workers (Event.Queue n), so the cores
	// answering DNS do not share a lock.
	lanes []*lane
	ctl   chan func() // runs on the writer goroutine (tests)
	stop  chan struct{}
	done  chan struct{}

	closing  atomic.Bool
	stopOnce sync.Once
	closeErr error // set by the writer before done is closed

	dropped atomic.Uint64 // lookups lost: queue full, memory bound, or Record after Close
	written atomic.Uint64 // lookups committed to the database

	// mu guards what Stats, Rows and Dropped read: the writer is the only
	// one to change these, so it reads them without the lock.
	mu      sync.RWMutex
	st      *store    // nil while the database is unavailable
	mem     *memStore // non-nil while st is nil
	lastErr string
	rows    int64 // rows in the database
	size    int64 // bytes on disk (pages + WAL)

	// Writer goroutine only.
	pending    map[key]*vals // the rows of the open minute(s), written or not
	batch      map[key]*vals // the rows a flush writes (reused)
	flood      *floodGuard   // nil: no budget
	dropsSeen  uint64        // the part of dropped already stored
	lostWarned bool          // the memory bound's warning was given
	walStuck   bool          // the last prune could not empty the WAL
	logLimit   logLimiter    // the "blocked" events' lines per device
	rowWrites  int64         // rows written (inserted or updated) since Open

	logSuppressed atomic.Uint64 // "blocked" events left out by the log limit since Open
}

// Open starts the journal and its writer goroutine. It never fails: a
// database that cannot be opened (read-only or missing directory that
// cannot be created, disk full, a file newer hearth wrote) is logged at
// Error level with what to do, and the journal keeps rows in memory (at
// most memoryRows, the oldest dropped) and tries the database again every
// minute, moving the rows there when it opens. A corrupt file (SQLITE_CORRUPT
// or SQLITE_NOTADB, or a failed quick_check) is renamed to
// journal.db.corrupt-YYYYMMDDTHHMMSS (UTC) and a new one started.
//
// Open checks the file (quick_check) before it returns: about a second per
// few hundred MB. A Config that was not validated gets the defaults for a
// Queue or FlushInterval that is not positive; RetentionDays or MaxSizeMB
// that are not positive turn that limit off.
func Open(cfg Config, opts Options) *Journal {
	if cfg.Queue <= 0 {
		cfg.Queue = fallbackQueue
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = fallbackFlush
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	j := &Journal{
		cfg:     cfg,
		log:     opts.Logger,
		events:  opts.Logger,
		clock:   opts.Clock,
		path:    where(cfg, opts.Dir),
		lanes:   newLanes(runtime.GOMAXPROCS(0)),
		batch:   make(map[key]*vals),
		ctl:     make(chan func()),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		pending: make(map[key]*vals),
		flood:   newFloodGuard(cfg.Flood.NamesPerMinute),
	}
	if opts.EventOutput != nil {
		j.eventBuf = bufio.NewWriterSize(opts.EventOutput, 64<<10)
		j.events = opts.Logger.Output(j.eventBuf)
	}
	if !j.open() {
		j.mem = newMemStore(memoryRows)
	}
	go j.run()
	return j
}

// Record queues e for the writer without waiting, on the queue e.Queue
// names: when that queue is full (Config.Queue lookups) e is counted as
// dropped. Record keeps no string of e that could be a view of
// the caller's reused buffer: e.Name is copied the first time it is seen in
// the current minute (later lookups of it use that copy: no allocation).
// The other strings (Device, Group, Category, Service, List, Rule, Window,
// Response) must be long-lived ones (the configuration's, constants): they
// are kept as they are. Safe for concurrent use; it holds a lock only to
// look the name up and append, and allocates only for a name new this
// minute or while the queue grows to the load's size. Lookups recorded
// after Close are counted as dropped; one racing with Close may be lost
// without being counted. A nil *Journal records nothing.
func (j *Journal) Record(e Event) {
	if j == nil {
		return
	}
	if j.closing.Load() {
		j.dropped.Add(1)
		return
	}
	if e.Time.IsZero() {
		e.Time = j.clock.Now()
	}
	l := j.laneOf(e.Queue)
	m := minuteOf(e.Time)
	l.mu.Lock()
	if len(l.buf) < j.cfg.Queue {
		if l.buf == nil {
			l.buf = make([]Event, 0, initialQueue)
		}
		e.Name = l.intern(e.Name, m)
		l.buf = append(l.buf, e)
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	j.dropped.Add(1)
}

// lane is one of the journal's queues, on cache lines of its own.
type lane struct {
	_           [64]byte
	mu          sync.Mutex
	buf         []Event
	names       map[string]string // copies of the names of the minute namesMinute
	namesMinute int64
	spare       []Event // writer goroutine only: the buffer it last emptied, given back at the next drain
	_           [64]byte
}

// maxLanes bounds the UDP workers' lanes (Hearth runs one worker per core
// and listen address).
const maxLanes = 16

// newLanes returns the shared lane and one per core, up to maxLanes. A
// lane's buffer and names are made at its first lookup.
func newLanes(cores int) []*lane {
	ls := make([]*lane, 1+min(max(cores, 1), maxLanes))
	for i := range ls {
		ls[i] = &lane{}
	}
	return ls
}

// laneOf is the lane of Event.Queue q: 0 the shared one, the others spread
// over the workers' lanes.
func (j *Journal) laneOf(q int) *lane {
	if q <= 0 {
		return j.lanes[0]
	}
	return j.lanes[1+(q-1)%(len(j.lanes)-1)]
}

// internNames bounds the names remembered for Record within a minute; past
// it they are forgotten (and copied again when seen again).
const internNames = 1 << 15

// intern gives the lane's own copy of name, made the first time it is seen
// in minute m (or since the table was last full). Under l.mu.
func (l *lane) intern(name string, m int64) string {
	if l.names == nil {
		l.names = make(map[string]string)
	}
	if m > l.namesMinute || len(l.names) >= internNames {
		l.namesMinute = max(m, l.namesMinute)
		if len(l.names) > floodShrink {
			l.names = make(map[string]string)
		} else {
			clear(l.names)
		}
	}
	if s, ok := l.names[name]; ok {
		return s
	}
	s := strings.Clone(name)
	l.names[s] = s
	return s
}

// initialQueue is a lane's first capacity: it grows (up to Config.Queue)
// only as far as the load needs, so an idle Hearth does not hold a queue
// sized for a flood.
const initialQueue = 256

// take hands the writer what is queued in l, giving back the buffer it
// finished with (its capacity is kept, so a steady load does not allocate).
func (l *lane) take(done []Event) []Event {
	clear(done) // drop the strings it held
	l.mu.Lock()
	batch := l.buf
	l.buf = done[:0]
	l.mu.Unlock()
	return batch
}

// queued is how many lookups wait for the writer.
func (j *Journal) queued() int {
	n := 0
	for _, l := range j.lanes {
		l.mu.Lock()
		n += len(l.buf)
		l.mu.Unlock()
	}
	return n
}

// Close stops taking lookups, writes everything queued and pending to the
// database, and stops the writer. If ctx ends first Close returns its
// error and the writer finishes on its own. While the database is
// unavailable Close tries it once more; if that fails, the rows kept in
// memory are lost and the error says how many. Close may be called more
// than once.
func (j *Journal) Close(ctx context.Context) error {
	j.stopOnce.Do(func() {
		j.closing.Store(true)
		close(j.stop)
	})
	select {
	case <-j.done:
		return j.closeErr
	case <-ctx.Done():
		return fmt.Errorf("journal: closing: %w", ctx.Err())
	}
}

// Stats describe the journal for the dashboard and metrics.
type Stats struct {
	Queued    int    // lookups waiting for the writer
	Dropped   uint64 // lookups lost since Open (queue full, memory bound)
	Written   uint64 // lookups committed to the database since Open
	Rows      int64  // rows in the database (or in memory)
	SizeBytes int64  // the database on disk, WAL included; 0 in memory
	InMemory  bool   // the database is unavailable: rows are kept in memory
	LastError string // the last error opening or writing the database; "" if none
	// LogSuppressed counts the "blocked" log events left out by the
	// per-device log limit since Open (summed up in one line a minute).
	LogSuppressed uint64
}

// Stats returns the journal's current figures. Cheap: no database access.
func (j *Journal) Stats() Stats {
	j.mu.RLock()
	defer j.mu.RUnlock()
	s := Stats{
		Queued:    j.queued(),
		Dropped:   j.dropped.Load(),
		Written:   j.written.Load(),
		Rows:      j.rows,
		SizeBytes: j.size,
		InMemory:  j.st == nil && j.mem != nil,
		LastError: j.lastErr,

		LogSuppressed: j.logSuppressed.Load(),
	}
	if j.mem != nil {
		s.Rows = int64(j.mem.len())
	}
	return s
}

// Rows reads rows from the database, or from memory while it is
// unavailable. Lookups not yet committed are not included: a name new in
// its minute is committed at the next flush (FlushInterval), more lookups
// of a row already committed at most refreshEvery (10 s) later or when the
// minute closes.
func (j *Journal) Rows(ctx context.Context, f Filter) ([]Row, error) {
	j.mu.RLock()
	st := j.st
	if st == nil {
		defer j.mu.RUnlock()
		if j.mem == nil {
			return nil, errClosed
		}
		return j.mem.query(f), nil
	}
	j.mu.RUnlock()
	// Outside the lock, so a long read never holds up the writer. If the
	// writer gives up on the database meanwhile, this read fails.
	return queryRows(ctx, st.db, f)
}

// Dropped sums the lookups lost in [since, until) (a zero time: no bound),
// by the minute in which the writer noticed them. Those not yet committed
// are not included.
func (j *Journal) Dropped(ctx context.Context, since, until time.Time) (int64, error) {
	j.mu.RLock()
	st := j.st
	if st == nil {
		defer j.mu.RUnlock()
		if j.mem == nil {
			return 0, errClosed
		}
		return j.mem.dropped(since, until), nil
	}
	j.mu.RUnlock()
	return queryDropped(ctx, st.db, since, until)
}

// open tries the database, moving a corrupt file aside, and reports
// whether it is now in use. Writer goroutine (or Open) only.
func (j *Journal) open() bool {
	ctx := context.Background()
	var st *store
	var err error
	if j.cfg.Postgres != "" {
		st, err = openPostgres(ctx, j.cfg.Postgres, j.maxBytes())
	} else {
		st, err = openStore(ctx, j.path, j.maxBytes())
	}
	if err != nil && isCorrupt(err) {
		aside, rerr := j.moveAside()
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("moving it aside: %w", rerr))
		} else {
			j.log.Error().Err(err).Str("path", j.path).Str("moved_to", aside).
				Msg("journal: the database file is corrupt; moved it aside and started a new journal (the old rows are in the moved file)")
			st, err = openStore(ctx, j.path, j.maxBytes())
		}
	}
	if err == nil {
		var n int64
		var pages, wal int64
		if n, err = st.count(ctx); err == nil {
			pages, wal, err = st.size(ctx)
		}
		if err != nil {
			st.close()
		} else {
			j.mu.Lock()
			j.st, j.rows, j.size = st, n, pages+wal
			j.mu.Unlock()
			return true
		}
	}
	j.mu.Lock()
	first := j.lastErr == ""
	changed := j.lastErr != err.Error()
	j.lastErr = err.Error()
	j.mu.Unlock()
	switch {
	case first || changed:
		j.log.Error().Err(err).Str("path", j.path).Str("fix", j.hint(err)).
			Msgf("journal: cannot open the database; keeping lookups in memory (at most %d rows, lost on restart) and trying again %s", memoryRows, j.retryText())
	default:
		j.log.Debug().Err(err).Str("path", j.path).Msg("journal: the database is still unavailable")
	}
	return false
}

// moveAside renames a corrupt database (and its WAL, which must not be
// replayed into the new file) to journal.db.corrupt-YYYYMMDDTHHMMSS.
func (j *Journal) moveAside() (string, error) {
	aside, err := atomicfile.SetAside(j.path, j.clock.Now())
	if err != nil {
		return "", err
	}
	if err := os.Rename(j.path+"-wal", aside+"-wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return aside, err
	}
	if err := os.Remove(j.path + "-shm"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return aside, err
	}
	return aside, nil
}

func (j *Journal) maxBytes() int64 {
	if j.cfg.MaxSizeMB <= 0 {
		return 0
	}
	return int64(j.cfg.MaxSizeMB) << 20
}
