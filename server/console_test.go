package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/server"
)

const (
	adminUser     = "mod"
	adminPassword = "console-secret"
)

// messageFrom builds a before_message envelope from sender to a group.
func messageFrom(sender, text string) string {
	b, _ := json.Marshal(map[string]any{
		"trigger": "before_message", "appId": "app", "webhook": "wh",
		"data": map[string]any{
			"id": "m-" + sender, "sender": sender, "receiver": "guid-7", "receiverType": "group",
			"category": "message", "type": "text",
			"data": map[string]any{"text": text},
		},
	})
	return string(b)
}

// adminGet asks the admin listener, with the admin credentials when auth.
func (g *gateway) adminDo(t *testing.T, method, path, body string, auth bool) response {
	t.Helper()
	req, err := http.NewRequest(method, g.admin.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth(adminUser, adminPassword)
	}
	return do(t, req)
}

func decodeJSON[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body is not the JSON expected: %v\n%s", err, r.body)
	}
	return v
}

// TestAdminAuth: with admin_auth every admin endpoint but the probes wants
// the admin credentials (unknown paths included, so nothing is revealed);
// without it they are open. pprof is off unless admin_pprof is set.
func TestAdminAuth(t *testing.T) {
	withAuth := fmt.Sprintf("admin_auth: {username: %s, password: %s}\n", adminUser, adminPassword)
	endpoints := []struct {
		method, path, body string
		status             int // with the right credentials, or without admin_auth
		contentType        string
		open               bool // served without credentials even with admin_auth
	}{
		{"GET", "/healthz", "", 200, "text/plain", true},
		{"GET", "/readyz", "", 200, "text/plain", true},
		{"GET", "/", "", 200, "text/html; charset=utf-8", false},
		{"GET", "/console/app.js", "", 200, "text/javascript; charset=utf-8", false},
		{"GET", "/console/style.css", "", 200, "text/css; charset=utf-8", false},
		{"GET", "/api/v1/rules", "", 200, "application/json", false},
		{"GET", "/api/v1/decisions", "", 200, "application/json", false},
		{"GET", "/api/v1/status", "", 200, "application/json", false},
		{"POST", "/api/v1/eval", message("before_message", "hi"), 200, "application/json", false},
		{"GET", "/api/v1/nope", "", 404, "application/json", false},
		{"GET", "/api/v2/rules", "", 404, "application/json", false},
		{"POST", "/api/v1/rules", "", 405, "application/json", false},
		{"GET", "/metrics", "", 200, "", false},
		{"POST", "/-/reload", "", 200, "application/json", false},
		{"GET", "/debug/pprof/", "", 404, "application/json", false},
		{"GET", "/debug/pprof/cmdline", "", 404, "application/json", false},
		{"GET", "/elsewhere", "", 404, "application/json", false},
	}
	for _, mode := range []struct {
		name  string
		extra string
	}{{"without admin_auth", ""}, {"with admin_auth", withAuth}} {
		t.Run(mode.name, func(t *testing.T) {
			g := newGateway(t, testRules, mode.extra)
			for _, ep := range endpoints {
				name := ep.method + " " + ep.path
				r := g.adminDo(t, ep.method, ep.path, ep.body, mode.extra != "")
				if r.status != ep.status {
					t.Errorf("%s = %d, want %d (%s)", name, r.status, ep.status, r.body)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, ep.contentType) {
					t.Errorf("%s: Content-Type %q, want %q", name, ct, ep.contentType)
				}
				if mode.extra == "" {
					continue
				}
				for _, cred := range []struct {
					name     string
					set      func(*http.Request)
					errorHas string
				}{
					{"no credentials", func(*http.Request) {}, "missing Basic auth credentials"},
					{"the webhook's credentials", func(r *http.Request) { r.SetBasicAuth(user, password) }, "wrong username or password"},
					{"a wrong password", func(r *http.Request) { r.SetBasicAuth(adminUser, "nope") }, "wrong username or password"},
				} {
					req, _ := http.NewRequest(ep.method, g.admin.URL+ep.path, strings.NewReader(ep.body))
					cred.set(req)
					r := do(t, req)
					if ep.open {
						if r.status != ep.status {
							t.Errorf("%s with %s = %d, want %d: probes need no credentials", name, cred.name, r.status, ep.status)
						}
						continue
					}
					if r.status != http.StatusUnauthorized || !strings.Contains(r.body, cred.errorHas) ||
						!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
						t.Errorf("%s with %s = %d %s (WWW-Authenticate %q), want 401 %q and a Basic challenge",
							name, cred.name, r.status, r.body, r.header.Get("WWW-Authenticate"), cred.errorHas)
					}
				}
			}
			// An admin 401 is not a rejected CometChat request.
			if v := counterValue(t, g.reg, "modgate_requests_rejected_total", map[string]string{"reason": "unauthorized"}); v != 0 {
				t.Errorf("modgate_requests_rejected_total{reason=unauthorized} = %v, want 0", v)
			}
		})
	}
}

