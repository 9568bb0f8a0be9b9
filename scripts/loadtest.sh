#!/usr/bin/env bash
# loadtest.sh: Hearth's throughput and latency under dnsperf, against a local upstream.
#
# usage: scripts/loadtest.sh            (DUR=seconds per run, default 10; COMPARE=0 skips compare.sh;
#                                       ONLY=journal runs only section 8, ONLY=web only section 9,
#                                       ONLY=mix only section 10; MIX=0 skips section 10)
#
# Everything runs on loopback. It builds Hearth and the bare miekg/dns responder
# from ../shared/bench/limit (used as Hearth's upstream), then measures:
#   1. cache-hit mix: 500 popular names (A), answered from the cache;
#   2. cache-miss mix: the same names with the cache off, so every query is forwarded;
#   3. latency percentiles at a fixed 20,000 queries/s on cache hits;
#   4. resident memory, idle and after the load;
#   5. the 1.2M-domain union loaded as a blocked list: time to ready, RSS and peak, cache-hit QPS;
#   6. ../shared/bench/compare.sh with that list loaded: cache-hit QPS as a ratio to the bare responder;
#   7. policies on vs off: the cache-hit mix asked by a child's device under a family's rules (groups,
#      windows, safe search), against the same Hearth without devices or groups, runs alternated
#      (REPEATS, default 3), reported as the ratio of medians;
#   8. the journal: 50,000 blocked lookups/s for JDUR seconds (default 30) from a child's device, with
#      the journal on (and its log event per lookup) and then off: p99 of each, lookups written and
#      dropped, and the journal's size per million lookups;
#   9. the dashboard and metrics on vs off: the cache-hit mix with web.enabled true (the metrics
#      observer on every query, /metrics scraped every second during the run) and false, alternated
#      (REPEATS), reported as the ratio of medians;
#  10. the household mix of issue 15 (scripts/loadmix.sh, which says what it measures and takes
#      ROUNDS, default 4): ../shared/bench/gen's 10,000 allowed and 10,000 blocked names with its
#      1,000,000-domain list loaded, journal on and off, pinned and unpinned, as ratios to the bare
#      responder in the same round; p99 at 5,000 and 20,000 qps; forwarding against Unbound's;
#      memory and ready time with the 1.2M union, with and without a family's policy.
# Every Hearth here runs with rate_limit.qps 0: dnsperf is one client, and the default limit of
# 2,000 queries/s would answer nearly all of its queries REFUSED (it did, from issue 13 until the
# limit was switched off here; the perf lines now print the response codes).
# Hearth is pinned to CPU 1, dnsperf and the upstream to CPU 0 (as compare.sh does).
# Needs: go, taskset, python3, dnsperf (Debian package; installed here when missing and running as root).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$repo/../shared/bench}
queries=${QUERIES:-$repo/../shared/testdata/querynames/top-500-names.txt}
DUR=${DUR:-10}
COMPARE=${COMPARE:-1}
if [ "${ONLY:-}" = mix ]; then exec "$repo/scripts/loadmix.sh"; fi

if ! command -v dnsperf >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing dnsperf..."
    (apt-get install -y -qq dnsperf >/dev/null 2>&1) || (apt-get update -qq && apt-get install -y -qq dnsperf >/dev/null)
  else
    echo "dnsperf is missing: sudo apt-get install dnsperf"; exit 2
  fi
fi
[ -d "$bench/limit" ] || { echo "no $bench/limit (set BENCH=path to the shared bench folder)"; exit 2; }
[ -f "$queries" ] || { echo "no query names at $queries (set QUERIES=file with one name per line)"; exit 2; }

work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

echo "== building"
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/hearth" ./cmd/hearth)
(cd "$bench/limit" && go build -o "$work/limit" .)
awk 'NF {print $1, "A"}' "$queries" > "$work/hit.txt"

uport=$(freeport)
taskset -c 0 "$work/limit" -addr 127.0.0.1:"$uport" >/dev/null 2>&1 & pids+=($!)

