#!/usr/bin/env bash
# Checks the Prometheus alerts and the Grafana dashboard against a real
# Prometheus scraping a real modgate, all on 127.0.0.1:
#
#   1. promtool check rules (alerts.yaml) and check config (the compose demo's
#      prometheus.yml);
#   2. promtool test rules: unit tests of the alerts' logic (written below);
#   3. builds modgate, starts it with the starter rule pack and a Prometheus
#      that scrapes it every second and loads alerts.yaml, sends webhooks
#      (passed, dropped, tagged, unauthorized, malformed), waits for the
#      scrapes, then evaluates every alert expression and every dashboard
#      query through /api/v1/query. An empty result is fine; an error fails.
#
# Usage, from anywhere in the repository:  bash examples/prometheus/check.sh
# Needs: go, curl, jq, and prometheus + promtool (Debian: apt-get install prometheus).
# It installs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

ALERTS=examples/prometheus/alerts.yaml
DASHBOARD=examples/grafana/modgate-dashboard.json
COMPOSE_PROM=examples/compose/prometheus.yml

missing=()
for tool in go curl jq prometheus promtool; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "check.sh: missing ${missing[*]} (promtool and prometheus: apt-get install prometheus; jq: apt-get install jq)" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/modgate-promcheck.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # bounded: a process that ignores SIGTERM for 10s gets SIGKILL
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "check.sh: FAIL: $*" >&2; exit 1; }

# free_port prints a loopback TCP port nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port found"
}

# wait_for URL SECONDS: until URL answers 2xx.
wait_for() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

echo "== promtool check"
promtool check rules "$ALERTS"
promtool check config "$COMPOSE_PROM"

echo "== promtool test rules (alert logic)"
# The tests check when each alert fires and with which labels; promtool would
# also compare the annotations' full text, so they test a copy without them.
awk '
  skip && match($0, /^ */) && RLENGTH > indent { next }
  { skip = 0 }
  /^ *annotations:/ { skip = 1; match($0, /^ */); indent = RLENGTH; next }
  { print }
