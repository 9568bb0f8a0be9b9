-- The journal's tables, as SQLite's schema version 2 has them. minute is
-- Unix seconds / 60 (UTC), hour Unix seconds / 3600; the rows carry no
-- node name: two Hearths add their counts to the same row. The key columns
-- sort bytewise (COLLATE "C"), as SQLite does, whatever the server's locale.
CREATE TABLE lookups (
	minute   BIGINT NOT NULL,
	device   TEXT COLLATE "C" NOT NULL,
	client   TEXT COLLATE "C" NOT NULL,
	name     TEXT COLLATE "C" NOT NULL,
	"action" TEXT COLLATE "C" NOT NULL,
	"group"  TEXT NOT NULL,
	reason   TEXT NOT NULL,
	mode     TEXT NOT NULL,
	category TEXT NOT NULL,
	service  TEXT NOT NULL,
	list     TEXT NOT NULL,
	rule     TEXT NOT NULL,
	"window" TEXT NOT NULL,
	response TEXT NOT NULL,
	a        BIGINT NOT NULL,
	aaaa     BIGINT NOT NULL,
	other    BIGINT NOT NULL,
	folded   BIGINT NOT NULL DEFAULT 0,
	first_ms BIGINT NOT NULL DEFAULT 0,
	last_ms  BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (minute, device, client, name, "action")
);
CREATE INDEX lookups_device ON lookups (device, minute);
CREATE TABLE dropped (
	minute  BIGINT PRIMARY KEY,
	lookups BIGINT NOT NULL
);
CREATE TABLE totals (
	hour     BIGINT NOT NULL,
	device   TEXT COLLATE "C" NOT NULL,
	client   TEXT COLLATE "C" NOT NULL,
	"action" TEXT COLLATE "C" NOT NULL,
	reason   TEXT NOT NULL,
	mode     TEXT NOT NULL,
	category TEXT NOT NULL,
	service  TEXT NOT NULL,
	queries  BIGINT NOT NULL,
	attempts BIGINT NOT NULL,
	PRIMARY KEY (hour, device, client, "action", reason, mode, category, service)
);