# hearth_start PORT [ENV...]: start Hearth on CPU 1 against the local upstream.
hearth_start() {
  local port=$1; shift
  env HEARTH_LISTEN=127.0.0.1:"$port" HEARTH_UPSTREAMS_SERVERS=udp://127.0.0.1:"$uport" HEARTH_LOG_LEVEL=info \
    HEARTH_RATE_LIMIT_QPS=0 HEARTH_WEB_LISTEN=127.0.0.1:0 HEARTH_STATE_DIR="$work/state-$port" "$@" \
    taskset -c 1 "$work/hearth" serve >"$work/hearth-$port.log" 2>&1 &
  hpid=$!; pids+=($hpid)
  for _ in $(seq 100); do grep -q '"hearth started"' "$work/hearth-$port.log" && return 0; sleep 0.1; done
  echo "Hearth did not start on $port:"; cat "$work/hearth-$port.log"; exit 1
}
rss_kb() { awk '/VmRSS/{print $2}' /proc/"$1"/status; }
perf() { # port label extra-dnsperf-args...
  local port=$1 label=$2; shift 2
  taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$work/hit.txt" -l "$DUR" "$@" > "$work/out.txt" 2>&1
  printf '%-34s %s qps  avg latency %s ms  lost %s  %s\n' "$label" \
    "$(awk '/Queries per second:/{print $4}' "$work/out.txt")" \
    "$(awk '/Average Latency/{printf "%.3f", $4*1000}' "$work/out.txt")" \
    "$(awk '/Queries lost:/{print $3}' "$work/out.txt")" \
    "$(awk -F: '/Response codes:/{gsub(/^ +/, "", $2); print $2}' "$work/out.txt")"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== $(go version)"

# latency LABEL PORT [QUERYFILE] [RATE]: percentiles at a fixed rate (default
# 20,000 queries/s) over any answer code.
latency() {
  taskset -c 0 dnsperf -s 127.0.0.1 -p "$2" -d "${3:-$work/hit.txt}" -l "${5:-$DUR}" -Q "${4:-20000}" -c 4 -v > "$work/lat.txt" 2>&1
  python3 - "$work/lat.txt" "$1" "${4:-20000}" <<'PY'
import sys
lat = sorted(float(l.split()[-1]) for l in open(sys.argv[1]) if l.startswith("> "))
if not lat: sys.exit("no latencies recorded")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print(f"{sys.argv[2]} at {int(sys.argv[3]):,} qps: {len(lat)} answers  p50 {p(.5):.3f} ms  p90 {p(.9):.3f} ms  p99 {p(.99):.3f} ms  p99.9 {p(.999):.3f} ms")
PY
}

# 8. The journal under 50,000 blocked lookups a second.
journal_section() {
  local jdur=${JDUR:-30}
  echo "== journal: ${JRATE:-50000} blocked lookups/s for ${jdur}s from a child's device"
  awk 'BEGIN { for (i = 0; i < 5000; i++) printf "p%d.roblox.com A\n", i }' > "$work/blocked.txt"
  # on: journal and its log lines (one per device, name and minute); quiet: journal, log_blocked off; off: no journal.
  for mode in ${JMODES:-on quiet off}; do
    local jport; jport=$(freeport)
    rm -rf "$work/jstate"; mkdir -p "$work/jstate"
    cat > "$work/journal-$mode.yaml" <<YAML
listen: ["127.0.0.1:$jport"]
state_dir: "$work/jstate"
web: {listen: "127.0.0.1:0"}
upstreams: {servers: ["udp://127.0.0.1:$uport"]}
timezone: Europe/London
identify: {neighbours: false}
rate_limit: {qps: 0}
devices: [{name: kid-laptop, ip: 127.0.0.1, group: kids}]
groups: {kids: {rules: [{block: [gaming]}]}}
journal: {enabled: $([ "$mode" = off ] && echo false || echo true), log_blocked: $([ "$mode" = on ] && echo true || echo false)}
log: {level: info, format: json}
YAML
    # Hearth may use both cores here (JCPUS): the journal's writer is a
    # second stream of work, which a Raspberry Pi's four cores run beside DNS.
    taskset -c "${JCPUS:-0,1}" "$work/hearth" serve --config "$work/journal-$mode.yaml" > "$work/journal-$mode.log" 2>&1 & hpid=$!; pids+=($hpid)
    for _ in $(seq 100); do grep -q '"hearth started"' "$work/journal-$mode.log" && break; sleep 0.1; done
    latency "blocked lookups, journal $mode" "$jport" "$work/blocked.txt" "${JRATE:-50000}" "$jdur"
    kill "$hpid"; wait "$hpid" 2>/dev/null || true
    if [ "$mode" != off ]; then
      python3 - "$work/journal-$mode.log" "$work/jstate" <<'PY'
import glob, json, os, sys
closed = [json.loads(l) for l in open(sys.argv[1]) if '"journal closed"' in l]
events = sum(1 for l in open(sys.argv[1]) if '"event":"blocked"' in l)
if not closed: sys.exit("no 'journal closed' line in the log")
c = closed[-1]
size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(sys.argv[2], "journal.db*")))
print(f"journal: {c['written']:,} lookups written, {c['dropped']:,} dropped, {c['rows']:,} rows, "
      f"{size/1e6:.2f} MB on disk = {size/1e6/max(c['written'],1)*1e6:.2f} MB per million lookups; "
      f"{events:,} 'blocked' log events")