' "$ALERTS" >"$tmp/alerts-no-annotations.yaml"
cat >"$tmp/alerts_test.yaml" <<EOF
rule_files: [$tmp/alerts-no-annotations.yaml]
evaluation_interval: 1m
tests:
  - name: a failing reload alerts after 5m+10m, a successful one clears it
    interval: 1m
    input_series:
      - series: 'modgate_rules_last_reload_successful{job="modgate",instance="a:9090"}'
        values: '1 0x30'
      - series: 'modgate_rules_last_reload_successful{job="modgate",instance="b:9090"}'
        values: '1x31'
    alert_rule_test:
      - {eval_time: 10m, alertname: ModgateReloadFailing, exp_alerts: []}
      - eval_time: 20m
        alertname: ModgateReloadFailing
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate, instance: "a:9090"}
  - name: a rule count falling by more than half alerts, a steady one does not
    interval: 1m
    input_series:
      - {series: 'modgate_rules_loaded{job="modgate",instance="a:9090"}', values: '40x20 3x30'}
      - {series: 'modgate_rules_loaded{job="modgate",instance="b:9090"}', values: '40x50'}
    alert_rule_test:
      - {eval_time: 20m, alertname: ModgateRulesDropped, exp_alerts: []}
      - eval_time: 30m
        alertname: ModgateRulesDropped
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate, instance: "a:9090"}
  - name: evaluation timeouts for 10m
    interval: 1m
    input_series:
      - {series: 'modgate_evaluation_timeouts_total{job="modgate",instance="a:9090"}', values: '0+3x30'}
      - {series: 'modgate_evaluation_timeouts_total{job="modgate",instance="b:9090"}', values: '0x30'}
    alert_rule_test:
      - {eval_time: 5m, alertname: ModgateEvaluationTimeouts, exp_alerts: []}
      - eval_time: 20m
        alertname: ModgateEvaluationTimeouts
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate, instance: "a:9090"}
  - name: a target down for 5m
    interval: 1m
    input_series:
      - {series: 'up{job="modgate",instance="a:9090"}', values: '1 1 0x10'}
    alert_rule_test:
      - {eval_time: 4m, alertname: ModgateDown, exp_alerts: []}
      - eval_time: 8m
        alertname: ModgateDown
        exp_alerts:
          - exp_labels: {severity: critical, job: modgate, instance: "a:9090"}
  - name: rule errors, per rule
    interval: 1m
    input_series:
      - {series: 'modgate_rule_errors_total{job="modgate",instance="a:9090",rule="broken"}', values: '0+6x30'}
      - {series: 'modgate_rule_errors_total{job="modgate",instance="a:9090",rule="fine"}', values: '0x30'}
    alert_rule_test:
      - eval_time: 20m
        alertname: ModgateRuleErrors
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate, rule: broken}
  - name: p99 latency over 1s
    interval: 1m
    input_series:
      # every observation takes 1-2s: p99 is near 2s
      - {series: 'modgate_evaluation_duration_seconds_bucket{job="modgate",le="1"}', values: '0x20'}
      - {series: 'modgate_evaluation_duration_seconds_bucket{job="modgate",le="2"}', values: '0+60x20'}
      - {series: 'modgate_evaluation_duration_seconds_bucket{job="modgate",le="+Inf"}', values: '0+60x20'}
    alert_rule_test:
      - eval_time: 15m
        alertname: ModgateLatencyNearBudget
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate}
  - name: fast evaluation does not alert
    interval: 1m
    input_series:
      - {series: 'modgate_evaluation_duration_seconds_bucket{job="modgate",le="0.001"}', values: '0+60x20'}
      - {series: 'modgate_evaluation_duration_seconds_bucket{job="modgate",le="+Inf"}', values: '0+60x20'}
    alert_rule_test:
      - {eval_time: 15m, alertname: ModgateLatencyNearBudget, exp_alerts: []}
  - name: drop share jumps from 1% to 20%
    interval: 1m
    input_series:
      # a day of 100 messages a minute with 1 drop, then 2h with 20 drops
      - {series: 'modgate_messages_total{job="modgate",trigger="before_message",verdict="pass"}', values: '0+99x1440 142640+80x120'}
      - {series: 'modgate_messages_total{job="modgate",trigger="before_message",verdict="drop"}', values: '0+1x1440 1460+20x120'}
    alert_rule_test:
      - {eval_time: 1d, alertname: ModgateDropRateAnomalous, exp_alerts: []}
      - {eval_time: 1d10m, alertname: ModgateDropRateAnomalous, exp_alerts: []}
      - eval_time: 1d1h
        alertname: ModgateDropRateAnomalous
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate}
  - name: every request unauthorized (wrong password in CometChat)
    interval: 1m
    input_series:
      - {series: 'modgate_requests_rejected_total{job="modgate",reason="unauthorized"}', values: '0+60x20'}
      - {series: 'modgate_messages_total{job="modgate",trigger="before_message",verdict="pass"}', values: '0x20'}
    alert_rule_test:
      - eval_time: 15m
        alertname: ModgateRequestsRejected
        exp_alerts:
          - exp_labels: {severity: critical, job: modgate}
  - name: the state store failing for 5m
    interval: 1m
    input_series:
      - {series: 'modgate_state_operations_total{job="modgate",instance="a:9090",result="ok"}', values: '0+60x20'}
      - {series: 'modgate_state_operations_total{job="modgate",instance="a:9090",result="error"}', values: '0x5 0+3x15'}
      - {series: 'modgate_state_operations_total{job="modgate",instance="a:9090",result="skipped"}', values: '0x5 0+57x15'}
    alert_rule_test:
      - {eval_time: 5m, alertname: ModgateStateStoreFailing, exp_alerts: []}
      - eval_time: 15m
        alertname: ModgateStateStoreFailing
        exp_alerts:
          - exp_labels: {severity: warning, job: modgate}
  - name: a healthy state store does not alert
    interval: 1m
    input_series:
      - {series: 'modgate_state_operations_total{job="modgate",result="ok"}', values: '0+60x20'}
      - {series: 'modgate_state_operations_total{job="modgate",result="timeout"}', values: '0+1x20'}
    alert_rule_test:
      - {eval_time: 15m, alertname: ModgateStateStoreFailing, exp_alerts: []}
  - name: a lone probe without a password does not alert
    interval: 1m
    input_series:
      - {series: 'modgate_requests_rejected_total{job="modgate",reason="unauthorized"}', values: '0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15'}
      - {series: 'modgate_messages_total{job="modgate",trigger="before_message",verdict="pass"}', values: '0x15'}
    alert_rule_test:
      - {eval_time: 15m, alertname: ModgateRequestsRejected, exp_alerts: []}
