#!/usr/bin/env bash
# fuzz.sh: run every fuzz target of the repository for a while, one after the other.
#
# usage: scripts/fuzz.sh              (FUZZTIME per target, default 10m; ONLY=regexp picks targets)
#        FUZZTIME=30s scripts/fuzz.sh (a quick pass)
#
# Not part of `go test ./...` (which runs each target's seed corpus only). A target that finds a
# failure stops with it; Go writes the input to that package's testdata/fuzz/<Target>/, where it
# becomes part of the seed corpus: fix the bug, and commit that file with the fix.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
FUZZTIME=${FUZZTIME:-10m}
ONLY=${ONLY:-.}

# Every "func FuzzX(" in a _test.go file, as package-dir:target.
mapfile -t targets < <(grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
  dir=$(dirname "$f")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s#^func #$dir:#"
done | grep -E -- "$ONLY" || true)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz target matches $ONLY"; exit 2; }

echo "fuzz.sh: ${#targets[@]} targets, $FUZZTIME each"
failed=()
for t in "${targets[@]}"; do
  dir=${t%%:*} name=${t##*:}
  echo "== $dir $name"
  if ! go test -run XXX -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"; then
    failed+=("$dir $name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failures (inputs saved under each package's testdata/fuzz/):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "fuzz.sh: no failures"
