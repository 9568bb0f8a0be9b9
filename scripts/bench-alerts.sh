#!/bin/sh
# The alerts hand-off on the query path (issue 17): allocations per query
# with alerts on must stay 0 on the UDP fast path. Run on a quiet machine;
# allocs/op and B/op are exact, ns/op indicative.
#   UDPWorker/blocked-journal  the baseline: a blocked name, journal on
#   UDPWorkerAlerts            the same with the alerts on and the name alerting
#   RecorderAlerts/*           internal/app's hand-off alone
set -eu
cd "$(dirname "$0")/.."
go test -run XXX -bench 'CacheHit|UDPWorker' -benchmem -benchtime 20000x -count 5 ./resolver/
go test -run XXX -bench 'RecorderAlerts' -benchmem -benchtime 200000x -count 5 ./internal/app/
