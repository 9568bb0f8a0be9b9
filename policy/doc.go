// Package policy decides, for each query, whether Hearth answers or blocks
// it, and why. A Decision is a small value with typed reasons; text is made
// from it only where text is needed (logs, EDE, reports).
//
// This first version blocks the same categories and services for every
// device (`blocking.block`); devices, groups and schedules build on it.
package policy
