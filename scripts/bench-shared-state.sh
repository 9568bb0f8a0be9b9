#!/usr/bin/env bash
# The cost of shared state (issue 19), for a quiet machine:
# 1. how long a change made on one node takes to reach the other (p50/p99 over 1,000 changes: 500
#    pauses added and 500 cancelled), through a real redis-server on loopback (build tag redis);
# 2. the query hot path's allocations, which shared state must leave at 0 (nothing on it touches Redis).
# Cache-hit throughput with state.redis on versus off: the hot path is the same code either way
# (internal/cluster runs beside it); to see it, run scripts/loadtest.sh against `hearth serve` with and
# without a state: section (see docs/two-nodes.md) and compare.
set -euo pipefail
cd "$(dirname "$0")/.."
HEARTH_LATENCY_CHANGES=${CHANGES:-500} go test -tags redis -count=1 -v -run TestPropagationLatency ./internal/cluster/ |
  grep -E 'changes \(adds|FAIL|^ok'
go test -run XXX -bench 'CacheHit|Decide' -benchmem -count 3 ./policy/ ./resolver/ | grep -E 'allocs/op' |
  awk '{print $1, $5, $6, $7, $8}'
