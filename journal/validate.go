package journal

import (
	"path/filepath"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Bounds of the configuration values that Validate accepts.
const (
	minRetentionDays = 1
	maxRetentionDays = 3650
	minMaxSizeMB     = 1
	maxMaxSizeMB     = 100_000
	minQueue         = 100
	maxQueue         = 10_000_000
	minFlushInterval = 100 * time.Millisecond
	maxFlushInterval = time.Minute
	minFloodNames    = 10
	maxFloodNames    = 1_000_000
)

// Validate returns every problem in c, each a *fielderr.Error whose key
// starts with prefix (e.g. "journal.queue"). Defaults are the config
// loader's business; a zero value here is an error.
func (c Config) Validate(prefix string) []error {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	var errs []error
	if c.RetentionDays < minRetentionDays || c.RetentionDays > maxRetentionDays {
		errs = append(errs, fielderr.New(key("retention_days"), "%d is out of range; use %d to %d days", c.RetentionDays, minRetentionDays, maxRetentionDays))
	}
	if c.MaxSizeMB < minMaxSizeMB || c.MaxSizeMB > maxMaxSizeMB {
		errs = append(errs, fielderr.New(key("max_size_mb"), "%d is out of range; use %d to %d MB", c.MaxSizeMB, minMaxSizeMB, maxMaxSizeMB))
	}
	if c.Queue < minQueue || c.Queue > maxQueue {
		errs = append(errs, fielderr.New(key("queue"), "%d is out of range; use %d to %d lookups", c.Queue, minQueue, maxQueue))
	}
	if c.FlushInterval < minFlushInterval || c.FlushInterval > maxFlushInterval {
		errs = append(errs, fielderr.New(key("flush_interval"), "%s is out of range; use %s to %s", c.FlushInterval, minFlushInterval, maxFlushInterval))
	}
	if n := c.Flood.NamesPerMinute; n != 0 && (n < minFloodNames || n > maxFloodNames) {
		errs = append(errs, fielderr.New(key("flood.names_per_minute"), "%d is out of range; use 0 (no budget) or %d to %d names a minute", n, minFloodNames, maxFloodNames))
	}
	if c.Postgres != "" {
		if _, err := ParsePostgres(c.Postgres); err != nil {
			errs = append(errs, fielderr.New(key("postgres"), "%v; use postgres://user:password@host:port/database", err))
		}
	}
	return errs
}

// FileName is the journal's database in the state directory, unless
// journal.path says otherwise.
const FileName = "journal.db"

// where names the journal's database in logs: the file, or the PostgreSQL
// address without its password.
func where(cfg Config, dir string) string {
	if cfg.Postgres != "" {
		return PostgresName(cfg.Postgres)
	}
	return DefaultPath(cfg, dir)
}

// retryText says when an unavailable database is tried again.
func (j *Journal) retryText() string {
	if j.cfg.Postgres != "" {
		return "at every flush"
	}
	return "every minute"
}

// hint says what to do about an error opening or writing the database.
func (j *Journal) hint(err error) string {
	if j.cfg.Postgres != "" {
		return pgHint(err, j.path)
	}
	return hint(err, j.path)
}

// DefaultPath returns cfg.Path, or FileName in the state directory dir.
func DefaultPath(cfg Config, dir string) string {
	if cfg.Path != "" {
		return cfg.Path
	}
	return filepath.Join(dir, FileName)
}
