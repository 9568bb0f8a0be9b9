// Package upstream sends DNS queries to the servers that really resolve them:
// plain DNS over UDP/TCP, DNS-over-TLS and DNS-over-HTTPS, with bootstrap
// resolution of DoT/DoH host names and a Group that picks among several
// servers by recent latency.
//
// A Group is built once from Config; its Exchange is the only call on the
// query path. See README.md for the configuration and strategies.
package upstream
