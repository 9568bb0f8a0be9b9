package journal

import "time"

// Config is the `journal:` section.
type Config struct {
	// Enabled: false keeps no journal at all (and so no report).
	Enabled bool `mapstructure:"enabled"`
	// Path of the database; "" is journal.db in the state directory.
	Path string `mapstructure:"path"`
	// Postgres, when set, keeps the journal in that PostgreSQL database
	// (postgres://user:password@host:port/database, or key=value) instead
	// of the SQLite file at Path: several Hearths may write the same one.
	Postgres string `mapstructure:"postgres"`
	// RetentionDays: rows older than this are deleted.
	RetentionDays int `mapstructure:"retention_days"`
	// MaxSizeMB bounds the database on disk; the oldest rows go first.
	MaxSizeMB int `mapstructure:"max_size_mb"`
	// Queue is how many lookups may wait for the writer; past it they are
	// counted as dropped (and the count is recorded).
	Queue int `mapstructure:"queue"`
	// FlushInterval is how often the writer commits a batch: if Hearth is
	// killed (kill -9, a crash) at most this much is lost. A power cut may
	// also lose commits since the last WAL checkpoint; the database is never
	// corrupt either way.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// LogBlocked writes one log event ("event":"blocked") per blocked
	// lookup, from the writer, never from the DNS path.
	LogBlocked bool `mapstructure:"log_blocked"`
	// Flood bounds what one device can write in a minute.
	Flood FloodConfig `mapstructure:"flood"`
}

// FloodConfig is the `journal.flood:` section.
type FloodConfig struct {
	// NamesPerMinute is how many different names a device may have
	// journaled as rows of their own in one minute; the lookups of further
	// names are folded into one row per device and decision (rule,
	// service, list, category), with a count of the names. 0: no budget.
	NamesPerMinute int `mapstructure:"names_per_minute"`
}
