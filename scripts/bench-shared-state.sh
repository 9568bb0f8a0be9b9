#!/usr/bin/env bash
# The cost of shared state (issue 19), for a quiet machine:
# 1. how long a change made on one node takes to reach the other (p50/p99 over 1,000 changes: 500
#    pauses added and 500 cancelled), through a real redis-server on loopback (build tag redis);
# 2. the query hot path's allocations, which shared state must leave at 0 (nothing on it touches Redis);
# 3. cache-hit throughput with state.redis on versus off: `hearth serve` with the shared bench data
#    (blocklist-1m.domains as a local list, blocked for everyone; the journal and the dashboard on;
#    the rate limit off), without a state: section, then with one naming a real redis-server on
#    loopback that a second Hearth (node B, not loaded) shares, so that the syncs, the heartbeat and
#    the pub/sub run during the load. dnsperf runs q-allowed.txt (cache hits after one warming pass)
#    and q-blocked.txt, in the style of scripts/loadmix.sh: pinned (Hearth on CPU 1, dnsperf on
#    CPU 0, Redis and node B unpinned), rounds in alternated order (off first in odd rounds), each
#    round's ratio on/off, medians over the rounds. The last lines are a markdown table for
#    docs/performance.md.
#
# usage: scripts/bench-shared-state.sh
# Environment: ONLY (latency, allocs or qps: that part alone), CHANGES (pauses added and cancelled
# in part 1, default 500), DUR (seconds per dnsperf run, default 10), ROUNDS (default 3), PERF
# (dnsperf's load options, default "-c 4 -q 100 -t 2"), MIXDATA (the data of ../shared/bench/gen,
# default /tmp/bench-data; made when missing), BENCH (the shared bench folder).
# Needs: go, redis-server (Debian's, /usr/bin/redis-server), and for part 3 dnsperf, taskset, python3.
set -euo pipefail
# shellcheck source=scripts/loadlib.sh
source "$(dirname "$0")/loadlib.sh"
cd "$repo"
ONLY=${ONLY:-}
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if part latency; then
  echo "== 1. a change on node A seen on node B (in-process nodes, a real redis-server)"
  HEARTH_LATENCY_CHANGES=${CHANGES:-500} go test -tags redis -count=1 -v -run TestPropagationLatency ./internal/cluster/ |
    grep -E 'changes \(adds|FAIL|^ok'
fi
if part allocs; then
  echo "== 2. the hot path's allocations (must stay 0 for cache hits)"
  go test -run XXX -bench 'CacheHit|Decide' -benchmem -count 3 ./policy/ ./resolver/ | grep -E 'allocs/op' |
    awk '{print $1, $5, $6, $7, $8}'
fi
part qps || exit 0

echo "== 3. cache-hit throughput, state.redis off and on"
bench=${BENCH:-$repo/../shared/bench}
data=${MIXDATA:-/tmp/bench-data}
DUR=${DUR:-10} ROUNDS=${ROUNDS:-3} PERF=${PERF:--c 4 -q 100 -t 2}
need_dnsperf
[ -x /usr/bin/redis-server ] || { echo "no /usr/bin/redis-server (Debian package redis-server)"; exit 2; }
for f in blocklist-1m.domains q-allowed.txt q-blocked.txt; do
  if [ ! -s "$data/$f" ]; then
    echo "== making the bench data in $data (../shared/bench/gen)"
    (cd "$bench/gen" && go run . -out "$data")
    break
  fi
done
build
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(go version | cut -d' ' -f3); $(redis-server --version | grep -o 'v=[0-9.]*')"
echo "== DUR=$DUR ROUNDS=$ROUNDS PERF=\"$PERF\" data=$data"
pin_server=1 pin_perf=0
[ "$(nproc)" -ge 2 ] || pin_server=0

uport=$(freeport); start_responder "$uport"
rport=$(freeport)
/usr/bin/redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no \
  >"$work/redis.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q "Ready to accept" "$work/redis.log" && break; sleep 0.1; done
grep -q "Ready to accept" "$work/redis.log" || { echo "redis-server did not start:"; cat "$work/redis.log"; exit 1; }

# yaml NAME PORT [EXTRA]: the bench configuration (loadmix.sh's "on") for node NAME on PORT.
yaml() {
  rm -rf "$work/state-$1"; mkdir -p "$work/state-$1"
  mix_yaml "$2" "$work/state-$1" "$uport" "$data/blocklist-1m.domains" true "${3:-}" > "$work/$1.yaml"
}
shared() { echo "state: {redis: \"redis://127.0.0.1:$rport/0\", node: $1}"; }

