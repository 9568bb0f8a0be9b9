# loadlib.sh: what the load scripts (flood.sh, cachebytes.sh, soak.sh, loadmix.sh, ...) share (sourced, not run).
# Builds Hearth and scripts/responder (the local upstream) into a temporary
# directory, starts them on loopback, and stops only the processes it started.
# shellcheck shell=bash
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

need_dnsperf() {
  command -v dnsperf >/dev/null && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "installing dnsperf..."
    (apt-get install -y -qq dnsperf >/dev/null 2>&1) || (apt-get update -qq && apt-get install -y -qq dnsperf >/dev/null)
  else
    echo "dnsperf is missing: sudo apt-get install dnsperf"; exit 2
  fi
}

build() {
  echo "== building hearth and scripts/responder"
  (cd "$repo" && CGO_ENABLED=0 go build -o "$work/hearth" ./cmd/hearth && go build -o "$work/responder" ./scripts/responder)
}

# start_responder PORT [ARGS...]: the local upstream; sets upid.
start_responder() {
  local port=$1; shift
  "$work/responder" -addr 127.0.0.1:"$port" "$@" >"$work/responder-$port.log" 2>&1 & upid=$!; pids+=("$upid")
  for _ in $(seq 50); do grep -q "responder on" "$work/responder-$port.log" && return 0; sleep 0.1; done
  cat "$work/responder-$port.log"; exit 1
}

# hearth_config PORT WEBPORT UPSTREAMPORT [EXTRA YAML]: a configuration file; prints its path.
hearth_config() {
  local f="$work/hearth-$1.yaml"
  mkdir -p "$work/state-$1"
  cat > "$f" <<YAML
listen: ["127.0.0.1:$1"]
state_dir: "$work/state-$1"
web: {listen: "127.0.0.1:$2"}
upstreams: {servers: ["udp://127.0.0.1:$3"], timeout: 1s}
identify: {neighbours: false}
log: {level: info, format: json}
${4:-}
YAML
  echo "$f"
}

# mix_yaml PORT STATE UPSTREAMPORT LIST JOURNAL [EXTRA YAML]: the harness mix's configuration
# (issue 15: the list in category ads blocked for every device, the dashboard on, no rate limit since
# dnsperf is one client, the journal on or off), on standard output.
mix_yaml() {
  cat <<YAML
listen: ["127.0.0.1:$1"]
state_dir: "$2"
web: {listen: "127.0.0.1:0"}
upstreams: {servers: ["udp://127.0.0.1:$3"]}
identify: {neighbours: false}
rate_limit: {qps: 0}
timezone: Europe/London
lists:
  sources:
    - {name: mix-1m, category: ads, file: "$4"}
blocking: {block: [ads]}
journal: {enabled: $5}
log: {level: info, format: json}
${6:-}
YAML
}

# start_hearth CONFIG: sets hpid and hlog.
start_hearth() {
  hlog="$work/$(basename "$1" .yaml).log"
  "$work/hearth" serve --config "$1" >"$hlog" 2>&1 & hpid=$!; pids+=("$hpid")
  for _ in $(seq 100); do grep -q '"hearth started"' "$hlog" && return 0; sleep 0.1; done
  echo "Hearth did not start:"; cat "$hlog"; exit 1
}

rss_kb() { awk '/VmRSS/{print $2}' /proc/"$1"/status; }
hwm_kb() { awk '/VmHWM/{print $2}' /proc/"$1"/status; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
# goroutines WEBPORT: go_goroutines from /metrics.
goroutines() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^go_goroutines /{print $2}'; }
