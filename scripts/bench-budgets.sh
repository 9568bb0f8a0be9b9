#!/usr/bin/env bash
# bench-budgets.sh: does the decision with daily budgets stay 0 allocations and within 10% of the
# decision before them? (issue 16)
#
# usage: scripts/bench-budgets.sh            (BASE=git ref before budgets, default aa4c72d; COUNT=10;
#                                             BENCHTIME=1s)
#
# Runs `go test -run XXX -bench '^Benchmark(Decide|CacheHit)' -benchmem` in ./policy and ./resolver at BASE (an
# exported copy in a temporary directory) and at the working tree, COUNT times each, and prints
# both; with benchstat installed (go install golang.org/x/perf/cmd/benchstat@latest) it compares
# them. BenchmarkDecideBudget (new) decides and counts under budgets: a running budget
# (www.roblox.com), a used-up one (www.youtube.com), a background host and a name no budget counts.
# Exits non-zero if any benchmark of the working tree allocates. Run on a quiet machine.
# Needs: go, git, tar.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:-aa4c72d}
COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-1s}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/base"
git -C "$repo" archive "$BASE" | tar -x -C "$work/base"
run() { (cd "$1" && go test -run XXX -bench '^Benchmark(Decide|CacheHit)' -benchmem -benchtime "$BENCHTIME" -count "$COUNT" ./policy/ ./resolver/); }
echo "== before ($BASE)"
run "$work/base" | tee "$work/before.txt" | grep '^Benchmark'
echo "== after (working tree)"
run "$repo" | tee "$work/after.txt" | grep '^Benchmark'
if command -v benchstat >/dev/null; then
	benchstat "$work/before.txt" "$work/after.txt"
fi
if grep '^Benchmark' "$work/after.txt" | grep -v ' 0 allocs/op' >/dev/null; then
	echo "FAIL: a benchmark allocates:" >&2
	grep '^Benchmark' "$work/after.txt" | grep -v ' 0 allocs/op' >&2
	exit 1
fi
echo "ok: 0 allocations everywhere"
