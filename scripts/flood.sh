#!/usr/bin/env bash
# flood.sh: does one flooding client leave everyone else answered? (issue 13, item 7)
#
# usage: scripts/flood.sh        (FLOOD_DUR=seconds per phase, default 10; RATE=the measuring
#                                client's queries/s, default 200)
#
# Starts Hearth (built from the repo, default rate_limit and upstreams.max_in_flight) on a loopback
# port against scripts/responder, then floods it from 127.0.0.5 with dnsperf at full speed with
# made-up names (every one a cache miss), while a second dnsperf from 127.0.0.6 asks the 500 popular
# names at RATE and records each answer's latency. Three phases: quiet (no flood), a flood with the
# upstream answering, a flood with the upstream silent (it drops every query). Prints p50/p99/max of
# the measuring client, its lost queries, the flood's answer codes and Hearth's goroutines, and
# exits non-zero if the measuring client's p99 reached 100 ms or it lost a query in a flood phase.
# Needs: go, python3, curl, dnsperf (Debian package; installed here when missing and running as root).
set -euo pipefail
# shellcheck source=scripts/loadlib.sh
. "$(dirname "$0")/loadlib.sh"
FLOOD_DUR=${FLOOD_DUR:-10}
RATE=${RATE:-200}
queries=${QUERIES:-$repo/../shared/testdata/querynames/top-500-names.txt}
[ -f "$queries" ] || { echo "no query names at $queries (set QUERIES=file with one name per line)"; exit 2; }
need_dnsperf
build
awk 'NF {print $1, "A"}' "$queries" > "$work/measure.txt"
awk 'BEGIN { srand(13); for (i = 0; i < 200000; i++) printf "f%d-%d.flood.example A\n", i, int(rand() * 1e9) }' > "$work/flood.txt"

uport=$(freeport); port=$(freeport); wport=$(freeport)
start_responder "$uport"
start_hearth "$(hearth_config "$port" "$wport" "$uport")"
dnsperf -a 127.0.0.6 -s 127.0.0.1 -p "$port" -d "$work/measure.txt" -n 1 >/dev/null 2>&1   # warm the cache
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3); $(dnsperf -h 2>&1 | grep -m1 -o 'dnsperf [0-9.]*' || echo dnsperf)"
echo "idle: RSS $(mib "$(rss_kb "$hpid")") MiB, $(goroutines "$wport") goroutines"

fail=0
# phase LABEL FLOOD(0|1): the measuring client for FLOOD_DUR seconds, with or without the flood.
phase() {
  local label=$1 flood=$2 fpid="" spid
  if [ "$flood" = 1 ]; then
    dnsperf -a 127.0.0.5 -s 127.0.0.1 -p "$port" -d "$work/flood.txt" -l "$FLOOD_DUR" -c 8 -q 2000 -t 2 >"$work/flood-out.txt" 2>&1 & fpid=$!
  fi
  (while sleep 1; do goroutines "$wport"; done) >"$work/gor.txt" 2>/dev/null & spid=$!
  dnsperf -a 127.0.0.6 -s 127.0.0.1 -p "$port" -d "$work/measure.txt" -l "$FLOOD_DUR" -Q "$RATE" -c 1 -t 2 -v >"$work/measure-out.txt" 2>&1 || true
  [ -n "$fpid" ] && { wait "$fpid" || true; }
  kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
  python3 - "$work/measure-out.txt" "$work/flood-out.txt" "$work/gor.txt" "$label" "$flood" <<'PY' || fail=1
import re, sys
out, flood_out, gor, label, flood = sys.argv[1:6]
text = open(out).read()
lat = sorted(float(l.split()[-1]) * 1000 for l in text.splitlines() if l.startswith("> ") and l.split()[1] != "T")
lost = int(re.search(r"Queries lost:\s+(\d+)", text).group(1))
if not lat: sys.exit(f"{label}: no answers recorded")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
g = [int(float(x)) for x in open(gor).read().split()] or [0]
line = f"{label}: 127.0.0.6 got {len(lat)} answers, lost {lost}; p50 {p(.5):.2f} ms  p99 {p(.99):.2f} ms  max {lat[-1]:.2f} ms; goroutines max {max(g)}"
if flood == "1":
    ft = open(flood_out).read()
    qps = re.search(r"Queries per second:\s+([\d.]+)", ft)
    codes = re.search(r"Response codes:\s+(.*)", ft)
    line += f"\n  flood from 127.0.0.5: {float(qps.group(1)) if qps else 0:,.0f} queries/s sent and answered; {codes.group(1) if codes else 'no answers'}"
print(line)
if flood == "1" and (p(.99) >= 100 or lost > 0):
    print(f"  FAIL: the measuring client's p99 reached 100 ms or it lost queries")
    sys.exit(1)
PY
}

echo "== $FLOOD_DUR s per phase; the measuring client asks $RATE queries/s (cache hits) from 127.0.0.6"
phase "quiet" 0
phase "flood, upstream answering" 1
kill -USR1 "$upid"   # the upstream goes silent
phase "flood, upstream silent" 1
kill -USR1 "$upid"
echo "after: RSS $(mib "$(rss_kb "$hpid")") MiB (peak $(mib "$(hwm_kb "$hpid")") MiB), $(goroutines "$wport") goroutines"
curl -s "http://127.0.0.1:$wport/metrics" | grep -E '^hearth_(upstream_busy_total|dns_queries_total[{][^}]*(rate|refus))' | head -5 || true
[ "$fail" = 0 ] && echo "ok: the measuring client was answered within 100 ms (p99) through each flood" || echo "FAILED"
exit "$fail"
