#!/usr/bin/env bash
# bench-encrypted.sh: Hearth's cache-hit throughput and latency over UDP, DNS-over-TLS and
# DNS-over-HTTPS (HTTP/2), side by side, for docs/performance.md.
#
# usage: scripts/bench-encrypted.sh      (DUR=seconds per run, default 10; CLIENTS=dnsperf clients,
#                                         default 4; QPS=the fixed rate of the latency runs, default 5000)
#
# Everything runs on loopback: the bare miekg/dns responder (../shared/bench/limit) is the upstream,
# Hearth (its own local CA, rate limit off, 500 popular names warmed into the cache) is pinned to CPU 1,
# dnsperf and the upstream to CPU 0. Each dnsperf client opens one connection and keeps it for the whole
# run, so the TLS handshake is amortised as a phone's kept-alive connection amortises it. Prints, per
# transport, the queries/s at full load and the average and p99 latency at QPS queries/s
# (each answer's latency from dnsperf -v), then the encrypted ones' queries/s as ratios of UDP's.
# DoH is measured by dnsperf only with DOH=1: dnsperf 2.10's DoH client (Debian 12) loses queries and
# waits ~40 ms per answer against Go's HTTP/2 server here (at -q 1 too; DNS-OARC/dnsperf#240, #272), so its
# figures say more about dnsperf than about Hearth. Without it, DoH's figures come from
# `go test -run XXX -bench 'DoHCacheHit|DoHHandler' -benchtime 20000x -count 3 ./resolver/` (a Go HTTP/2
# client on one kept-alive connection, client and server in one process), printed at the end.
# Needs: go, taskset, python3, dnsperf 2.7+ (mode dot).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$repo/../shared/bench}
queries=${QUERIES:-$repo/../shared/testdata/querynames/top-500-names.txt}
DUR=${DUR:-10}; CLIENTS=${CLIENTS:-4}; QPS=${QPS:-5000}
command -v dnsperf >/dev/null || { echo "dnsperf is missing: sudo apt-get install dnsperf"; exit 2; }

work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

echo "== building"
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/hearth" ./cmd/hearth)
(cd "$bench/limit" && go build -o "$work/limit" .)
awk 'NF {print $1, "A"}' "$queries" > "$work/hit.txt"

uport=$(freeport); dport=$(freeport); tport=$(freeport); hport=$(freeport)
taskset -c 0 "$work/limit" -addr 127.0.0.1:"$uport" >/dev/null 2>&1 & pids+=($!)
cat > "$work/hearth.yaml" <<YAML
listen: ["127.0.0.1:$dport"]
listen_tls: ["127.0.0.1:$tport"]
listen_https: ["127.0.0.1:$hport"]
tls: {self_signed: true, names: [dns.home.arpa], max_connections: 0}
state_dir: $work/state
upstreams: {servers: ["udp://127.0.0.1:$uport"], strategy: ordered}
rate_limit: {qps: 0}
web: {listen: "127.0.0.1:0"}
log: {level: info}
YAML
taskset -c 1 "$work/hearth" serve --config "$work/hearth.yaml" >"$work/hearth.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q '"hearth started"' "$work/hearth.log" && break; sleep 0.1; done
grep -q '"hearth started"' "$work/hearth.log" || { echo "Hearth did not start:"; cat "$work/hearth.log"; exit 1; }
dnsperf -s 127.0.0.1 -p "$dport" -d "$work/hit.txt" -n 1 >/dev/null 2>&1 # warm the cache

# run MODE PORT [dnsperf args...]: prints "qps avg_ms p99_ms" from one dnsperf run.
run() {
  local mode=$1 port=$2; shift 2
  local extra=()
  [ "$mode" = doh ] && extra=(-O doh-uri="https://dns.home.arpa:$port/dns-query/bench-phone" -O doh-method=POST)
  taskset -c 0 dnsperf -m "$mode" -s 127.0.0.1 -p "$port" -d "$work/hit.txt" -l "$DUR" -c "$CLIENTS" \
    "${extra[@]}" "$@" > "$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; echo "0 nan nan"; return; }
  [ -n "${DEBUG:-}" ] && grep -v "^>" "$work/out.txt" >&2
  python3 - "$work/out.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
qps = float(re.search(r"Queries per second:\s+([\d.]+)", t).group(1))
avg = float(re.search(r"Average Latency \(s\):\s+([\d.]+)", t).group(1)) * 1000
# with -v: one line per answer, "> NOERROR name A 0.000573" (seconds)
lat = sorted(float(x) for x in re.findall(r"^> \S+ \S+ \S+ ([\d.]+)$", t, re.M))
p99 = lat[int(0.99 * (len(lat) - 1))] * 1000 if lat else float("nan")
print(f"{qps:.0f} {avg:.3f} {p99:.3f}")
PY
}
declare -A full lat
modes="udp dot"; [ "${DOH:-0}" = 1 ] && modes="udp dot doh"
for mode in $modes; do
  case $mode in udp) port=$dport;; dot) port=$tport;; doh) port=$hport;; esac
  full[$mode]=$(run "$mode" "$port")
  lat[$mode]=$(run "$mode" "$port" -Q "$QPS" -v)
done
printf "%-5s %12s %14s %14s\n" transport "qps (full)" "avg ms @$QPS" "p99 ms @$QPS"
for mode in $modes; do
  read -r q _ _ <<<"${full[$mode]}"; read -r _ a p <<<"${lat[$mode]}"
  printf "%-5s %12s %14s %14s\n" "$mode" "$q" "$a" "$p"
done
read -r uq _ _ <<<"${full[udp]}"
for mode in ${modes#udp }; do read -r q _ _ <<<"${full[$mode]}"; python3 -c "print('$mode/udp ratio: %.2f' % ($q/$uq))"; done
if [ "${DOH:-0}" != 1 ]; then
  echo "== DoH (Go HTTP/2 client, in process)"
  (cd "$repo" && go test -run XXX -bench 'DoTCacheHit|DoHCacheHit|DoHHandler' -benchtime 20000x -count 3 ./resolver/ | grep -E '^Benchmark')
fi
