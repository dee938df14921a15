#!/usr/bin/env bash
# Load test: modgate beside a bare Echo handler that reads the body and
# answers {} (the floor) and beside OPA holding the same policy in Rego, all
# measured in the same run with wrk. Prints requests/s and p99 latency of
# each, its CPU time per request, and the ratios of the performance goals
# (README "Performance"):
#
#   13 / floor        bench/rules/realistic13.yaml
#   104 / floor       bench/rules/realistic104.yaml (the 13 rules eight times)
#   13+rate / floor   realistic13.yaml and bench/rules/rate.yaml (memory backend)
#   13 / opa          bench/opa/policy.rego, the 13 rules in Rego
#
#   bench/run.sh [DURATION] [CONNECTIONS]      e.g. bench/run.sh 10s 16
#
# Needs wrk (Debian: apt-get install wrk) and Go. OPA is installed with
# go install into a temporary GOBIN (OPA_VERSION, default below; OPA=path
# uses a binary you have, OPA=none skips it). Everything listens on
# loopback, on ports 18080-18084 and 19090-19092. ROUNDS (default 2) is how
# many times each server is measured, alternating; the best round counts.
# PGO=off builds modgate without cmd/modgate/default.pgo (bench/pgo.sh).
# RULES=file[,file] measures other rule files instead of the three sets;
# REDIS_URL=redis://127.0.0.1:6379/0 counts in that Redis instead of in
# memory.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10s}
conns=${2:-16}
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
body=${BODY_FILE:-server/testdata/before_message_text_group.json}
opa_version=${OPA_VERSION:-v1.22.3}
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -pgo="${PGO:-auto}" -o "$work/modgate" ./cmd/modgate
go build -o "$work/floor" ./bench/floor

opa=${OPA:-}
if [[ -z $opa ]]; then
  # Outside the module, so OPA stays out of modgate's go.mod.
  (cd "$work" && GOBIN="$work/bin" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@$opa_version")
  opa=$work/bin/opa
fi

abs() { local IFS=,; local out=() f; for f in $1; do out+=("$(pwd)/$f"); done; (IFS=,; echo "${out[*]}"); }

gateway() { # name port admin rules
  cat >"$work/$1.yaml" <<YAML
listen: 127.0.0.1:$2
admin_listen: 127.0.0.1:$3
admin_pprof: true
rules: [$(abs "$4")]
auth: {username: cometchat, password: bench}
log: {level: warn}
YAML
  if [[ -n ${REDIS_URL:-} ]]; then
    printf 'state: {backend: redis, redis: {url: "%s"}}\n' "$REDIS_URL" >>"$work/$1.yaml"
  fi
  "$work/modgate" serve --config "$work/$1.yaml" & pids+=($!)
  pid[$1]=$!
}

declare -A pid
names=(floor) urls=(http://127.0.0.1:18081/webhooks/cometchat) bodies=("$body")
"$work/floor" --listen 127.0.0.1:18081 & pids+=($!)
pid[floor]=$!
if [[ -n ${RULES:-} ]]; then
  gateway modgate 18080 19090 "$RULES"
  names+=(modgate) urls+=(http://127.0.0.1:18080/webhooks/cometchat) bodies+=("$body")
else
  gateway 13 18080 19090 bench/rules/realistic13.yaml
  gateway 104 18082 19091 bench/rules/realistic104.yaml
  gateway 13+rate 18083 19092 bench/rules/realistic13.yaml,bench/rules/rate.yaml
  names+=(13 104 13+rate)
  urls+=(http://127.0.0.1:18080/webhooks/cometchat http://127.0.0.1:18082/webhooks/cometchat http://127.0.0.1:18083/webhooks/cometchat)
  bodies+=("$body" "$body" "$body")
  if [[ $opa != none ]]; then
    printf '{"input":%s}' "$(cat "$body")" >"$work/opa-input.json"
    "$opa" run --server --addr 127.0.0.1:18084 --log-level error bench/opa/policy.rego & pids+=($!)
    pid[opa]=$!
    names+=(opa) urls+=(http://127.0.0.1:18084/v1/data/modgate/verdict) bodies+=("$work/opa-input.json")
  fi
fi

wait_up() { # url body
  for _ in $(seq 200); do
    curl -fs -o /dev/null "$1" -u cometchat:bench -H 'Content-Type: application/json' -d @"$2" && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2; exit 1
}

auth=$(printf 'cometchat:bench' | base64)
# cpu PID: the process's user and system CPU time so far, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)

measure() { # name url body -> rps
  local out rps p99 t0 t1 n
  t0=$(cpu "${pid[$1]}")
  out=$(BODY_FILE="$3" AUTH=$auth wrk -t"$threads" -c"$conns" -d"$duration" --latency -s bench/post.lua "$2")
  t1=$(cpu "${pid[$1]}")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "bench: $1 answered non-2xx:" >&2; echo "$out" >&2; exit 1; fi
  # CPU per request is the server's own cost, which other work on the
  # machine disturbs less than it does requests per second.
  printf '%-8s %12s req/s   p99 %-8s %6.1f µs CPU/request\n' "$1" "$rps" "$p99" \
    "$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$ticks" 'BEGIN {print (b - a) / hz * 1e6 / n}')" >&2
  echo "$rps"
}

echo "wrk -t$threads -c$conns -d$duration, body $(basename "$body"), $rounds rounds" >&2
declare -A best
for i in "${!names[@]}"; do
  wait_up "${urls[$i]}" "${bodies[$i]}"
  BODY_FILE="${bodies[$i]}" AUTH=$auth wrk -t1 -c4 -d2s -s bench/post.lua "${urls[$i]}" >/dev/null
  best[${names[$i]}]=0
done
for _ in $(seq "$rounds"); do
  for i in "${!names[@]}"; do
    r=$(measure "${names[$i]}" "${urls[$i]}" "${bodies[$i]}")
    best[${names[$i]}]=$(awk -v a="$r" -v b="${best[${names[$i]}]}" 'BEGIN {print (a > b) ? a : b}')
  done
done
ratio() { awk -v a="${best[$1]}" -v b="${best[$2]}" -v l="$3" 'BEGIN {printf "%-16s %.2f\n", l, a / b}'; }
echo "best of $rounds rounds each:"
for n in "${names[@]}"; do
  [[ $n == floor || $n == opa ]] && continue
  ratio "$n" floor "$n / floor"
done
if [[ -n ${best[opa]:-} ]]; then ratio 13 opa "13 / opa"; fi