func TestAdminPprof(t *testing.T) {
	g := newGateway(t, testRules, "admin_pprof: true\n")
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1"} {
		if r := g.adminDo(t, "GET", path, "", false); r.status != 200 {
			t.Errorf("GET %s = %d, want 200 with admin_pprof: true", path, r.status)
		}
	}
}

func TestConsolePageHeaders(t *testing.T) {
	g := newGateway(t, testRules, "")
	r := g.adminDo(t, "GET", "/", "", false)
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", r.header.Get("X-Content-Type-Options"))
	}
	// The page loads nothing from another origin.
	for _, asset := range []string{"/", "/console/app.js", "/console/style.css"} {
		body := g.adminDo(t, "GET", asset, "", false).body
		for _, bad := range []string{"http://", "https://", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "@import"} {
			if strings.Contains(body, bad) && !(asset == "/console/app.js" && bad == "http://" && strings.Count(body, "http://") == strings.Count(body, "http://www.w3.org/2000/svg")) {
				t.Errorf("%s contains %q", asset, bad)
			}
		}
	}
}

type apiRule struct {
	ID, Action, Mode, File string
	Line                   int
	Matches, Errors        float64
	Recent                 struct {
		EverySeconds    float64 `json:"every_seconds"`
		Matches, Errors []float64
	}
}

