#!/usr/bin/env bash
# Refreshes cmd/modgate/default.pgo, the CPU profile that go build uses for
# profile-guided optimization of the modgate binary (go build -pgo=auto, the
# default, picks up default.pgo in the main package's directory).
#
#   bench/pgo.sh [SECONDS]       default 20
#
# It builds modgate without the old profile, serves the load test's rule
# sets (bench/rules: the 13 rules, the 104, the 13 with a rate rule) on
# ports 18080-18082 with admin_pprof on 19090-19092, puts each under wrk
# (bench/post.lua, the group message) while taking a CPU profile from
# /debug/pprof/profile, and merges the three profiles into default.pgo.
# Re-run it after changing the hot path (decode, rules, engine, server),
# then commit default.pgo. Needs wrk and Go.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
body=server/testdata/before_message_text_group.json
command -v wrk >/dev/null || { echo "pgo: wrk not found (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -pgo=off -o "$work/modgate" ./cmd/modgate
auth=$(printf 'cometchat:bench' | base64)
i=0
for rules in bench/rules/realistic13.yaml bench/rules/realistic104.yaml "bench/rules/realistic13.yaml, $(pwd)/bench/rules/rate.yaml"; do
  cat >"$work/$i.yaml" <<YAML
listen: 127.0.0.1:1808$i
admin_listen: 127.0.0.1:1909$i
admin_pprof: true
rules: [$(pwd)/$rules]
auth: {username: cometchat, password: bench}
log: {level: warn}
YAML
  "$work/modgate" serve --config "$work/$i.yaml" & pids+=($!)
  for _ in $(seq 100); do
    curl -fs -o /dev/null "http://127.0.0.1:1808$i/webhooks/cometchat" -u cometchat:bench -d @"$body" && break
    sleep 0.1
  done
  BODY_FILE=$body AUTH=$auth wrk -t2 -c16 -d"$((seconds + 2))s" -s bench/post.lua "http://127.0.0.1:1808$i/webhooks/cometchat" >/dev/null &
  load=$!
  sleep 1
  curl -fs -o "$work/$i.pprof" "http://127.0.0.1:1909$i/debug/pprof/profile?seconds=$seconds"
  wait $load
  i=$((i + 1))
done
go tool pprof -proto "$work"/*.pprof >cmd/modgate/default.pgo
echo "pgo: wrote cmd/modgate/default.pgo ($(wc -c <cmd/modgate/default.pgo) bytes)" >&2
