#!/usr/bin/env bash
# loadmix.sh: the household mix of issue 15, side by side with the bare responder (and Unbound).
#
# usage: scripts/loadmix.sh    (or ONLY=mix scripts/loadtest.sh)
# Environment: DUR (seconds per dnsperf run, default 10), ROUNDS (default 4), MIXDATA (the data of
# ../shared/bench/gen, default /tmp/bench-data; made when missing), RATES (fixed rates for the
# latency runs, default "5000 20000"), PERF (dnsperf's load options, default "-c 4 -q 100 -t 2"),
# UNBOUND (auto: when installed, installed here when running as root; 0: skip), BIGLIST (the 1.2M
# union for the memory and ready runs; "" skips them), UPCPUS (where the upstream runs: "all",
# the default, or a taskset CPU list), BENCH (the shared bench folder).
#
# Everything runs on loopback. Each round, in alternated order (the responder first in odd rounds,
# Hearth first in even ones), the same way ../shared/bench/compare.sh does it:
#   pinned (server on CPU 1, dnsperf on CPU 0, the upstream on either, see UPCPUS; a Go server's
#   GOMAXPROCS is then 1):
#     - the bare miekg/dns responder (../shared/bench/limit): q-allowed.txt and q-blocked.txt at full
#       speed, then the p99 at each fixed rate of RATES on q-allowed.txt; ready time and memory;
#     - Hearth with blocklist-1m.domains as a local list file (category ads, blocked for everyone),
#       the journal on (and its log line per device, blocked name and minute, as by default), the dashboard on, the
#       rate limit off (dnsperf is one client): allowed, blocked, the p99s, then the cache-miss run
#       (q-miss.txt, 1M unique names, each forwarded to the responder upstream); ready time (exec
#       to first answer), VmRSS idle and after the load, VmHWM;
#     - the same Hearth with the journal off ("log off"): allowed and blocked;
#   unpinned (server and dnsperf on both cores, GOMAXPROCS 2; dnsperf with the same options, one
#     thread): the responder and Hearth (journal on), allowed and blocked;
#   Unbound (when available), pinned, one thread, forwarding "." to the same responder, no DNSSEC
#     validation, default cache sizes: the cache-miss run, ready time and memory (no list loaded);
#   the 1.2M-domain union (BIGLIST) with the journal and the dashboard on, without and with a
#     family's policy (a child's device in a kids group): ready time, VmRSS and VmHWM after one pass
#     of the allowed and the blocked names.
# Every server is warmed with one pass of each query file first. Throughput is reported as the
# median over the rounds of each round's ratio to the responder; latencies, memory and ready times
# as medians with their range. The last thing printed is a markdown table for docs/performance.md.
# Needs: go, taskset, python3, dnsperf.
set -euo pipefail
# shellcheck source=scripts/loadlib.sh
source "$(dirname "$0")/loadlib.sh"
bench=${BENCH:-$repo/../shared/bench}
data=${MIXDATA:-/tmp/bench-data}
DUR=${DUR:-10} ROUNDS=${ROUNDS:-4} RATES=${RATES:-5000 20000} UNBOUND=${UNBOUND:-auto}
PERF=${PERF:--c 4 -q 100 -t 2} UPCPUS=${UPCPUS:-all}
BIGLIST=${BIGLIST-$repo/../shared/testdata/blocklists/large-merged-union.domains.txt.gz}
need_dnsperf
[ -d "$bench/limit" ] || { echo "no $bench/limit (set BENCH=path to the shared bench folder)"; exit 2; }

for f in blocklist-1m.domains q-allowed.txt q-blocked.txt q-miss.txt; do
  if [ ! -s "$data/$f" ]; then
    echo "== making the mix data in $data (../shared/bench/gen)"
    (cd "$bench/gen" && go run . -out "$data")
    break
  fi
done

if [ "$UNBOUND" = auto ] && ! command -v unbound >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing unbound (for the cache-miss comparison)..."
  (apt-get install -y -qq unbound >/dev/null 2>&1) || (apt-get update -qq && apt-get install -y -qq unbound >/dev/null 2>&1) || true
fi
[ "$UNBOUND" = auto ] && { command -v unbound >/dev/null && UNBOUND=1 || UNBOUND=0; }

echo "== building hearth and the bare responder"
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/hearth" ./cmd/hearth)
(cd "$bench/limit" && go build -o "$work/limit" .)
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(go version | cut -d' ' -f3); $(dnsperf -h 2>&1 | grep -m1 -o 'Version [0-9.]*' || true); unbound: $([ "$UNBOUND" = 1 ] && unbound -V | head -1 || echo no)"
echo "== DUR=$DUR ROUNDS=$ROUNDS RATES=\"$RATES\" PERF=\"$PERF\" data=$data"

# The upstream is not pinned by default: on CPU 0 beside a dnsperf at full speed it starved
# (Unbound and Hearth both forwarded at a tenth of their rate with it there).
uport=$(freeport)
if [ "$UPCPUS" = all ]; then "$work/limit" -addr 127.0.0.1:"$uport" >/dev/null 2>&1 & else
  taskset -c "$UPCPUS" "$work/limit" -addr 127.0.0.1:"$uport" >/dev/null 2>&1 & fi
