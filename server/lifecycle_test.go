package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestDecisionLog(t *testing.T) {
	for _, includeText := range []bool{false, true} {
		t.Run(map[bool]string{false: "text left out by default", true: "include_text"}[includeText], func(t *testing.T) {
			logPath := filepath.Join(t.TempDir(), "decisions.jsonl")
			extra := "decision_log:\n  enabled: true\n  path: " + logPath + "\n"
			if includeText {
				extra += "  include_text: true\n"
			}
			g := newGateway(t, testRules, extra)
			g.post(t, "/webhooks/cometchat", message("before_message", "hello"), true)             // pass: no line
			g.post(t, "/webhooks/cometchat", message("before_message", "a scam"), true)            // drop
			g.post(t, "/webhooks/cometchat", message("before_message", "https://x.example"), true) // tag
			g.post(t, "/webhooks/cometchat", message("before_message", "bring boots"), true)       // shadow match
			g.post(t, "/moderation/cometchat", moderation(t, "uid-1", "a scam"), true)             // Custom API drop

			lines := readLines(t, logPath)
			if len(lines) != 4 {
				t.Fatalf("%d decision lines, want 4 (drop, tag, shadow, Custom API drop):\n%s", len(lines), strings.Join(lines, "\n"))
			}
			last := lines[3]
			lines = lines[:3]
			type rule struct{ ID, Action, Mode string }
			type decision struct {
				Time              string
				Trigger           string
				AppID             string  `json:"app_id"`
				MessageID         *string `json:"message_id"`
				Sender            string
				Receiver          string
				Verdict           string
				Rules             []rule
				Tags              []string
				EvaluationSeconds *float64 `json:"evaluation_seconds"`
				Text              *string
			}
			decisions := make([]decision, len(lines))
			for i, l := range lines {
				if err := json.Unmarshal([]byte(l), &decisions[i]); err != nil {
					t.Fatalf("not JSON: %s", l)
				}
			}
			wantVerdicts := []string{"drop", "tag", "pass"}
			wantRules := [][]rule{
				{{"drop-banned", "drop", "enforce"}},
				{{"tag-links", "tag", "enforce"}},
				{{"shadow-boots", "drop", "shadow"}},
			}
			for i, d := range decisions {
				if d.Verdict != wantVerdicts[i] || d.Trigger != "before_message" || d.AppID != "app" ||
					d.Sender != "uid-1" || d.Receiver != "uid-2" || d.Time == "" || d.MessageID == nil || d.EvaluationSeconds == nil {
					t.Errorf("line %d lacks fields or has wrong ones: %s", i+1, lines[i])
				}
				if len(d.Rules) != 1 || d.Rules[0] != wantRules[i][0] {
					t.Errorf("line %d rules = %+v, want %+v", i+1, d.Rules, wantRules[i])
				}
				if includeText != (d.Text != nil) {
					t.Errorf("line %d: text present = %v, want %v: %s", i+1, d.Text != nil, includeText, lines[i])
				}
				if strings.Contains(lines[i], `"level"`) || strings.Contains(lines[i], `"msg"`) {
					t.Errorf("line %d carries log noise: %s", i+1, lines[i])
				}
			}
			if len(decisions) > 1 && (len(decisions[1].Tags) != 1 || decisions[1].Tags[0] != "link") {
				t.Errorf("the tag decision lacks its tags: %s", lines[1])
			}
			if !strings.Contains(last, `"trigger":"moderation_api"`) || !strings.Contains(last, `"verdict":"drop"`) || !strings.Contains(last, `"sender":"uid-1"`) {
				t.Errorf("the Custom API decision: %s", last)
			}
		})
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestShutdownLosesNoAcceptedRequest stops the gateway while clients send
// requests as fast as they can. A request may find the port closed or its
// connection reset before the gateway read it, but every request the
// gateway took in must get its answer: the number of messages it counted
// equals the number of answers the clients received.
func TestShutdownLosesNoAcceptedRequest(t *testing.T) {
	for _, delay := range []string{"0s", "200ms"} {
		t.Run("shutdown_delay "+delay, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			g := loadGateway(t, writeGateway(t, testRules,
				"rules: [rules.yaml]\nreload: {watch: false}\ntimeouts: {shutdown: 5s, shutdown_delay: "+delay+"}\n"), reg)
			public, _, stopServing := serve(t, g)
			url := public + "/webhooks/cometchat"

			var answered, failed atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					// A fresh connection for every request: net/http's
					// Shutdown closes idle keep-alive connections, which
					// races with a request arriving on one (see README).
					client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
					for {
						select {
						case <-stop:
							return
						default:
						}
						resp, err := client.Post(url, "application/json", strings.NewReader(message("before_message", "a scam")))
						if err != nil {
							failed.Add(1)
							time.Sleep(time.Millisecond)
							continue
						}
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK || string(body) != dropped {
							t.Errorf("answer during shutdown: %d %s", resp.StatusCode, body)
						}
						answered.Add(1)
					}
				})
			}
			time.Sleep(200 * time.Millisecond)
			if err := stopServing(); err != nil {
				t.Errorf("Serve returned %v, want nil after a graceful shutdown", err)
			}
			close(stop)
			wg.Wait()
			evaluated := counterValue(t, reg, "modgate_messages_total", map[string]string{"trigger": "before_message", "verdict": "drop"})
			if answered.Load() == 0 || float64(answered.Load()) != evaluated {
				t.Errorf("the gateway evaluated %v requests and clients got %d answers (%d requests refused before being read)",
					evaluated, answered.Load(), failed.Load())
			}
		})
	}
}