func TestAPIRules(t *testing.T) {
	g := newGateway(t, testRules, "")
	for _, text := range []string{"a scam", "wire me money", "see https://x", "boots", "boots scam", "hello"} {
		if r := g.post(t, "/webhooks/cometchat", message("before_message", text), true); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	broken := `{"trigger":"before_message","data":{"sender":"u","receiver":"v","receiverType":"user","data":{"text":"x","metadata":{"level":"high"}}}}`
	if r := g.post(t, "/webhooks/cometchat", broken, true); r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := decodeJSON[[]apiRule](t, g.adminDo(t, "GET", "/api/v1/rules", "", false))
	want := []struct {
		id, action, mode string
		line             int
		matches, errors  float64
	}{
		{"staff-exempt", "allow", "enforce", 5, 0, 0},
		{"drop-banned", "drop", "enforce", 8, 3, 0},
		{"tag-links", "tag", "enforce", 11, 1, 0},
		{"broken", "drop", "enforce", 17, 0, 1},
		{"shadow-boots", "drop", "shadow", 20, 1, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rules, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		r := got[i]
		if r.ID != w.id || r.Action != w.action || r.Mode != w.mode || r.Line != w.line ||
			!strings.HasSuffix(r.File, "rules.yaml") || r.Matches != w.matches || r.Errors != w.errors {
			t.Errorf("rule %d = %+v, want %+v", i, r, w)
		}
		// The console reads the counters /metrics serves.
		m := counterValue(t, g.reg, "modgate_rule_matches_total", map[string]string{"rule": w.id})
		e := counterValue(t, g.reg, "modgate_rule_errors_total", map[string]string{"rule": w.id})
		if m != r.Matches || e != r.Errors {
			t.Errorf("rule %s: console says %v matches %v errors, /metrics %v and %v", w.id, r.Matches, r.Errors, m, e)
		}
		if r.Recent.EverySeconds != 10 || r.Recent.Matches == nil {
			t.Errorf("rule %s: recent = %+v, want 10 s samples", w.id, r.Recent)
		}
	}
}

type apiDecision struct {
	Time    time.Time
	Trigger string
	Verdict string
	Rules   []struct {
		ID, Action, Mode string
		Deciding         bool
	}
	Tags         []string
	Sender       string
	Receiver     string
	ReceiverType string `json:"receiver_type"`
	Message      string
	Text         *string
}

func TestAPIDecisions(t *testing.T) {
	for _, tt := range []struct {
		name        string
		includeText bool
	}{{"without text", false}, {"with include_text", true}} {
		t.Run(tt.name, func(t *testing.T) {
			extra := ""
			if tt.includeText {
				extra = "decision_log: {enabled: true, path: " + os.DevNull + ", include_text: true}\n"
			}
			g := newGateway(t, testRules, extra)
			send := func(sender, text string) {
				if r := g.post(t, "/webhooks/cometchat", messageFrom(sender, text), true); r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
			}
			send("u-drop", "boots scam")        // drop: evaluation stops before shadow-boots
			send("u-pass", "hello")             // pass: not kept
			send("u-shadow", "boots")           // pass with a shadow match: not kept
			send("u-tag", "https://x.io boots") // tag, and a shadow match after it
			got := decodeJSON[[]apiDecision](t, g.adminDo(t, "GET", "/api/v1/decisions", "", false))
			if len(got) != 2 {
				t.Fatalf("%d decisions, want the tag and the drop: %+v", len(got), got)
			}
			tag, drop := got[0], got[1]
			if tag.Verdict != "tag" || tag.Sender != "u-tag" || tag.Receiver != "guid-7" || tag.ReceiverType != "group" ||
				tag.Message != "m-u-tag" || tag.Trigger != "before_message" || len(tag.Tags) != 1 || tag.Tags[0] != "link" ||
				len(tag.Rules) != 2 || tag.Rules[0].ID != "tag-links" || !tag.Rules[0].Deciding ||
				tag.Rules[1].ID != "shadow-boots" || tag.Rules[1].Mode != "shadow" || tag.Rules[1].Deciding {
				t.Errorf("newest = %+v, want the tag by u-tag with its shadow match", tag)
			}
			if drop.Verdict != "drop" || drop.Sender != "u-drop" || len(drop.Rules) != 1 ||
				drop.Rules[0].ID != "drop-banned" || !drop.Rules[0].Deciding || len(drop.Tags) != 0 {
				t.Errorf("oldest = %+v, want the drop by u-drop", drop)
			}
			if !drop.Time.Before(tag.Time) || time.Since(tag.Time) > time.Minute {
				t.Errorf("times %v, %v: want newest first, now", tag.Time, drop.Time)
			}
			for _, d := range got {
				if tt.includeText != (d.Text != nil) {
					t.Errorf("text = %v with include_text %v", d.Text, tt.includeText)
				}
			}
			if tt.includeText && (*drop.Text != "boots scam" || *tag.Text != "https://x.io boots") {
				t.Errorf("text = %q", *drop.Text)
			}
			if !tt.includeText && strings.Contains(g.adminDo(t, "GET", "/api/v1/decisions", "", false).body, "boots scam") {
				t.Error("message text in the decisions without include_text")
			}
			if got := decodeJSON[[]apiDecision](t, g.adminDo(t, "GET", "/api/v1/decisions?limit=1", "", false)); len(got) != 1 || got[0].Verdict != "tag" {
				t.Errorf("limit=1: %+v, want the newest", got)
			}
		})
	}
}

func TestAPIDecisionsBadLimit(t *testing.T) {
	g := newGateway(t, testRules, "")
	for _, q := range []string{"0", "-3", "ten", "1e3", ""} {
		r := g.adminDo(t, "GET", "/api/v1/decisions?limit="+q, "", false)
		if q == "" {
			if r.status != 200 {
				t.Errorf("limit=: %d", r.status)
			}
			continue
		}
		if r.status != 400 || !strings.Contains(r.body, `"error":"limit must be a positive integer`) {
			t.Errorf("limit=%s: %d %s, want 400 JSON", q, r.status, r.body)
		}
	}
}

// TestRecentDecisionsBounded: the ring keeps the newest, and no more.
func TestRecentDecisionsBounded(t *testing.T) {
	cfgPath := writeGateway(t, testRules, "rules: [rules.yaml]\n")
	cfg, err := server.LoadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ring, send, want int
	}{{3, 5, 3}, {3, 2, 2}, {-1, 4, 0}} {
		t.Run(fmt.Sprintf("ring %d, %d drops", tt.ring, tt.send), func(t *testing.T) {
			g, err := server.New(cfg, server.Options{Registry: prometheus.NewRegistry(), Logger: discardLogger(), RecentDecisions: tt.ring})
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.send {
				req := httptest.NewRequest("POST", "/webhooks/cometchat", strings.NewReader(messageFrom(fmt.Sprint("u", i), "scam")))
				rec := httptest.NewRecorder()
				g.Handler().ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Fatalf("status %d", rec.Code)
				}
			}
			rec := httptest.NewRecorder()
			g.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/decisions?limit=1000", nil))
			var got []apiDecision
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			if len(got) != tt.want {
				t.Fatalf("%d decisions, want %d", len(got), tt.want)
			}
			for i, d := range got {
				if want := fmt.Sprint("u", tt.send-1-i); d.Sender != want {
					t.Errorf("decision %d from %s, want %s (newest first)", i, d.Sender, want)
				}
			}
		})
	}
}