# blocked_ready PORT: waits until PORT answers the first blocked name with NXDOMAIN (the list is in).
blocked_ready() {
  python3 - "$1" "$(awk 'NR==1{print $1}' "$data/q-blocked.txt")" <<'PY'
import socket, struct, sys, time
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack(">HHHHHH", 0x4243, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.1", port)); s.settimeout(0.05)
deadline = time.time() + 180
while time.time() < deadline:
    try:
        s.send(q)
        r = s.recv(4096)
        if r[:2] == q[:2] and r[3] & 0xF == 3:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit("no NXDOMAIN for " + name + " within 180 s")
PY
}

# serve NAME CPUS: starts Hearth with $work/NAME.yaml (CPUS "" unpinned); sets spid.
serve() {
  if [ -n "$2" ]; then taskset -c "$2" "$work/hearth" serve --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
  else "$work/hearth" serve --config "$work/$1.yaml" >"$work/$1.log" 2>&1 & fi
  spid=$!; pids+=("$spid")
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
dp() { if [ "$pin_server" = 1 ]; then taskset -c "$pin_perf" dnsperf "$@"; else dnsperf "$@"; fi; }

results="$work/shared.tsv"; : > "$results"
# qps KEY FILE: a full-speed run; records the queries per second.
qps() {
  dp -s 127.0.0.1 -p "$port" -d "$data/$2.txt" -l "$DUR" $PERF > "$work/out.txt" 2>&1 || true
  local v; v=$(awk '/Queries per second:/{print $4}' "$work/out.txt")
  [ -n "$v" ] || { echo "dnsperf failed:"; cat "$work/out.txt"; exit 1; }
  if awk -v v="$v" 'BEGIN{exit !(v < 1)}'; then # no answer at all: say why before going on
    echo "  $1: no answers; dnsperf said:"; sed 's/^/    /' "$work/out.txt" | tail -15
    for n in bench-a bench-b; do [ -f "$work/$n.log" ] && { echo "  $n.log:"; tail -8 "$work/$n.log" | sed 's/^/    /'; }; done
    ss -ulpn 2>/dev/null | grep -w "$port" | sed 's/^/    /'
    if [ -n "${DUMP:-}" ]; then # DUMP=FILE: the stuck Hearth's goroutines (SIGQUIT) kept in FILE
      kill -QUIT "$apid" 2>/dev/null; sleep 1; cp "$work/bench-a.log" "$DUMP"; echo "  goroutines of node A in $DUMP"; exit 1
    fi
  fi
  echo "$round $1 $v" >> "$results"
  printf '  %-16s %9.0f qps  lost %s  %s\n' "$1" "$v" "$(awk '/Queries lost:/{print $3}' "$work/out.txt")" \
    "$(awk -F: '/Response codes:/{gsub(/^ +/, "", $2); print $2}' "$work/out.txt")"
}

# run off|on: one Hearth (with node B beside it for "on"), warmed, then allowed and blocked.
run() {
  local bpid=""
  port=$(freeport)
  if [ "$1" = on ]; then
    yaml bench-b "$(freeport)" "$(shared bench-b)"; serve bench-b ""; bpid=$spid
    yaml bench-a "$port" "$(shared bench-a)"
  else
    yaml bench-a "$port"
  fi
  local cpus=""; [ "$pin_server" = 1 ] && cpus=1
  serve bench-a "$cpus"; local apid=$spid
  blocked_ready "$port"
  [ -n "$bpid" ] && blocked_ready "$(sed -n 's|^listen: \["127.0.0.1:\([0-9]*\)"\]|\1|p' "$work/bench-b.yaml")"
  if [ "$1" = on ]; then
    grep -q '"sharing live state through Redis"' "$work/bench-a.log" || { echo "node A does not share state:"; tail -5 "$work/bench-a.log"; exit 1; }
  fi
  for f in q-allowed q-blocked; do dp -s 127.0.0.1 -p "$port" -d "$data/$f.txt" -n 1 -Q 50000 -t 2 >/dev/null 2>&1; done
  qps "$1.allowed" q-allowed; qps "$1.blocked" q-blocked
  if [ "$1" = on ]; then # both nodes still beat in Redis (within 3 s) after the load
    local nodes; nodes=$(redis-cli -p "$rport" zrangebyscore hearth:nodes $(($(date +%s) - 3)) +inf | sort | xargs)
    case "$nodes" in *bench-a*bench-b*) ;; *) echo "the nodes in Redis: \"$nodes\", want bench-a and bench-b"; exit 1 ;; esac
  fi
  stop "$apid"; [ -n "$bpid" ] && stop "$bpid"
  return 0
}

for round in $(seq "$ROUNDS"); do
  order="off on"; [ $((round % 2)) = 0 ] && order="on off"
  echo "== round $round of $ROUNDS ($order)"
  for what in $order; do run "$what"; done
done

echo "== results (medians over $ROUNDS rounds; ratio: each round's on/off)"
python3 - "$results" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    rnd, key, v = line.split()
    by.setdefault(key, {})[rnd] = float(v)
print("| cache hits, one Hearth pinned to a core | state.redis off | on | on/off |")
print("|---|---|---|---|")
for kind in ("allowed", "blocked"):
    off, on = by.get("off." + kind, {}), by.get("on." + kind, {})
    ratios = [on[r] / off[r] for r in off if r in on and off[r] > 0]
    if not ratios:
        continue
    print(f"| {kind} (q-{kind}.txt) | {statistics.median(off.values()):,.0f} qps | {statistics.median(on.values()):,.0f} qps "
          f"| {statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f}) |")
PY