EOF
promtool test rules "$tmp/alerts_test.yaml"

echo "== modgate + Prometheus on 127.0.0.1"
go build -o "$tmp/modgate" ./cmd/modgate
mg_port=$(free_port); admin_port=$(free_port); prom_port=$(free_port)
while [[ $admin_port == "$mg_port" ]]; do admin_port=$(free_port); done
while [[ $prom_port == "$mg_port" || $prom_port == "$admin_port" ]]; do prom_port=$(free_port); done

cat >"$tmp/config.yaml" <<EOF
listen: "127.0.0.1:$mg_port"
admin_listen: "127.0.0.1:$admin_port"
rules:
  - $PWD/examples/rules/starter.yaml
auth:
  username: cometchat
  password_env: MODGATE_WEBHOOK_PASSWORD
log:
  level: warn
EOF
MODGATE_WEBHOOK_PASSWORD=x "$tmp/modgate" serve --config "$tmp/config.yaml" >"$tmp/modgate.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$admin_port/readyz" 30 || { cat "$tmp/modgate.log" >&2; fail "modgate did not become ready in 30s"; }

cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/$ALERTS
scrape_configs:
  - job_name: modgate
    static_configs:
      - targets: ["127.0.0.1:$admin_port"]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$prom_port"
wait_for "$prom/-/ready" 60 || { cat "$tmp/prometheus.log" >&2; fail "Prometheus did not become ready in 60s"; }

# post NAME EXPECTED_STATUS EXPECTED_BODY CURL_ARGS...
post() {
  local name=$1 want_status=$2 want_body=$3 out status
  shift 3
  out=$(curl -sS --max-time 5 -w '\n%{http_code}' "$@" "http://127.0.0.1:$mg_port/webhooks/cometchat")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $status == "$want_status" && $out == *"$want_body"* ]] ||
    fail "webhook $name: got $status $out, want $want_status $want_body"
}
td=server/testdata
post pass 200 '{}' -u cometchat:x --data-binary @"$td/before_message_text_user.json"
post pass 200 '{}' -u cometchat:x --data-binary @"$td/before_message_text_group.json"
post drop 200 '"do_not_propagate"' -u cometchat:x --data-binary @"$td/before_message_modern_scam.json"
post staff 200 '{}' -u cometchat:x --data-binary @"$td/before_message_staff_scam.json"
post after 200 '{}' -u cometchat:x --data-binary @"$td/after_message_text_group.json"
post unauthorized 401 'error' -u cometchat:wrong --data-binary @"$td/before_message_text_user.json"
post bad_request 400 'error' -u cometchat:x --data-binary 'not json'

# query EXPR: prints the number of result series, or fails on an error.
query() {
  local resp
  resp=$(curl -sS --max-time 10 -G --data-urlencode "query=$1" "$prom/api/v1/query") ||
    fail "query did not complete: $1"
  if [[ $(jq -r .status <<<"$resp") != success ]]; then
    echo "check.sh: query failed: $1" >&2
    echo "  $(jq -r '.errorType + ": " + .error' <<<"$resp")" >&2
    return 1
  fi
  jq '.data.result | length' <<<"$resp"
}

