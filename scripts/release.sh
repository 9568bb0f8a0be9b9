#!/usr/bin/env bash
# release.sh: Hearth's release binaries: static (CGO_ENABLED=0) Linux builds with the version, commit
# and build date stamped in (`hearth version`), and their SHA-256 sums.
#
# usage: scripts/release.sh [OUTDIR]                   every target into OUTDIR (default: dist/)
#        scripts/release.sh --one OS/ARCH[/vN] FILE    one target into FILE (the container build uses this)
#
# Targets: linux/amd64, linux/arm64 (Raspberry Pi 3, 4, 5 and Zero 2 on a 64-bit OS), linux/arm/v7
# (Pi 2, 3, 4 on a 32-bit OS), linux/arm/v6 (Pi 1 and Pi Zero). Files in OUTDIR: hearth-linux-amd64,
# hearth-linux-arm64, hearth-linux-armv7, hearth-linux-armv6 and SHA256SUMS (check: sha256sum -c SHA256SUMS).
#
# Environment:
#   VERSION            default: git describe --tags --always --dirty (else "dev")
#   COMMIT             default: git rev-parse HEAD (else "unknown")
#   SOURCE_DATE_EPOCH  the build date in seconds since 1970 (reproducible builds); default: now
#   TARGETS            the targets to build, space-separated (default: all four)
#
# build_one below is the only place the build command is written: the Dockerfile calls `--one`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
all_targets="linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6"

# stamp sets version, commit and date from the environment or git.
stamp() {
  version=${VERSION:-$(git -C "$repo" describe --tags --always --dirty 2>/dev/null || echo dev)}
  commit=${COMMIT:-$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)}
  local epoch=${SOURCE_DATE_EPOCH:-$(date +%s)}
  # GNU date, then BSD date (macOS).
  date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$epoch" +%Y-%m-%dT%H:%M:%SZ)
}

# file_name is the file name of a target in OUTDIR: linux/arm/v7 -> hearth-linux-armv7.
file_name() {
  local os arch variant
  IFS=/ read -r os arch variant <<<"$1"
  echo "hearth-$os-$arch$variant"
}

# build_one TARGET FILE builds one static binary. TARGET is OS/ARCH[/vN] as Docker writes platforms
# (linux/arm alone means linux/arm/v7, as in Docker).
build_one() {
  local target=$1 out=$2 os arch variant goarm=""
  IFS=/ read -r os arch variant <<<"$target"
  if [ "$arch" = arm ]; then
    case ${variant:-v7} in
      v6 | v7) goarm=${variant:-v7}; goarm=${goarm#v} ;;
      *) echo "release.sh: $target: only linux/arm/v6 and linux/arm/v7 are built" >&2; return 2 ;;
    esac
  elif [ -n "$variant" ]; then
    echo "release.sh: $target: unexpected variant $variant" >&2
    return 2
  fi
  (
    cd "$repo"
    export CGO_ENABLED=0 GOOS="$os" GOARCH="$arch"
    if [ -n "$goarm" ]; then export GOARM="$goarm"; else unset GOARM; fi
    go build -trimpath \
      -ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
      -o "$out" ./cmd/hearth
  )
}

# sums writes SHA256SUMS for the hearth-* files in a directory.
sums() {
  (
    cd "$1"
    if command -v sha256sum >/dev/null; then
      sha256sum hearth-* >SHA256SUMS
    else
      shasum -a 256 hearth-* >SHA256SUMS
    fi
  )
}

main() {
  stamp
  if [ "${1:-}" = --one ]; then
    if [ $# -ne 3 ]; then
      echo "usage: $0 --one OS/ARCH[/vN] FILE" >&2
      exit 2
    fi
    build_one "$2" "$3"
    echo "release.sh: $2 -> $3 ($version, $commit, $date)"
    return
  fi
  case ${1:-} in -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; return ;; -*) echo "release.sh: unknown option $1" >&2; exit 2 ;; esac
  local out=${1:-$repo/dist} target
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  rm -f "$out"/hearth-* "$out/SHA256SUMS"
  # The targets build at once: each go build is busy only part of the time (linking, cached packages).
  local pids=() failed=0
  # shellcheck disable=SC2086 # the list is split on spaces
  for target in ${TARGETS:-$all_targets}; do
    build_one "$target" "$out/$(file_name "$target")" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  if [ "$failed" -ne 0 ]; then
    echo "release.sh: a build failed" >&2
    exit 1
  fi
  sums "$out"
  echo "release.sh: $version ($commit, built $date) in $out:"
  cat "$out/SHA256SUMS"
}

main "$@"