PY
    fi
  done
}
# 9. The dashboard and metrics on vs off.
web_section() {
  echo "== dashboard and metrics on vs off (cache-hit mix; /metrics scraped every second while on)"
  local reps=${REPEATS:-3} rep order mode port wport scraper
  : > "$work/web-off.txt"; : > "$work/web-on.txt"
  for rep in $(seq "$reps"); do
    order="off on"; [ $((rep % 2)) = 0 ] && order="on off"   # alternate which goes first
    for mode in $order; do
      port=$(freeport); wport=$(freeport)
      if [ "$mode" = on ]; then
        hearth_start "$port" HEARTH_WEB_LISTEN=127.0.0.1:"$wport"
        (while sleep 1; do curl -s -o /dev/null http://127.0.0.1:"$wport"/metrics || true; done) & scraper=$!
      else
        hearth_start "$port" HEARTH_WEB_ENABLED=false
      fi
      taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$work/hit.txt" -n 1 >/dev/null 2>&1
      perf "$port" "dashboard $mode" -c 4 -q 100
      awk '/Queries per second:/{print $4}' "$work/out.txt" >> "$work/web-$mode.txt"
      if [ "$mode" = on ]; then
        echo "  scrape: $(curl -s http://127.0.0.1:"$wport"/metrics | grep -c '^hearth_') hearth_ samples, RSS $(( $(rss_kb "$hpid") / 1024 )) MiB"
        kill "$scraper"; wait "$scraper" 2>/dev/null || true
      fi
      kill "$hpid"; wait "$hpid" 2>/dev/null || true
    done
  done
  python3 - "$work/web-off.txt" "$work/web-on.txt" <<'PY'
import statistics, sys
off = statistics.median(float(x) for x in open(sys.argv[1]))
on = statistics.median(float(x) for x in open(sys.argv[2]))
print(f"dashboard on / off: {on:,.0f} / {off:,.0f} qps = {on/off:.3f} (median of the runs)")
PY
}

if [ "${ONLY:-}" = journal ]; then journal_section; exit 0; fi
if [ "${ONLY:-}" = web ]; then web_section; exit 0; fi

port=$(freeport)
hearth_start "$port"
sleep 1
echo "idle RSS after start: $(( $(rss_kb "$hpid") / 1024 )) MiB"
taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$work/hit.txt" -n 1 >/dev/null 2>&1   # warm the cache
echo "RSS with the cache warm: $(( $(rss_kb "$hpid") / 1024 )) MiB"
perf "$port" "cache-hit mix (max load, -c 4 -q 100)" -c 4 -q 100
latency "cache-hit" "$port"
# The same load on the bare responder, one after the other: what the machine itself adds.
lport=$(freeport)
taskset -c 1 "$work/limit" -addr 127.0.0.1:"$lport" >/dev/null 2>&1 & lpid=$!; pids+=($lpid)
sleep 0.5
latency "bare responder (reference)" "$lport"
kill "$lpid"; wait "$lpid" 2>/dev/null || true
echo "RSS after load: $(( $(rss_kb "$hpid") / 1024 )) MiB"
kill "$hpid"; wait "$hpid" 2>/dev/null || true

port=$(freeport)
hearth_start "$port" HEARTH_CACHE_SIZE=0
perf "$port" "cache-miss mix (cache off, forwarded)" -c 4 -q 100
kill "$hpid"; wait "$hpid" 2>/dev/null || true

# The same with the 1.2M-domain union loaded as a blocked list, as the peers in
# ../shared/bench/README.md were measured.
big=${BIGLIST:-$repo/../shared/testdata/blocklists/large-merged-union.domains.txt.gz}
if [ -f "$big" ]; then
  echo "== with $(basename "$big") loaded and blocked"
  gzip -dc "$big" > "$work/big.txt"
  bport=$(freeport)
  mkdir -p "$work/state"
  cat > "$work/big.yaml" <<YAML
listen: ["127.0.0.1:$bport"]
state_dir: "$work/state"
web: {listen: "127.0.0.1:0"}
upstreams:
  servers: ["udp://127.0.0.1:$uport"]
rate_limit: {qps: 0}
lists:
  sources:
    - {name: large-union, category: ads, file: "$work/big.txt"}
blocking:
  block: [ads, gaming]
log: {level: info, format: json}
YAML
  t0=$(date +%s%N)
  taskset -c 1 "$work/hearth" serve --config "$work/big.yaml" > "$work/big.log" 2>&1 & hpid=$!; pids+=($hpid)
  for _ in $(seq 200); do grep -q '"hearth started"' "$work/big.log" && break; sleep 0.02; done
  t1=$(date +%s%N)
  grep -q '"hearth started"' "$work/big.log" || { cat "$work/big.log"; exit 1; }
  echo "ready (lists compiled, listening) after $(( (t1 - t0) / 1000000 )) ms: $(grep -o '"entries":[0-9]*' "$work/big.log" | head -1)"
  sleep 2
  echo "RSS $(( $(rss_kb "$hpid") / 1024 )) MiB, peak (VmHWM) $(( $(awk '/VmHWM/{print $2}' /proc/"$hpid"/status) / 1024 )) MiB"
  taskset -c 0 dnsperf -s 127.0.0.1 -p "$bport" -d "$work/hit.txt" -n 1 >/dev/null 2>&1
  perf "$bport" "cache-hit mix, 1.2M list loaded" -c 4 -q 100
  echo "RSS after load: $(( $(rss_kb "$hpid") / 1024 )) MiB"
  kill "$hpid"; wait "$hpid" 2>/dev/null || true
fi

# Policies on vs off. The family's bedtime is left out so the figure does not
# depend on the hour the script runs; bypass protection too, since its list
# would be downloaded from the internet.
echo "== policies on vs off (cache-hit mix from a child's device)"
mkdir -p "$work/pstate"
cat > "$work/family.yaml" <<YAML
listen: ["127.0.0.1:PORT"]
state_dir: "$work/pstate"
web: {listen: "127.0.0.1:0"}
upstreams: {servers: ["udp://127.0.0.1:$uport"]}
rate_limit: {qps: 0}
timezone: Europe/London
calendar: {holidays: ["2026-12-19..2027-01-04"]}
blocking: {block: [tracker.example]}
devices:
  - {name: kid-laptop, ip: 127.0.0.1, group: kids}
groups:
  kids:
    rules:
      - {block: [social]}
      - {block: [gaming], except: [minecraft], outside: ["mon-fri 16:00-19:00", "sat,sun 10:00-20:00"], holidays: ["daily 10:00-20:00"]}
      - {block: [chat], outside: ["daily 07:00-21:00"]}
      - {block: [video], during: ["mon-fri 17:00-18:00"]}
    allow: [school.example.org]
    safe_search: strict
log: {level: info, format: json}
YAML
REPEATS=${REPEATS:-3}
: > "$work/policy-off.txt"; : > "$work/policy-on.txt"
for _ in $(seq "$REPEATS"); do
  for mode in off on; do
    port=$(freeport)
    if [ "$mode" = on ]; then
      sed "s/PORT/$port/" "$work/family.yaml" > "$work/family-$port.yaml"
      taskset -c 1 "$work/hearth" serve --config "$work/family-$port.yaml" > "$work/hearth-$port.log" 2>&1 & hpid=$!; pids+=($hpid)
      for _ in $(seq 100); do grep -q '"hearth started"' "$work/hearth-$port.log" && break; sleep 0.1; done
    else
      hearth_start "$port"
    fi
    taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$work/hit.txt" -n 1 >/dev/null 2>&1
    perf "$port" "policies $mode" -c 4 -q 100
    awk '/Queries per second:/{print $4}' "$work/out.txt" >> "$work/policy-$mode.txt"
    kill "$hpid"; wait "$hpid" 2>/dev/null || true
  done
done
python3 - "$work/policy-off.txt" "$work/policy-on.txt" <<'PY'
import statistics, sys
off = statistics.median(float(x) for x in open(sys.argv[1]))
on = statistics.median(float(x) for x in open(sys.argv[2]))
print(f"policies on / off: {on:,.0f} / {off:,.0f} qps = {on/off:.3f} (median of the runs)")
PY

journal_section
web_section
if [ "${MIX:-1}" = 1 ]; then echo "== the household mix (scripts/loadmix.sh)"; "$repo/scripts/loadmix.sh"; fi

if [ "$COMPARE" = 1 ]; then
  port=$(freeport)
  if [ -f "$work/big.yaml" ]; then
    echo "== compare.sh (cache hits, 1.2M list loaded; ratio to the bare miekg/dns responder)"
    sed "s/127.0.0.1:$bport/127.0.0.1:$port/" "$work/big.yaml" > "$work/compare.yaml"
    DUR=$DUR "$bench/compare.sh" "$work/hit.txt" "$port" -- "$work/hearth" serve --config "$work/compare.yaml"
  else
    echo "== compare.sh (cache hits, no list; ratio to the bare miekg/dns responder)"
    DUR=$DUR "$bench/compare.sh" "$work/hit.txt" "$port" -- env HEARTH_LISTEN=127.0.0.1:"$port" \
      HEARTH_UPSTREAMS_SERVERS=udp://127.0.0.1:"$uport" HEARTH_RATE_LIMIT_QPS=0 HEARTH_LOG_LEVEL=warn HEARTH_WEB_LISTEN=127.0.0.1:0 "$work/hearth" serve
  fi
fi
