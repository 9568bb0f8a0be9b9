#!/usr/bin/env bash
# shared-data-checks.sh: the tests that read the project's shared test data, which stays outside the
# repository (large lists, and lists under the GPL that Hearth does not copy): real-list parsing, the
# catalogue's cross-checks against AdGuard's registry and the public DoH lists, its coverage floors,
# and the safe-search rewrites against AdGuard's. They are behind the build tag `shareddata`.
#
# usage: scripts/shared-data-checks.sh [go test flags...]
#
# Environment:
#   HEARTH_SHARED_TESTDATA  the directory holding the data and its SOURCES.md
#                           (default: ../shared/testdata beside the repository)
#
# When that directory does not exist the checks cannot run: this says so in one line and exits 0 (CI
# has no copy of the data). When it exists every check must pass.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${HEARTH_SHARED_TESTDATA:-$repo/../shared/testdata}
if [ ! -d "$data" ]; then
  echo "shared-data-checks: not run: no shared test data at $data (set HEARTH_SHARED_TESTDATA to the directory holding its SOURCES.md)"
  exit 0
fi
HEARTH_SHARED_TESTDATA=$(cd "$data" && pwd)
export HEARTH_SHARED_TESTDATA
cd "$repo"
# The tagged tests (files *_shared_test.go), by name: a new one must match this pattern.
go test -tags shareddata -count=1 -run 'RealLists|CrossCheck|OtherRegistries' "$@" ./...
