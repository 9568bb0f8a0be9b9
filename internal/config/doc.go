// Package config loads hearth.yaml: the embedded default (default.yaml), then
// the file, then HEARTH_* environment variables, then command-line flags,
// layered with viper and decoded strictly into Config. Every problem (unknown
// key, wrong type, invalid value) is returned at once and located where the
// value was set: "hearth.yaml:7", "env HEARTH_CACHE_SIZE" or "flag --listen".
// Inside lists and maps of sections (devices, groups, lists.sources) each key
// and item has its own line, so a problem deep inside is reported on it
// (hearth.yaml:14: unknown key "groups.kids.rules[1].outsde").
package config
