// Package doctor checks a Raspberry Pi install for what usually goes wrong
// (ports, upstreams, clock, time zone, lists, journal, router) and returns
// each result as a Finding: which check, ok, warn or fail, what was found
// and what to do. It changes nothing and downloads nothing. `hearth doctor`
// prints the findings.
//
// It reads saved state only through the owning packages' read-only readers
// (policy's for the devices seen, journal's Reader), never parsing a state
// file itself.
package doctor
