#!/usr/bin/env bash
# cachebytes.sh: do large answers stay within the cache's byte budget? (issue 13, item 3)
#
# usage: scripts/cachebytes.sh      (N=distinct names per size, default 12000; SIZES="56000 7000")
#
# Starts Hearth (defaults: cache.max_mb 32, cache.max_answer_bytes 8192) against scripts/responder,
# then asks N distinct TXT names per size with scripts/askmany (over UDP, then TCP when truncated;
# dnsperf cannot read answers this large over TCP); Hearth, too, asks the upstream over UDP, gets TC,
# and asks again over TCP. 56,000-byte answers are over max_answer_bytes and never kept;
# 7,000-byte answers are kept and fill the byte budget (12,000 x 7 KB = 84 MB > 32 MB). Samples VmRSS
# and VmHWM before and after each size and the cache's bytes from /metrics, and exits non-zero if the
# resident memory after the load exceeds the baseline plus cache.max_mb plus SLACK_MB (default 32:
# the Go runtime's own headroom, buffers, goroutine stacks).
# Needs: go, python3, curl.
set -euo pipefail
# shellcheck source=scripts/loadlib.sh
. "$(dirname "$0")/loadlib.sh"
N=${N:-12000}
SIZES=${SIZES:-56000 7000}
MAX_MB=${MAX_MB:-32}
SLACK_MB=${SLACK_MB:-32}
build
(cd "$repo" && go build -o "$work/askmany" ./scripts/askmany)
uport=$(freeport); port=$(freeport); wport=$(freeport)
start_responder "$uport"
start_hearth "$(hearth_config "$port" "$wport" "$uport" "cache: {max_mb: $MAX_MB}")"
sleep 1
base=$(rss_kb "$hpid")
echo "== baseline: RSS $(mib "$base") MiB, peak $(mib "$(hwm_kb "$hpid")") MiB; cache.max_mb $MAX_MB"
fail=0
for size in $SIZES; do
  res=$("$work/askmany" -server 127.0.0.1:"$port" -n "$N" -size "$size" -c 8)
  rss=$(rss_kb "$hpid"); hwm=$(hwm_kb "$hpid")
  cb=$(curl -s "http://127.0.0.1:$wport/metrics" | awk '/^hearth_cache_bytes /{printf "%.1f", $2/1048576}')
  ce=$(curl -s "http://127.0.0.1:$wport/metrics" | awk '/^hearth_cache_entries /{print $2}')
  echo "$N names, answers of $size bytes: $res"
  echo "  RSS $(mib "$rss") MiB, peak $(mib "$hwm") MiB; cache $cb MiB in $ce entries"
  limit=$((base + (MAX_MB + SLACK_MB) * 1024))
  if [ "$hwm" -gt "$limit" ]; then
    echo "  FAIL: peak $(mib "$hwm") MiB is over baseline + max_mb + slack = $(mib "$limit") MiB"; fail=1
  fi
done
[ "$fail" = 0 ] && echo "ok: the peak stayed within baseline + cache.max_mb + $SLACK_MB MiB" || echo "FAILED"
exit "$fail"
