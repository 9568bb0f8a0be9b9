// Package report turns the journal of blocked lookups into a short report a
// parent reads to start a conversation with their child ("Your tablet tried
// Discord 40 times after bedtime this week; shall we talk about who you chat
// with?"). It counts tries, not packets, by device, category, service, hour
// and reason; compares them with the period before; names the services seen
// for the first time; matches conversation starters to what was seen; and
// ends with where to get help. It never lists the names a child looked up:
// it is a prompt for talking, not a surveillance tool.
//
// Build makes a Report from a Source (the journal or its read-only Reader);
// Text, JSON and HTML write it out. Build does the counting; the writers only
// format.
package report
