#!/usr/bin/env bash
# soak.sh: does Hearth stay flat under a long mixed load? (issue 13)
#
# usage: scripts/soak.sh     (SOAK_DUR=10m by default, any `sleep` duration in s or m; SOAK_QPS=queries/s,
#                            default half of what a 5-second run at full speed measured; OUT=a directory
#                            to keep soak.csv and soak-rss.png in, default docs/)
#
# Starts Hearth against scripts/responder and, for SOAK_DUR, asks at SOAK_QPS (dnsperf -Q) a mix of
# the 500 popular names (cache hits), made-up names (cache misses, forwarded) and random names under
# a blocked domain, while the upstream is switched off and on every 30 s (SIGUSR1 to the responder:
# it drops every query while off) and Hearth is reloaded (SIGHUP) every minute. Every 10 s it samples
# Hearth's VmRSS and its goroutines (go_goroutines from /metrics) into soak.csv, then draws RSS over
# time into soak-rss.png (scripts/plotcsv). It passes when the last third's RSS max is within 20% of
# the first third's, and the goroutines fall back to the level they started at (their lowest in the
# last third within 20% of the first third's) and never pass 2 x upstreams.max_in_flight + 100 (they
# swing with the upstream going off and on); it exits non-zero if not. rate_limit is off here: dnsperf asks from
# one address.
# Needs: go, python3, curl, dnsperf (Debian package; installed here when missing and running as root).
set -euo pipefail
# shellcheck source=scripts/loadlib.sh
. "$(dirname "$0")/loadlib.sh"
SOAK_DUR=${SOAK_DUR:-10m}
OUT=${OUT:-$repo/docs}
queries=${QUERIES:-$repo/../shared/testdata/querynames/top-500-names.txt}
[ -f "$queries" ] || { echo "no query names at $queries (set QUERIES=file with one name per line)"; exit 2; }
case "$SOAK_DUR" in *m) secs=$(( ${SOAK_DUR%m} * 60 ));; *s) secs=${SOAK_DUR%s};; *) secs=$SOAK_DUR;; esac
need_dnsperf
build
(cd "$repo" && go build -o "$work/plotcsv" ./scripts/plotcsv)
# The mix: 500 popular names, 500 made-up names, 500 random names under the blocked domain, shuffled.
{ awk 'NF {print $1, "A"}' "$queries"
  awk 'BEGIN { srand(); for (i = 0; i < 500; i++) printf "m%d.miss.example A\n", int(rand() * 1e9) }'
  awk 'BEGIN { srand(7); for (i = 0; i < 500; i++) printf "%x.blocked.example A\n", int(rand() * 1e12) }'
} | shuf > "$work/mix.txt"

uport=$(freeport); port=$(freeport); wport=$(freeport)
start_responder "$uport" -ttl 60
start_hearth "$(hearth_config "$port" "$wport" "$uport" "blocking: {block: [blocked.example]}
rate_limit: {qps: 0}
journal: {log_blocked: true}")"
if [ -z "${SOAK_QPS:-}" ]; then
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/mix.txt" -l 5 -c 4 -q 200 > "$work/cap.txt" 2>&1 || true
  cap=$(awk '/Queries per second:/{printf "%d", $4}' "$work/cap.txt")
  SOAK_QPS=$(( cap / 2 ))
  echo "== capacity with the mix: $cap queries/s; soaking at half: $SOAK_QPS queries/s for $secs s"
else
  echo "== soaking at $SOAK_QPS queries/s for $secs s"
fi
dnsperf -s 127.0.0.1 -p "$port" -d "$work/mix.txt" -l "$secs" -Q "$SOAK_QPS" -c 4 -q 500 -t 2 > "$work/soak-perf.txt" 2>&1 & dpid=$!; pids+=("$dpid")

csv="$work/soak.csv"
echo "seconds,rss_mib,hwm_mib,goroutines,upstream,reloads" > "$csv"
up=on; reloads=0; t=0
while [ "$t" -lt "$secs" ]; do
  kill -0 "$hpid" 2>/dev/null || { echo "Hearth exited:"; tail -20 "$hlog"; exit 1; }
  echo "$t,$(mib "$(rss_kb "$hpid")"),$(mib "$(hwm_kb "$hpid")"),$(goroutines "$wport"),$up,$reloads" >> "$csv"
  sleep 10; t=$((t + 10))
  if [ $((t % 30)) = 0 ]; then kill -USR1 "$upid"; [ "$up" = on ] && up=off || up=on; fi
  if [ $((t % 60)) = 0 ]; then kill -HUP "$hpid"; reloads=$((reloads + 1)); fi
done
echo "$t,$(mib "$(rss_kb "$hpid")"),$(mib "$(hwm_kb "$hpid")"),$(goroutines "$wport"),$up,$reloads" >> "$csv"
wait "$dpid" || true
echo "dnsperf: $(awk '/Queries completed:/{print $3}' "$work/soak-perf.txt") answered, $(awk '/Queries lost:/{print $3}' "$work/soak-perf.txt") lost; $(grep 'Response codes' "$work/soak-perf.txt" | xargs)"
echo "reloads: $(grep -c '"config reloaded"' "$hlog" || true) logged as done, $(grep -c '"config reload failed' "$hlog" || true) refused"
mkdir -p "$OUT"
cp "$csv" "$OUT/soak.csv"
"$work/plotcsv" -in "$csv" -out "$OUT/soak-rss.png" -col rss_mib -xgrid 60 -ygrid 10 && echo "wrote $OUT/soak.csv and $OUT/soak-rss.png (RSS in MiB over seconds; grid: 1 minute, 10 MiB)"
python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
n = len(rows); third = max(1, n // 3)
ok = True
v = [float(r["rss_mib"] or 0) for r in rows]
first, last = max(v[:third]), max(v[-third:])
flat = last <= first * 1.2
ok &= flat
print(f"rss_mib: first third max {first:g}, last third max {last:g}, overall min {min(v):g} max {max(v):g}: {'flat' if flat else 'GREW'} (last within 20% of first: {last / first * 100 - 100:+.0f}%)")
# Goroutines swing with the upstream going off and on (queries wait on it, up to
# upstreams.max_in_flight): judge the level they fall back to, and their bound.
g = [float(r["goroutines"] or 0) for r in rows]
low_first, low_last, bound = min(g[:third]), min(g[-third:]), 2 * 512 + 100
flat = low_last <= low_first * 1.2 + 10 and max(g) <= bound
ok &= flat
print(f"goroutines: lowest in the first third {low_first:g}, in the last {low_last:g}, max {max(g):g} (bound {bound}): {'flat' if flat else 'GREW'}")
sys.exit(0 if ok else 1)
PY