type apiEval struct {
	Kind, Trigger, Verdict string
	Matched                []struct {
		ID, Action, Mode, File string
		Line                   int
		Deciding               bool
	}
	Errors []struct {
		Rule, File, Error string
		Line              int
	}
	Response json.RawMessage
}

func TestAPIEval(t *testing.T) {
	g := newGateway(t, testRules, "")
	tests := []struct {
		name, query, body string
		kind, verdict     string
		matched           []string // id/mode
		errorRule         string
		response          string
	}{
		{name: "a drop", body: message("before_message", "total scam"), kind: "webhook", verdict: "drop",
			matched: []string{"drop-banned/enforce"}, response: `{"action":"do_not_propagate"}`},
		{name: "a tag with injected keys", body: message("before_message", "https://a https://b"), kind: "webhook", verdict: "tag",
			matched: []string{"tag-links/enforce"}, response: `{"tags":["link"],"link_count":2}`},
		{name: "a shadow match passes", body: message("before_message", "muddy boots"), kind: "webhook", verdict: "pass",
			matched: []string{"shadow-boots/shadow"}, response: `{}`},
		{name: "after_message is answered {} whatever the verdict", body: message("after_message", "scam"), kind: "webhook", verdict: "drop",
			matched: []string{"drop-banned/enforce"}, response: `{}`},
		{name: "a failing rule", kind: "webhook", verdict: "pass", errorRule: "broken", response: `{}`,
			body: `{"trigger":"before_message","data":{"sender":"u","receiver":"v","receiverType":"user","data":{"text":"x","metadata":{"level":"high"}}}}`},
		{name: "a Custom API request", body: moderation(t, "uid-1", "wire me money"), kind: "moderation", verdict: "drop",
			matched: []string{"drop-banned/enforce"}, response: `{"isMatchingCondition":true,"confidence":1,"reason":"drop-banned"}`},
		{name: "a Custom API tag without match=tag", body: moderation(t, "uid-1", "https://x"), kind: "moderation", verdict: "tag",
			matched: []string{"tag-links/enforce"}, response: `{"isMatchingCondition":false,"confidence":0,"reason":""}`},
		{name: "a Custom API tag with match=tag", query: "?match=tag", body: moderation(t, "uid-1", "https://x"), kind: "moderation", verdict: "tag",
			matched: []string{"tag-links/enforce"}, response: `{"isMatchingCondition":true,"confidence":1,"reason":"tag-links"}`},
	}
	before := counterValue(t, g.reg, "modgate_messages_total", map[string]string{"trigger": "before_message", "verdict": "drop"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.adminDo(t, "POST", "/api/v1/eval"+tt.query, tt.body, false)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			got := decodeJSON[apiEval](t, r)
			var matched []string
			for _, m := range got.Matched {
				matched = append(matched, m.ID+"/"+m.Mode)
				if !strings.HasSuffix(m.File, "rules.yaml") || m.Line == 0 {
					t.Errorf("matched %s at %s:%d", m.ID, m.File, m.Line)
				}
			}
			if got.Kind != tt.kind || got.Verdict != tt.verdict || fmt.Sprint(matched) != fmt.Sprint(tt.matched) || string(got.Response) != tt.response {
				t.Errorf("got kind %s verdict %s matched %v response %s\nwant kind %s verdict %s matched %v response %s",
					got.Kind, got.Verdict, matched, got.Response, tt.kind, tt.verdict, tt.matched, tt.response)
			}
			if tt.errorRule != "" && (len(got.Errors) != 1 || got.Errors[0].Rule != tt.errorRule || got.Errors[0].Error == "" || got.Errors[0].Line == 0) {
				t.Errorf("errors = %+v, want one of rule %s", got.Errors, tt.errorRule)
			}
			// The answer is the one the CometChat endpoint gives.
			path := "/webhooks/cometchat"
			if tt.kind == "moderation" {
				path = "/moderation/cometchat" + tt.query
			}
			if live := g.post(t, path, tt.body, true); live.body != tt.response {
				t.Errorf("%s answers %s, eval says %s", path, live.body, got.Response)
			}
		})
	}
	// Trying messages is not traffic: only the g.post calls above count.
	after := counterValue(t, g.reg, "modgate_messages_total", map[string]string{"trigger": "before_message", "verdict": "drop"})
	if after-before != 1 {
		t.Errorf("before_message drops counted %v, want 1 (the webhook's, not eval's)", after-before)
	}
	if n := len(decodeJSON[[]apiDecision](t, g.adminDo(t, "GET", "/api/v1/decisions", "", false))); n != 6 {
		t.Errorf("%d recent decisions, want 6 (the webhook calls' drops and tags only)", n)
	}
}