# Two scrapes that saw the webhooks above (raw samples of the drop counter
# with a value >= 1), bounded.
drop_samples='modgate_messages_total{job="modgate",trigger="before_message",verdict="drop"}[1m]'
scraped_drops() {
  curl -sS --max-time 5 -G --data-urlencode "query=$drop_samples" "$prom/api/v1/query" |
    jq '[.data.result[]?.values[] | select((.[1] | tonumber) >= 1)] | length' || echo 0
}
deadline=$((SECONDS + 30))
until (($(scraped_drops) >= 2)); do
  ((SECONDS < deadline)) || { cat "$tmp/prometheus.log" >&2; fail "Prometheus did not scrape the webhooks' counts twice in 30s"; }
  sleep 0.5
done

# Every alert rule evaluated at least once, without an error.
deadline=$((SECONDS + 30))
until rules=$(curl -sS --max-time 5 "$prom/api/v1/rules?type=alert") &&
  [[ $(jq '[.data.groups[].rules[] | select(.health == "unknown")] | length' <<<"$rules") == 0 ]]; do
  ((SECONDS < deadline)) || fail "the alert rules were not all evaluated in 30s"
  sleep 0.5
done
bad=$(jq -r '.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.lastError)"' <<<"$rules")
[[ -z $bad ]] || fail "alert rules failing in Prometheus: $bad"

passed=0 failed=0 nonempty=0
check_expr() { # SOURCE EXPR
  local n
  if n=$(query "$2"); then
    passed=$((passed + 1))
    ((n > 0)) && nonempty=$((nonempty + 1))
    printf '  ok   %-9s %3s series  %s\n' "$1" "$n" "$(tr -s ' \n' ' ' <<<"$2" | cut -c1-100)"
  else
    failed=$((failed + 1))
    printf '  FAIL %-9s %s\n' "$1" "$2"
  fi
}

echo "== alert expressions (as Prometheus parsed them)"
while IFS= read -r expr; do
  check_expr alert "$expr"
done < <(jq -r '.data.groups[].rules[].query | gsub("\n"; " ")' <<<"$rules")
n_alerts=$(jq '[.data.groups[].rules[]] | length' <<<"$rules")
n_file=$(grep -c '^ *- alert:' "$ALERTS")
[[ $n_alerts == "$n_file" ]] || fail "Prometheus loaded $n_alerts alerts, $ALERTS has $n_file"

echo "== dashboard queries"
# Grafana's variables, as Grafana would expand them for "All".
grafana_expand() {
  sed -E -e 's/\$(__rate_interval|__interval|__range)\b/1m/g' \
    -e 's/\$\{(__rate_interval|__interval|__range)\}/1m/g' \
    -e 's/\$\{?(rule|trigger)(:[a-z]+)?\}?/.*/g'
}
while IFS= read -r expr; do
  check_expr panel "$(grafana_expand <<<"$expr")"
done < <(jq -r '.. | objects | select(has("targets")) | .targets[] | .expr // empty | gsub("\n"; " ")' "$DASHBOARD")
# label_values(METRIC, LABEL) variables, as the PromQL Grafana sends for them.
while IFS= read -r q; do
  if [[ $q =~ ^label_values\((.+),[[:space:]]*([a-zA-Z_][a-zA-Z0-9_]*)\)$ ]]; then
    check_expr variable "group by (${BASH_REMATCH[2]}) (${BASH_REMATCH[1]})"
  else
    check_expr variable "$(grafana_expand <<<"$q")"
  fi
done < <(jq -r '.templating.list[] | select(.type == "query") | .query | if type == "object" then .query else . end' "$DASHBOARD")

((passed > 0)) || fail "no expressions found"
echo "prometheus-check: $passed passed, $failed failed"
echo "($nonempty of $passed queries returned data; Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}'))"
((failed == 0))
