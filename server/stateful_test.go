package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const floodRules = `
rules:
  - id: flood
    when: rate("flood:" + sender.uid, "1m") > 3
    action: drop
    strike: {key: sender.uid, for: 1h}
  - id: offender
    when: strikes(sender.uid) >= 1
    action: tag
    tags: [offender]
  - id: banned
    when: text contains "scam"
    action: drop
`

// envelope is a before_message webhook from sender with the given muid.
func envelope(sender, muid, text string) string {
	b, _ := json.Marshal(map[string]any{"trigger": "before_message", "appId": "a", "webhook": "w", "data": map[string]any{
		"muid": muid, "sender": sender, "receiver": "g1", "receiverType": "group", "category": "message", "type": "text",
		"data": map[string]any{"text": text},
	}})
	return string(b)
}

func customAPI(sender, muid, text string) string {
	b, _ := json.Marshal(map[string]any{"contextMessages": []any{map[string]any{sender: map[string]any{
		"muid": muid, "sender": sender, "receiver": "g1", "receiverType": "group", "category": "message", "type": "text",
		"data": map[string]any{"text": text},
	}}}})
	return string(b)
}

func post(t *testing.T, h http.Handler, path, body string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

const dropBody = `{"action":"do_not_propagate"}`

func TestStatefulMemory(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := loadGateway(t, writeGateway(t, floodRules, "rules: [rules.yaml]\n"), reg)
	h := g.Handler()
	if g.StateBackend() != "memory" {
		t.Errorf("backend %q, want memory by default", g.StateBackend())
	}
	// m1 through both endpoints and retried: one message. Then m2, m3.
	for _, req := range [][2]string{
		{"/webhooks/cometchat", envelope("u1", "m1", "hi")},
		{"/moderation/cometchat", customAPI("u1", "m1", "hi")},
		{"/webhooks/cometchat", envelope("u1", "m1", "hi")},
		{"/webhooks/cometchat", envelope("u1", "m2", "hi")},
		{"/webhooks/cometchat", envelope("u1", "m3", "hi")},
	} {
		if got := post(t, h, req[0], req[1]); strings.Contains(got, "do_not_propagate") || strings.Contains(got, `"isMatchingCondition":true`) {
			t.Fatalf("%s: %s: the flood rule fired before the 4th message", req[0], got)
		}
	}
	if got := post(t, h, "/webhooks/cometchat", envelope("u1", "m4", "hi")); got != dropBody {
		t.Errorf("the 4th message: %s, want a drop", got)
	}
	if got := post(t, h, "/webhooks/cometchat", envelope("u2", "n1", "hi")); got != "{}" {
		t.Errorf("another sender: %s, want pass", got)
	}
	if got := metricValue(t, reg, "modgate_strikes_total", "rule", "flood"); got != 1 {
		t.Errorf("modgate_strikes_total{rule=flood} = %v, want 1", got)
	}
	if got := metricValue(t, reg, "modgate_state_operations_total", "result", "ok"); got != 8 {
		t.Errorf("state operations ok = %v, want 8 (7 counts, 1 strike)", got)
	}
	if got := metricValue(t, reg, "modgate_state_backend_info", "backend", "memory"); got != 1 {
		t.Errorf("modgate_state_backend_info{backend=memory} = %v", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// metricValue reads the counter or gauge of one series, found by a label.
func metricValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}

func redisConfig(t *testing.T, addr string) string {
	t.Helper()
	return fmt.Sprintf("rules: [rules.yaml]\nstate: {backend: redis, redis: {url: \"redis://%s/0\"}, timeout: 100ms}\n", addr)
}

func testRedisAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("MODGATE_TEST_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MODGATE_TEST_REDIS_ADDR is unset: CI must start redis-server (see .ci/run)")
		}
		t.Skip("MODGATE_TEST_REDIS_ADDR is unset")
	}
	return addr
}

