#!/usr/bin/env bash
# memready.sh: Hearth's memory and time to ready with the 1.2M-domain union,
# the way a family runs it (journal and dashboard on), with and without a
# family's policy (four groups, categories, windows, bedtimes, devices).
#
# For each of ROUNDS rounds (default 3) and each mode (plain, family) it
# starts `hearth serve`, and prints:
#   ready   seconds from exec to the "hearth started" log line (lists compiled,
#           listening);
#   idle    VmRSS (with its RssAnon and RssFile parts) and VmHWM from /proc
#           IDLE seconds after ready (default 3: Hearth drops the code pages
#           its start-up touched 2 s after start, and every minute after;
#           IDLE=130 shows the idle state after the first minutes' work and
#           the collector's first forced cycle);
#   load    VmRSS and VmHWM after DUR seconds (default 2) of dnsperf with
#           10,000 allowed names and then DUR seconds with 10,000 listed names;
# and, for the last round of each mode, a heap profile summary (go tool pprof
# -top -inuse_space of the live heap, through HEARTHHEAPPROFILE and SIGUSR1).
#
# Settings (environment): ROUNDS, IDLE, DUR, QPS (dnsperf -Q, default 20000),
# HEARTH_SHARED_TESTDATA (the directory with blocklists/large-merged-union...;
# default ../shared/testdata beside the repository), BENCH_DATA (the output of
# ../shared/bench/gen, for q-allowed.txt; default /tmp/bench-data), CPUS
# (taskset list for Hearth, default 1; dnsperf runs on the other core),
# HEARTH_BIN (a hearth binary to measure instead of this checkout's build);
# GOMEMLIMIT is passed through if set. Targets (issue 15): resident <= 24 MB,
# peak <= 48 MB, ready <= 0.5 s, family as quick as plain.
set -euo pipefail
# shellcheck source=loadlib.sh
. "$(dirname "$0")/loadlib.sh"

shared=${HEARTH_SHARED_TESTDATA:-$repo/../shared/testdata}
big=$shared/blocklists/large-merged-union.domains.txt.gz
[ -f "$big" ] || { echo "no union at $big: set HEARTH_SHARED_TESTDATA"; exit 2; }
bench=${BENCH_DATA:-/tmp/bench-data}
ROUNDS=${ROUNDS:-3}; IDLE=${IDLE:-3}; DUR=${DUR:-2}; QPS=${QPS:-20000}; CPUS=${CPUS:-1}
need_dnsperf
build
# HEARTH_BIN: measure that binary instead (say, a build of an earlier commit).
if [ -n "${HEARTH_BIN:-}" ]; then cp "$HEARTH_BIN" "$work/hearth"; fi

uport=$(freeport); start_responder "$uport" -txt 64
gzip -dc "$big" > "$work/union.txt"
# Listed names to ask: every 121st name of the union (10,000 of them).
grep -v '^#' "$work/union.txt" | awk 'NR % 121 == 0 { print $1 " A" }' | head -10000 > "$work/q-listed.txt"
if [ -f "$bench/q-allowed.txt" ]; then cp "$bench/q-allowed.txt" "$work/q-allowed.txt"
else for i in $(seq 10000); do echo "www.name$i-ok.example A"; done > "$work/q-allowed.txt"; fi

