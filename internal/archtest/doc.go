// Package archtest holds no code, only a test: that each of Hearth's
// packages imports only what docs/architecture.md allows it to (the query
// path never reaches the dashboard, policy never reaches sockets, lists know
// nothing of devices or time).
package archtest
