// Package policy decides, for each query, whether Hearth answers, blocks or
// rewrites it, and why. It works in three steps:
//
//   - compile (compile.go): Config.Validate and compile turn the
//     configuration into a plan, refusing a bad one with every problem;
//   - identify and decide (identify.go, policy.go, plan.go): Engine.Identify
//     finds the device behind a query and records the sighting (cached per
//     client, no allocation when cached); Engine.DecideInto then applies help
//     sites, allow entries, pauses, bedtime, the device's and the group's
//     rules with their time windows, safe search and bypass protection, in
//     that order (see decide), with no side effects;
//   - status (status.go): what each device is allowed now and this week, for
//     the dashboard.
//
// A Decision is a small value with typed reasons; text is made from it only
// where text is needed (logs, EDE, reports, `hearth explain`).
//
// Time is in policy/schedule, who a client is in policy/identity, saved
// state in policy/state; this package imports those three and blocklists,
// never the resolver, web or miekg/dns.
package policy