# config MODE PORT: the configuration file of one run.
config() {
  local mode=$1 port=$2 f="$work/$1-$2.yaml"
  mkdir -p "$work/state-$port"
  cat > "$f" <<YAML
listen: ["127.0.0.1:$port"]
state_dir: "$work/state-$port"
web: {listen: "127.0.0.1:0"}
upstreams: {servers: ["udp://127.0.0.1:$uport"], timeout: 1s}
identify: {neighbours: false}
journal: {enabled: true}
log: {level: info, format: json}
lists:
  sources:
    - {name: large-union, category: ads, file: "$work/union.txt"}
YAML
  if [ "$mode" = plain ]; then
    echo 'blocking: {block: [ads]}' >> "$f"
  else
    # The family: the starting rules of docs/policy.md without the categories
    # whose public lists are downloaded (adult, gambling, malware, bypass):
    # this script talks to loopback only.
    cat >> "$f" <<'YAML'
timezone: Europe/London
calendar: {holidays: ["2026-12-19..2027-01-04"]}
blocking: {block: [ads]}
devices:
  - {name: ada-tablet, mac: "02:00:00:00:00:01", group: little-kids}
  - {name: ben-laptop, mac: "02:00:00:00:00:02", group: kids}
  - {name: ben-phone, mac: "02:00:00:00:00:03", group: kids}
  - {name: cat-phone, mac: "02:00:00:00:00:04", group: teens}
  - {name: cat-laptop, ip: 127.0.0.9, group: teens}
  - {name: dan-phone, mac: "02:00:00:00:00:05", group: older-teens}
groups:
  little-kids:
    rules:
      - {block: [social, chat]}
      - {block: [gaming, video], outside: ["mon-fri 16:00-18:00", "sat,sun 09:00-18:00"], holidays: ["daily 09:00-18:00"]}
    bedtime: ["daily 19:30-07:00"]
    safe_search: strict
  kids:
    rules:
      - {block: [social]}
      - {block: [gaming], except: [minecraft], outside: ["mon-fri 16:00-19:00", "sat,sun 10:00-20:00"], holidays: ["daily 10:00-20:00"]}
      - {block: [chat], outside: ["daily 07:00-20:00"]}
    bedtime: ["sun-thu 20:30-07:00", "fri,sat 21:30-08:00"]
    allow: [school.example.org]
    safe_search: strict
  teens:
    rules:
      - {block: [social, gaming], during: ["mon-fri 09:00-15:30"]}
    bedtime: ["sun-thu 22:00-06:30", "fri,sat 23:30-08:00"]
    safe_search: moderate
  older-teens:
    rules:
      - {block: [video], during: ["mon-fri 09:00-15:30"]}
    safe_search: moderate
YAML
  fi
  echo "$f"
}

kb() { awk -v k="$2" '$1 == k":" {print $2}' /proc/"$1"/status; }
# RSS is anonymous memory (Hearth's data) plus file pages (the binary's code,
# shared and reclaimable); both are shown.
mem() { printf 'RSS %s MiB (anon %s, file %s), peak %s MiB' "$(mib "$(kb "$1" VmRSS)")" "$(mib "$(kb "$1" RssAnon)")" "$(mib "$(kb "$1" RssFile)")" "$(mib "$(kb "$1" VmHWM)")"; }
other=$([ "$CPUS" = 1 ] && echo 0 || echo 1)

"$work/hearth" check-config --config "$(config family 1)" >/dev/null || { "$work/hearth" check-config --config "$work/family-1.yaml"; exit 1; }
echo "== Hearth with $(basename "$big"), journal and dashboard on: $ROUNDS rounds, DUR=${DUR}s at ${QPS} qps"
for round in $(seq "$ROUNDS"); do
  for mode in plain family; do
    port=$(freeport); cfg=$(config "$mode" "$port"); log="$work/$mode-$port.log"
    t0=$(date +%s%N)
    HEARTHHEAPPROFILE="$work/heap-$mode.pb.gz" env -u HEARTH_SHARED_TESTDATA taskset -c "$CPUS" "$work/hearth" serve --config "$cfg" >"$log" 2>&1 & hpid=$!; pids+=("$hpid")
    for _ in $(seq 1000); do grep -q '"hearth started"' "$log" && break; sleep 0.005; done
    t1=$(date +%s%N)
    grep -q '"hearth started"' "$log" || { cat "$log"; exit 1; }
    sleep "$IDLE"
    idle=$(mem "$hpid")
    taskset -c "$other" dnsperf -s 127.0.0.1 -p "$port" -d "$work/q-allowed.txt" -l "$DUR" -Q "$QPS" -c 4 >/dev/null 2>&1 || true
    taskset -c "$other" dnsperf -s 127.0.0.1 -p "$port" -d "$work/q-listed.txt" -l "$DUR" -Q "$QPS" -c 4 >/dev/null 2>&1 || true
    printf '%-6s round %d: ready %s s; idle (%s s) %s; after load %s\n' "$mode" "$round" \
      "$(awk -v d=$((t1 - t0)) 'BEGIN{printf "%.3f", d/1e9}')" "$IDLE" "$idle" "$(mem "$hpid")"
    if [ "$round" = "$ROUNDS" ]; then
      kill -USR1 "$hpid"; sleep 0.5
      echo "-- live heap ($mode), top 8:"
      go tool pprof -top -inuse_space -nodecount 8 "$work/hearth" "$work/heap-$mode.pb.gz" 2>/dev/null | sed -n '/^Showing\|flat%/,$p' | head -11
    fi
    kill "$hpid"; wait "$hpid" 2>/dev/null || true
  done
done