// TestAPIEvalCountsNothing: trying a message shows the counts the rules
// would see, but neither counts it nor strikes its sender, so a moderator
// trying messages cannot push a real sender over a threshold.
func TestAPIEvalCountsNothing(t *testing.T) {
	const stateful = `rules:
  - id: struck
    when: strikes(sender.uid) >= 1
    action: tag
    tags: [struck]
  - id: second-message
    when: rate(sender.uid, "1h") >= 2
    action: drop
    strike: {key: sender.uid, for: 1h}
`
	g := newGateway(t, stateful, "")
	msg := func(muid string) string {
		return `{"trigger":"before_message","data":{"muid":"` + muid + `","sender":"u1","receiver":"g1","receiverType":"group","data":{"text":"hi"}}}`
	}
	if r := g.post(t, "/webhooks/cometchat", msg("m1"), true); r.body != "{}" {
		t.Fatalf("first message: %s", r.body)
	}
	// Tried three times, a second message would be dropped: the count
	// includes it each time, and none of the tries counts.
	for i := 0; i < 3; i++ {
		got := decodeJSON[apiEval](t, g.adminDo(t, "POST", "/api/v1/eval", msg("m2"), false))
		if got.Verdict != "drop" || len(got.Matched) != 1 {
			t.Fatalf("try %d: verdict %s, matched %+v; want a drop by second-message alone (rate 2 with this message, no strike)", i, got.Verdict, got.Matched)
		}
	}
	// Had a try counted, m2 would be the fourth message; had one struck,
	// struck would tag. m2 is the second message, and u1 has no strike yet.
	if r := g.post(t, "/webhooks/cometchat", msg("m2"), true); r.body != `{"action":"do_not_propagate"}` {
		t.Fatalf("second message: %s", r.body)
	}
	got := decodeJSON[apiEval](t, g.adminDo(t, "POST", "/api/v1/eval", msg("m2"), false))
	if got.Verdict != "drop" || len(got.Matched) != 2 {
		t.Errorf("after the real drop: verdict %s, matched %+v; want drop, struck matching too", got.Verdict, got.Matched)
	}
	if n := counterValue(t, g.reg, "modgate_strikes_total", map[string]string{"rule": "second-message"}); n != 1 {
		t.Errorf("strikes counted %v, want 1 (the webhook's)", n)
	}
}