// TestShutdownFinishesRequestsInFlight starts a request, stops the gateway
// while the request's body is still arriving, and expects its answer.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	g := loadGateway(t, writeGateway(t, testRules, "rules: [rules.yaml]\nreload: {watch: false}\n"), prometheus.NewRegistry())
	public, _, stopServing := serve(t, g)

	body := message("before_message", "a scam")
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, public+"/webhooks/cometchat", pr)
	req.ContentLength = int64(len(body))
	answer := make(chan string, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	_, _ = pw.Write([]byte(body[:10]))
	time.Sleep(100 * time.Millisecond) // the request is in flight
	stopped := make(chan error, 1)
	go func() { stopped <- stopServing() }()
	time.Sleep(100 * time.Millisecond) // shutdown has begun
	_, _ = pw.Write([]byte(body[10:]))
	pw.Close()
	if got := <-answer; got != dropped {
		t.Errorf("the request in flight got %q, want its answer", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestShutdownDelayDrainsKeepAliveClients: before the fix, the delay began
// with SetKeepAlivesEnabled(false), which closes idle keep-alive
// connections at once, and requests already on their way on them were
// lost (8 within 2 ms of SIGTERM). Now, throughout the delay, keep-alive
// clients are served, each answer saying Connection: close.
func TestShutdownDelayDrainsKeepAliveClients(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := loadGateway(t, writeGateway(t, testRules,
		"rules: [rules.yaml]\nreload: {watch: false}\ntimeouts: {shutdown: 5s, shutdown_delay: 1s}\n"), reg)
	public, _, stopServing := serve(t, g)
	url := public + "/webhooks/cometchat"

	var answered, closing, failed atomic.Int64
	var draining atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			// One keep-alive connection per client, as CometChat's and
			// most HTTP clients keep them.
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(url, "application/json", strings.NewReader(message("before_message", "a scam")))
				if err != nil {
					failed.Add(1)
					t.Errorf("a keep-alive request during the shutdown delay failed: %v", err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(body) != dropped {
					t.Errorf("answer during the delay: %d %s", resp.StatusCode, body)
				}
				answered.Add(1)
				if draining.Load() && resp.Close {
					closing.Add(1)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stopServing() }()
	waitFor(t, "the drain to begin", func() bool { return readyz(t, g) == http.StatusServiceUnavailable })
	draining.Store(true)
	time.Sleep(600 * time.Millisecond) // inside the 1s delay
	close(stop)
	wg.Wait()
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if failed.Load() > 0 || closing.Load() == 0 {
		t.Errorf("%d requests failed and %d answers said Connection: close during the delay (of %d)", failed.Load(), closing.Load(), answered.Load())
	}
}

// readyz asks the gateway's admin handler for /readyz.
func readyz(t *testing.T, g interface{ AdminHandler() http.Handler }) int {
	t.Helper()
	rec := httptest.NewRecorder()
	g.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code
}
