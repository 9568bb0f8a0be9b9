// Package configedit edits hearth.yaml for the dashboard: a group, a device,
// the household's settings, each changed in the file's own text so that its
// comments, order and formatting stay where nothing changed. Every edit is
// checked by the caller's checker (the one `hearth check-config` uses)
// before it is written, written atomically with the previous versions kept
// beside the file (hearth.yaml.1 newest .. hearth.yaml.3), and refused if the
// file changed since the caller read it (a version: the SHA-256 of its
// bytes).
//
// It knows the names of hearth.yaml's keys (groups, devices, timezone,
// calendar, blocking) but nothing of what they mean: that is internal/config's
// and policy's, reached only through the checker.
package configedit
