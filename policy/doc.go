// Package policy decides, for each query, whether Hearth answers, blocks or
// rewrites it, and why: it identifies the device behind a query, finds its
// group, and applies help sites, allow entries, pauses, bedtime, the
// device's and the group's rules with their time windows, safe search and
// bypass protection, in that order (see decide). A Decision is a small value
// with typed reasons; text is made from it only where text is needed (logs,
// EDE, reports, `hearth explain`).
package policy
