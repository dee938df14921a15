package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/server"
)

// logBuffer collects JSON log lines from concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the decoded log lines whose msg is msg.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m map[string]any
		if l == "" {
			continue
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// newLoggedGateway is newGateway with its log kept.
func newLoggedGateway(t *testing.T, ruleText, extraConfig string) (*gateway, *logBuffer) {
	t.Helper()
	cfgPath := writeGateway(t, ruleText, fmt.Sprintf("rules: [rules.yaml]\nauth:\n  username: %s\n  password: %s\n%s", user, password, extraConfig))
	cfg, err := server.LoadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	reg := prometheus.NewRegistry()
	g, err := server.New(cfg, server.Options{Registry: reg, Version: "test", Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	gw := &gateway{Gateway: g, reg: reg, public: httptest.NewServer(g.Handler()), admin: httptest.NewServer(g.AdminHandler())}
	t.Cleanup(gw.public.Close)
	t.Cleanup(gw.admin.Close)
	return gw, logs
}

// TestRejectedRequestsAreLogged: before the fix, 401, 400 and 413 were only
// counted, though the alerts' runbooks send operators to the log. Each
// reason is logged with the remote address and no body, once a second at
// most.
func TestRejectedRequestsAreLogged(t *testing.T) {
	g, logs := newLoggedGateway(t, testRules, "limits:\n  max_body_bytes: 2048\n")
	secret := "the-body-must-not-be-logged"
	for range 5 {
		g.post(t, "/webhooks/cometchat", message("before_message", secret), false)
	}
	g.post(t, "/webhooks/cometchat", `{"trigger": "before_message", "note": "`+secret+`"`, true)
	g.post(t, "/webhooks/cometchat", message("before_message", secret+strings.Repeat("x", 4096)), true)

	lines := logs.lines(t, "request rejected")
	var reasons []string
	for _, l := range lines {
		reasons = append(reasons, fmt.Sprint(l["reason"]))
		if !strings.HasPrefix(fmt.Sprint(l["remote"]), "127.0.0.1:") {
			t.Errorf("remote = %v, want the client's address", l["remote"])
		}
	}
	if want := []string{"unauthorized", "bad_request", "too_large"}; fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Errorf("logged reasons %v, want %v (five 401s in a second log once)", reasons, want)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if strings.Contains(logs.buf.String(), secret) {
		t.Error("a rejected request's body reached the log")
	}
}

// slowRules hold a rule that runs for seconds over a long message.
const slowRules = `rules:
  - id: quadratic
    when: 'any(words(text), {text contains upper(#)})'
    action: drop
`

func longText() string {
	var b strings.Builder
	for i := 0; b.Len() < 900<<10; i++ {
		fmt.Fprintf(&b, "word%d ", i)
	}
	return b.String()
}

// TestEvaluationTimeoutAnswersFailOpen: before the fix a slow rule held the
// request (and a core) for as long as it ran. Now the answer comes at
// limits.evaluation_timeout, fail-open, counted and logged with the rule.
func TestEvaluationTimeoutAnswersFailOpen(t *testing.T) {
	for _, tt := range []struct{ onError, want string }{{"pass", "{}"}, {"drop", dropped}} {
		t.Run(tt.onError, func(t *testing.T) {
			g, logs := newLoggedGateway(t, slowRules, "limits:\n  evaluation_timeout: 100ms\non_error: "+tt.onError+"\n")
			start := time.Now()
			r := g.post(t, "/webhooks/cometchat", message("before_message", longText()), true)
			took := time.Since(start)
			if r.status != 200 || r.body != tt.want {
				t.Errorf("answer %d %s, want 200 %s", r.status, r.body, tt.want)
			}
			if took > 2*time.Second {
				t.Errorf("answered after %v with a 100ms evaluation timeout", took)
			}
			if v := counterValue(t, g.reg, "modgate_evaluation_timeouts_total", nil); v != 1 {
				t.Errorf("modgate_evaluation_timeouts_total = %v, want 1", v)
			}
			lines := logs.lines(t, "evaluation timed out")
			if len(lines) != 1 || lines[0]["rule"] != "quadratic" || lines[0]["timeout"] != "100ms" {
				t.Errorf("log lines %v, want one naming rule quadratic", lines)
			}
		})
	}
}

// TestClientGoneStopsEvaluation: a client that hangs up cancels the
// evaluation instead of leaving a core busy for its full run.
func TestClientGoneStopsEvaluation(t *testing.T) {
	g, logs := newLoggedGateway(t, slowRules, "limits:\n  evaluation_timeout: 60s\n")
	// Long enough for the body to be read and decoded, even under -race;
	// the rule then runs far longer than that.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.public.URL+"/webhooks/cometchat", strings.NewReader(message("before_message", longText())))
	req.SetBasicAuth(user, password)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the slow request was answered before the client gave up")
	}
	waitFor(t, "the evaluation to notice the client is gone", func() bool {
		return len(logs.lines(t, "client went away during evaluation")) == 1
	})
}