pids+=($!)
results="$work/mix.tsv"; : > "$results"

# hearth_yaml NAME JOURNAL [EXTRA YAML]: a configuration with PORT, STATE and LIST to fill in.
hearth_yaml() { mix_yaml PORT STATE "$uport" LIST "$2" "${3:-}" > "$work/$1.yaml"; }
hearth_yaml on true
hearth_yaml off false
# A family's policy, as in loadtest.sh's "policies on" section (bedtime left out so that the
# figures do not depend on the hour).
hearth_yaml family true "calendar: {holidays: [\"2026-12-19..2027-01-04\"]}
devices:
  - {name: kid-laptop, ip: 127.0.0.1, group: kids}
groups:
  kids:
    rules:
      - {block: [social]}
      - {block: [gaming], except: [minecraft], outside: [\"mon-fri 16:00-19:00\", \"sat,sun 10:00-20:00\"], holidays: [\"daily 10:00-20:00\"]}
      - {block: [chat], outside: [\"daily 07:00-21:00\"]}
    allow: [school.example.org]
    safe_search: strict"

record() { echo "$round $1 $2" >> "$results"; }

# ready_ms PORT T0: milliseconds from T0 (date +%s%N just before the exec) to the first answer
# of any kind on PORT (UDP), probing every 2 ms; 0 when nothing answered within 120 s.
ready_ms() {
  python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
port, t0 = int(sys.argv[1]), int(sys.argv[2])
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x05ready\x05probe\x07example\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.1", port)); s.settimeout(0.002)
deadline = time.time() + 120
while time.time() < deadline:
    try:
        s.send(q)
        if s.recv(4096)[:2] == q[:2]:
            print(round((time.time_ns() - t0) / 1e6)); sys.exit(0)
    except OSError:  # refused (not listening yet) or timed out
        time.sleep(0.002)
print(0)
PY
}

# start NAME CPUS PORT COMMAND...: start a server (CPUS "all": not pinned), wait for its first
# answer; sets spid and ready.
start() {
  local name=$1 cpus=$2 port=$3; shift 3
  local t0; t0=$(date +%s%N)
  if [ "$cpus" = all ]; then "$@" > "$work/$name.log" 2>&1 & else taskset -c "$cpus" "$@" > "$work/$name.log" 2>&1 & fi
  spid=$!; pids+=("$spid")
  ready=$(ready_ms "$port" "$t0")
  [ "$ready" != 0 ] || { echo "$name did not answer on $port:"; tail -20 "$work/$name.log"; exit 1; }
}
stop() { kill "$spid"; wait "$spid" 2>/dev/null || true; }

# start_hearth CONFIG CPUS [LISTFILE]: Hearth with a fresh state directory; sets port too.
start_hearth() {
  port=$(freeport); rm -rf "$work/state"; mkdir -p "$work/state"
  sed -e "s|PORT|$port|" -e "s|STATE|$work/state|" -e "s|LIST|${3:-$data/blocklist-1m.domains}|" \
    "$work/$1.yaml" > "$work/run.yaml"
  start "hearth-$1" "$2" "$port" "$work/hearth" serve --config "$work/run.yaml"
}
start_limit() { port=$(freeport); start limit "$1" "$port" "$work/limit" -addr 127.0.0.1:"$port"; }

# dnsperf on CPU 0, or on any core with CPUS "all".
dp() { local cpus=$1; shift; if [ "$cpus" = all ]; then dnsperf "$@"; else taskset -c "$cpus" dnsperf "$@"; fi; }
warm() { for f in q-allowed q-blocked; do dp "$1" -s 127.0.0.1 -p "$port" -d "$data/$f.txt" -n 1 -Q 50000 -t 2 >/dev/null 2>&1; done; }

# qps KEY CPUS FILE: full-speed run; records the queries per second, prints the codes.
# The server's CPU time per answered query is recorded too (KEY.cpu_us): when it stays the same on
# both cores as on one, the server itself scales, whatever the load generator sharing the cores allows.
cpu_ticks() { awk '{print $14 + $15}' /proc/"$spid"/stat; }
qps() {
  local t0; t0=$(cpu_ticks)
  # shellcheck disable=SC2086
  dp "$2" -s 127.0.0.1 -p "$port" -d "$data/$3.txt" -l "$DUR" $PERF > "$work/out.txt" 2>&1 || true
  local v; v=$(awk '/Queries per second:/{print $4}' "$work/out.txt")
  [ -n "$v" ] || { echo "dnsperf failed:"; cat "$work/out.txt"; exit 1; }
  record "$1" "$v"
  record "$1.cpu_us" "$(awk -v t="$(( $(cpu_ticks) - t0 ))" -v hz="$(getconf CLK_TCK)" -v q="$v" -v d="$DUR" 'BEGIN { printf "%.3f", t / hz / (q * d) * 1e6 }')"
  printf '  %-28s %9.0f qps  lost %s  %s\n' "$1" "$v" "$(awk '/Queries lost:/{print $3}' "$work/out.txt")" \
    "$(awk -F: '/Response codes:/{gsub(/^ +/, "", $2); print $2}' "$work/out.txt")"
}

# p99 KEY RATE: latency percentiles at a fixed rate of q-allowed.txt, dnsperf on CPU 0.
p99() {
  taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$data/q-allowed.txt" -l "$DUR" -Q "$2" -c 4 -t 2 -v > "$work/lat.txt" 2>&1 || true
  local line; line=$(python3 - "$work/lat.txt" "$2" "$DUR" <<'PY'
import sys
lat = sorted(float(l.split()[-1]) for l in open(sys.argv[1]) if l.startswith("> "))
if not lat: sys.exit("no latencies recorded")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
held = len(lat) / (int(sys.argv[2]) * float(sys.argv[3]))
warn = f"  RATE NOT HELD: {held:.0%} of the queries answered" if held < 0.95 else ""
print(f"{p(.99):.3f} {held:.3f} {len(lat)} answers  p50 {p(.5):.3f} ms  p90 {p(.9):.3f} ms  p99 {p(.99):.3f} ms  p99.9 {p(.999):.3f} ms{warn}")
PY
)
  local rest=${line#* }
  record "$1" "${line%% *}"; record "$1.held" "${rest%% *}"
  printf '  %-28s at %s qps: %s\n' "$1" "$2" "${rest#* }"
}

# memory KEY: VmRSS and VmHWM of the running server, in kB.
memory() {
  record "$1.rss_kb" "$(rss_kb "$spid")"; record "$1.hwm_kb" "$(hwm_kb "$spid")"
  echo "  $1: RSS $(mib "$(rss_kb "$spid")") MiB, peak $(mib "$(hwm_kb "$spid")") MiB"
}

run_limit() { # CPUS TAG
  local d; d=$([ "$1" = all ] && echo all || echo 0)
  start_limit "$1"; [ "$2" = pin ] && record "limit.ready_ms" "$ready"
  warm "$d"
  qps "limit.$2.allowed" "$d" q-allowed; qps "limit.$2.blocked" "$d" q-blocked
  if [ "$2" = pin ]; then for r in $RATES; do p99 "limit.pin.p99.$r" "$r"; done; memory limit; fi
  stop
}
run_hearth() { # CONFIG CPUS TAG
  local d; d=$([ "$2" = all ] && echo all || echo 0)
  start_hearth "$1" "$2"; echo "  hearth $1 $3: ready after $ready ms"
  if [ "$1/$3" = on/pin ]; then record "hearth.ready_ms" "$ready"; memory hearth.idle; fi
  warm "$d"
  qps "hearth.$1.$3.allowed" "$d" q-allowed; qps "hearth.$1.$3.blocked" "$d" q-blocked
  if [ "$1/$3" = on/pin ]; then
    for r in $RATES; do p99 "hearth.pin.p99.$r" "$r"; done
    memory hearth
    qps hearth.miss 0 q-miss
    echo "  log: $(du -m "$work/hearth-on.log" | cut -f1) MB, journal: $(du -cm "$work"/state/journal.db* 2>/dev/null | tail -1 | cut -f1) MB"
  fi
  stop
}
run_unbound() {
  port=$(freeport); mkdir -p "$work/unbound"
  cat > "$work/unbound/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$port
  port: $port
  num-threads: 1
  do-not-query-localhost: no
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$work/unbound"
  pidfile: ""
  use-syslog: no
  verbosity: 0
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$uport
CONF
  start unbound 1 "$port" unbound -d -p -c "$work/unbound/unbound.conf"
  record unbound.ready_ms "$ready"
  qps unbound.miss 0 q-miss; memory unbound
  stop
}
run_union() { # CONFIG (on or family)
  start_hearth "$1" 1 "$work/union.txt"; record "union.$1.ready_ms" "$ready"
  echo "  1.2M union, $1: ready after $ready ms ($(grep -o '"entries":[0-9]*' "$work/hearth-$1.log" | head -1))"
  warm 0; memory "union.$1"
  stop
}

[ -n "$BIGLIST" ] && [ -f "$BIGLIST" ] && gzip -dc "$BIGLIST" > "$work/union.txt"
for round in $(seq "$ROUNDS"); do
  order="limit hearth"; [ $((round % 2)) = 0 ] && order="hearth limit"
  echo "== round $round of $ROUNDS, pinned ($order)"
  for who in $order; do
    if [ "$who" = limit ]; then run_limit 1 pin; else run_hearth on 1 pin; run_hearth off 1 pin; fi
  done
  echo "== round $round, unpinned: servers and dnsperf on both cores"
  for who in $order; do
    if [ "$who" = limit ]; then run_limit all all; else run_hearth on all all; fi
  done
  if [ "$UNBOUND" = 1 ]; then echo "== round $round, Unbound forwarding (cache-miss)"; run_unbound; fi
  if [ -f "$work/union.txt" ]; then
    echo "== round $round, the 1.2M union, journal and dashboard on"
    run_union on; run_union family
  fi
done

echo "== results (medians over $ROUNDS rounds; ratios are each round's to the responder in that round)"
python3 "$repo/scripts/mixtable.py" "$results" "$RATES"