// TestAPIEvalBadBodies: eval refuses what the webhook endpoint refuses, with
// the same status and message, and counts none of it.
func TestAPIEvalBadBodies(t *testing.T) {
	g := newGateway(t, testRules, "limits:\n  max_body_bytes: 2048\n")
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"empty body", "", 400},
		{"plain text", "buy followers", 400},
		{"truncated JSON", `{"trigger":"before_message","data":{"text":`, 400},
		{"a JSON array", `[1]`, 400},
		{"neither shape", `{"hello":"world"}`, 400},
		{"no message", `{"trigger":"before_message","appId":"a"}`, 400},
		{"too large", message("before_message", strings.Repeat("x", 4096)), 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rejected := counterValue(t, g.reg, "modgate_requests_rejected_total", map[string]string{"reason": "bad_request"})
			r := g.adminDo(t, "POST", "/api/v1/eval", tt.body, false)
			webhook := g.post(t, "/webhooks/cometchat", tt.body, true)
			if r.status != tt.status || r.status != webhook.status || r.body != webhook.body {
				t.Errorf("eval: %d %s\nwebhook: %d %s\nwant both %d and the same error", r.status, r.body, webhook.status, webhook.body, tt.status)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.status == 400 {
				if got := counterValue(t, g.reg, "modgate_requests_rejected_total", map[string]string{"reason": "bad_request"}); got != rejected+1 {
					t.Errorf("rejected went %v -> %v: want +1, the webhook's only", rejected, got)
				}
			}
		})
	}
	if r := g.adminDo(t, "POST", "/api/v1/eval?match=maybe", message("before_message", "x"), false); r.status != 400 || !strings.Contains(r.body, "match must be drop or tag") {
		t.Errorf("match=maybe: %d %s", r.status, r.body)
	}
}

type apiStatus struct {
	Version     string
	RulesLoaded int      `json:"rules_loaded"`
	RuleFiles   []string `json:"rule_files"`
	OnError     string   `json:"on_error"`
	IncludeText bool     `json:"include_text"`
	LastReload  *struct {
		Time   time.Time
		Result string
		Errors []struct {
			Error, File, Rule string
			Line, Column      int
		}
	} `json:"last_reload"`
	LastSuccess *time.Time `json:"last_success"`
	State       *server.StateStatus
}

