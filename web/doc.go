// Package web is Hearth's family dashboard: an HTTP server in the `hearth
// serve` process with the JSON admin API under /api/, server-rendered pages
// for a phone, and Prometheus metrics at /metrics.
//
// It reads state from the policy engine and the journal and asks the policy
// engine for changes (pauses, bonus time, device names); the DNS path never
// depends on it.
package web