// TestStatefulRedisReplicas runs two gateways on one Redis: a sender's
// messages, spread over both, are counted together.
func TestStatefulRedisReplicas(t *testing.T) {
	addr := testRedisAddr(t)
	sender := fmt.Sprintf("u-%s-%d", t.Name(), time.Now().UnixNano()) // unique across runs on one Redis
	var hs []http.Handler
	for range 2 {
		g := loadGateway(t, writeGateway(t, floodRules, redisConfig(t, addr)), prometheus.NewRegistry())
		if g.StateBackend() != "redis" {
			t.Fatalf("backend %q", g.StateBackend())
		}
		hs = append(hs, g.Handler())
	}
	for i := range 3 {
		if got := post(t, hs[i%2], "/webhooks/cometchat", envelope(sender, fmt.Sprintf("%s-%d", sender, i), "hi")); got != "{}" {
			t.Fatalf("message %d: %s, want pass", i+1, got)
		}
	}
	// The same message retried on the other replica does not count again.
	if got := post(t, hs[1], "/moderation/cometchat", customAPI(sender, sender+"-2", "hi")); strings.Contains(got, "true") {
		t.Fatalf("a retry on the other replica: %s", got)
	}
	if got := post(t, hs[1], "/webhooks/cometchat", envelope(sender, sender+"-3", "hi")); got != dropBody {
		t.Errorf("the 4th message, on replica 2 after 2 on replica 1: %s, want a drop", got)
	}
	// Replica 1 sees the count replica 2 added to.
	if got := post(t, hs[0], "/webhooks/cometchat", envelope(sender, sender+"-4", "hi")); got != dropBody {
		t.Errorf("the 5th message: %s, want a drop", got)
	}
}

// TestStatefulRedisDown: a Redis that is not there at start does not keep
// the gateway from starting or answering; stateful rules fail open,
// stateless ones still apply, and the breaker soon skips the store.
func TestStatefulRedisDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	reg := prometheus.NewRegistry()
	g := loadGateway(t, writeGateway(t, floodRules, redisConfig(t, addr)), reg)
	h := g.Handler()
	for i := range 10 {
		if got := post(t, h, "/webhooks/cometchat", envelope("u1", fmt.Sprint("m", i), "hi")); got != "{}" {
			t.Fatalf("message %d: %s, want pass (fail open)", i, got)
		}
	}
	if got := post(t, h, "/webhooks/cometchat", envelope("u1", "s", "a scam")); got != dropBody {
		t.Errorf("a stateless rule with Redis down: %s, want a drop", got)
	}
	failed := metricValue(t, reg, "modgate_state_operations_total", "result", "error") +
		metricValue(t, reg, "modgate_state_operations_total", "result", "timeout")
	skipped := metricValue(t, reg, "modgate_state_operations_total", "result", "skipped")
	if failed < 1 || failed > 3 || skipped < 8 {
		t.Errorf("failed %v, skipped %v: want the breaker open within 3 failures", failed, skipped)
	}
	if got := metricValue(t, reg, "modgate_rule_errors_total", "rule", "flood"); got != 11 {
		t.Errorf("modgate_rule_errors_total{rule=flood} = %v, want 11", got)
	}
	rec := httptest.NewRecorder()
	g.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/readyz = %d with Redis down, want 200: moderation without state beats none", rec.Code)
	}
}

// TestStatefulCountsSurviveReload: the store belongs to the gateway, not to
// a rule set, so a reload does not reset a flooder's count.
func TestStatefulCountsSurviveReload(t *testing.T) {
	cfg := writeGateway(t, floodRules, "rules: [rules.yaml]\n")
	g := loadGateway(t, cfg, prometheus.NewRegistry())
	for i := range 3 {
		post(t, g.Handler(), "/webhooks/cometchat", envelope("u1", fmt.Sprint("m", i), "hi"))
	}
	writeFile(t, filepath.Join(filepath.Dir(cfg), "rules.yaml"), floodRules+"  - id: added\n    when: 'text == \"x\"'\n    action: drop\n")
	if s, err := g.Reload(); err != nil || s.Rules != 4 {
		t.Fatalf("reload: %+v %v", s, err)
	}
	if got := post(t, g.Handler(), "/webhooks/cometchat", envelope("u1", "m3", "hi")); got != dropBody {
		t.Errorf("the 4th message after a reload: %s, want a drop: the count must survive", got)
	}
}