func TestAPIStatus(t *testing.T) {
	g := newGateway(t, testRules, "")
	status := func() (apiStatus, string) {
		r := g.adminDo(t, "GET", "/api/v1/status", "", false)
		return decodeJSON[apiStatus](t, r), r.body
	}
	st, body := status()
	if st.Version != "test" || st.RulesLoaded != 5 || len(st.RuleFiles) != 1 || st.OnError != "pass" ||
		st.LastReload == nil || st.LastReload.Result != "success" || len(st.LastReload.Errors) != 0 ||
		st.LastSuccess == nil || !st.LastSuccess.Equal(st.LastReload.Time) {
		t.Errorf("status after start: %s", body)
	}
	// Without a state: block the memory store serves, and it never fails.
	if st.State == nil || st.State.Backend != "memory" || !st.State.Healthy {
		t.Errorf("status state = %+v, want a healthy memory store: %s", st.State, body)
	}
	firstSuccess := *st.LastSuccess

	writeFile(t, g.rulesPath, testRules+"  - id: typo\n    when: sender.rol == \"x\"\n    action: drop\n")
	if r := g.adminDo(t, "POST", "/-/reload", "", false); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("reload: %d %s", r.status, r.body)
	}
	st, body = status()
	if st.LastReload.Result != "failure" || len(st.LastReload.Errors) != 1 || st.RulesLoaded != 5 ||
		!st.LastSuccess.Equal(firstSuccess) || st.LastReload.Time.Before(firstSuccess) {
		t.Fatalf("status after a failed reload: %s", body)
	}
	e := st.LastReload.Errors[0]
	whenLine := strings.Count(testRules, "\n") + 2
	if !strings.HasSuffix(e.File, "rules.yaml") || e.Line != whenLine || e.Rule != "typo" ||
		!strings.Contains(e.Error, fmt.Sprintf("rules.yaml:%d:", whenLine)) {
		t.Errorf("reload error = %+v, want rules.yaml:%d rule typo", e, whenLine)
	}

	writeFile(t, g.rulesPath, testRules)
	if r := g.adminDo(t, "POST", "/-/reload", "", false); r.status != 200 {
		t.Fatalf("reload: %d %s", r.status, r.body)
	}
	if st, body = status(); st.LastReload.Result != "success" || len(st.LastReload.Errors) != 0 || !st.LastSuccess.After(firstSuccess) {
		t.Errorf("status after a good reload: %s", body)
	}
}

// TestAPIStatusState: a Redis that does not answer opens the circuit
// breaker after a few messages, and the status says the store is failing.
func TestAPIStatusState(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // nothing listens there any more: every dial is refused
	const flood = "rules:\n  - id: flood\n    when: rate(sender.uid, \"1m\") > 100\n    action: drop\n"
	cfgPath := writeGateway(t, flood, "rules: [rules.yaml]\nstate:\n  backend: redis\n  redis: {url: \"redis://"+dead+"/0\"}\n  timeout: 20ms\n")
	g := loadGateway(t, cfgPath, prometheus.NewRegistry())
	status := func() string {
		rec := httptest.NewRecorder()
		g.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/status", nil))
		return rec.Body.String()
	}
	for i := 0; i < 5; i++ {
		rec := httptest.NewRecorder()
		body := fmt.Sprintf(`{"trigger":"before_message","data":{"muid":"m%d","sender":"u1","receiver":"u2","receiverType":"user","category":"message","type":"text","data":{"text":"hi"}}}`, i)
		g.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/webhooks/cometchat", strings.NewReader(body)))
		if rec.Code != http.StatusOK || rec.Body.String() != "{}" {
			t.Fatalf("message %d: %d %s, want 200 {} (fail open)", i, rec.Code, rec.Body)
		}
	}
	if got := status(); !strings.Contains(got, `"state":{"backend":"redis","healthy":false,"detail":"the store failed repeatedly`) {
		t.Errorf("status = %s", got)
	}
}
