#!/usr/bin/env bash
# Load test: modgate with the starter rule pack beside a bare Echo handler
# that reads the body and answers {} (the floor), measured in the same run
# with wrk. Prints requests/s and p99 latency of each and modgate's share of
# the floor's throughput.
#
#   bench/run.sh [DURATION] [CONNECTIONS]      e.g. bench/run.sh 10s 32
#
# Needs wrk (Debian: apt-get install wrk). Everything listens on loopback.
# RULES=examples/rules/spam.yaml measures counting rules; add
# REDIS_URL=redis://127.0.0.1:6379/0 to count in that Redis instead of in
# memory.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10s}
conns=${2:-32}
threads=${THREADS:-2}
body=${BODY_FILE:-server/testdata/before_message_text_group.json}
rules=${RULES:-examples/rules/starter.yaml}
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/modgate" ./cmd/modgate
go build -o "$work/floor" ./bench/floor

cat >"$work/config.yaml" <<YAML
listen: 127.0.0.1:18080
admin_listen: 127.0.0.1:19090
rules: [$(pwd)/$rules]
auth: {username: cometchat, password: bench}
log: {level: warn}
YAML
if [[ -n ${REDIS_URL:-} ]]; then
  printf 'state: {backend: redis, redis: {url: "%s"}}\n' "$REDIS_URL" >>"$work/config.yaml"
fi
"$work/modgate" serve --config "$work/config.yaml" & pids+=($!)
"$work/floor" --listen 127.0.0.1:18081 & pids+=($!)

wait_up() {
  for _ in $(seq 100); do
    curl -fs -o /dev/null "$1" -u cometchat:bench -d @"$body" && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2; exit 1
}
wait_up http://127.0.0.1:18080/webhooks/cometchat
wait_up http://127.0.0.1:18081/webhooks/cometchat

measure() { # name url -> "rps p99"
  local out
  out=$(BODY_FILE="$body" AUTH=$(printf 'cometchat:bench' | base64) \
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s bench/post.lua "$2")
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "bench: $1 answered non-2xx:" >&2; echo "$out" >&2; exit 1; fi
  printf '%-8s %12s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}

echo "wrk -t$threads -c$conns -d$duration, body $(basename "$body"), rules $rules" >&2
# Warm both up, then measure each twice, alternating, and keep the better run.
BODY_FILE="$body" wrk -t1 -c4 -d2s -s bench/post.lua http://127.0.0.1:18081/webhooks/cometchat >/dev/null
BODY_FILE="$body" AUTH=$(printf 'cometchat:bench' | base64) wrk -t1 -c4 -d2s -s bench/post.lua http://127.0.0.1:18080/webhooks/cometchat >/dev/null
f1=$(measure floor http://127.0.0.1:18081/webhooks/cometchat)
m1=$(measure modgate http://127.0.0.1:18080/webhooks/cometchat)
f2=$(measure floor http://127.0.0.1:18081/webhooks/cometchat)
m2=$(measure modgate http://127.0.0.1:18080/webhooks/cometchat)
awk -v f1="$f1" -v f2="$f2" -v m1="$m1" -v m2="$m2" 'BEGIN {
  f = (f1 > f2) ? f1 : f2; m = (m1 > m2) ? m1 : m2
  printf "modgate / floor = %.2f (best of two runs each)\n", m / f
}'
