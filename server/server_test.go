package server_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/modgate/modgate/server"
)

const (
	user     = "cometchat"
	password = "s3cret"
)

// testRules exercise every answer of SPEC §4.
const testRules = `
lists:
  banned: [scam, wire me money]
rules:
  - id: staff-exempt
    when: sender.role == "moderator"
    action: allow
  - id: drop-banned
    when: hasWord(text, lists.banned)
    action: drop
  - id: tag-links
    when: text contains "https://"
    action: tag
    tags: [link]
    inject:
      link_count: len(split(text, "https://")) - 1
  - id: broken
    when: message.metadata.level != nil and int(message.metadata.level) > 3
    action: drop
  - id: shadow-boots
    when: text contains "boots"
    action: drop
    mode: shadow
`

type gateway struct {
	*server.Gateway
	reg       *prometheus.Registry
	rulesPath string
	public    *httptest.Server
	admin     *httptest.Server
}

// newGateway starts a gateway on httptest servers with the given rules and
// extra config lines.
func newGateway(t *testing.T, ruleText string, extraConfig string) *gateway {
	t.Helper()
	cfgPath := writeGateway(t, ruleText, fmt.Sprintf(`
rules: [rules.yaml]
auth:
  username: %s
  password: %s
%s`, user, password, extraConfig))
	reg := prometheus.NewRegistry()
	g := loadGateway(t, cfgPath, reg)
	gw := &gateway{Gateway: g, reg: reg, rulesPath: filepath.Join(filepath.Dir(cfgPath), "rules.yaml"),
		public: httptest.NewServer(g.Handler()), admin: httptest.NewServer(g.AdminHandler())}
	t.Cleanup(gw.public.Close)
	t.Cleanup(gw.admin.Close)
	return gw
}

type response struct {
	status int
	header http.Header
	body   string
}

func (g *gateway) post(t *testing.T, path, body string, auth bool) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.public.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.SetBasicAuth(user, password)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// message builds a before_message envelope around text.
func message(trigger, text string) string {
	b, _ := json.Marshal(map[string]any{
		"trigger": trigger, "appId": "app", "webhook": "wh",
		"data": map[string]any{
			"sender": "uid-1", "receiver": "uid-2", "receiverType": "user",
			"category": "message", "type": "text",
			"data": map[string]any{"text": text},
		},
	})
	return string(b)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWebhookAnswers(t *testing.T) {
	g := newGateway(t, testRules, "")
	tests := []struct {
		name   string
		body   string
		status int
		want   string // exact body
	}{
		{"pass", message("before_message", "Are we still on for lunch?"), 200, `{}`},
		{"drop", message("before_message", "this is a SCAM"), 200, `{"action":"do_not_propagate"}`},
		{"drop phrase across spaces", message("before_message", "wire me   money"), 200, `{"action":"do_not_propagate"}`},
		{"tag with inject", message("before_message", "see https://a.example and https://b.example"), 200, `{"tags":["link"],"link_count":2}`},
		{"after_message is evaluated but answered {}", message("after_message", "a scam"), 200, `{}`},
		{"message_sent is answered {}", message("message_sent", "https://x.example"), 200, `{}`},
		{"shadow rule never drops", message("before_message", "bring boots"), 200, `{}`},
		{"fixture: text to a user", fixture(t, "before_message_text_user.json"), 200, `{}`},
		{"fixture: text to a group", fixture(t, "before_message_text_group.json"), 200, `{}`},
		{"fixture: image", fixture(t, "before_message_image.json"), 200, `{}`},
		{"fixture: custom location", fixture(t, "before_message_custom_location.json"), 200, `{}`},
		{"fixture: thread reply with mentions", fixture(t, "before_message_thread_reply_mentions.json"), 200, `{}`},
		{"fixture: after_message", fixture(t, "after_message_text_group.json"), 200, `{}`},
		{"fixture: modern envelope", fixture(t, "message_sent_modern_envelope.json"), 200, `{}`},
		{"fixture: modern envelope before_message drop", fixture(t, "before_message_modern_scam.json"), 200, `{"action":"do_not_propagate"}`},
		{"fixture: staff may say anything", fixture(t, "before_message_staff_scam.json"), 200, `{}`},
		{"a number id and a string size are tolerated", fixture(t, "before_message_odd_types.json"), 200, `{"action":"do_not_propagate"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.post(t, "/webhooks/cometchat", tt.body, true)
			if r.status != tt.status || r.body != tt.want {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.want)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}

func TestWebhookBadRequests(t *testing.T) {
	g := newGateway(t, testRules, "limits:\n  max_body_bytes: 2048\n")
	tests := []struct {
		name     string
		body     string
		noAuth   bool
		auth     func(*http.Request)
		status   int
		errorHas string
		reason   string
	}{
		{name: "no auth", body: message("before_message", "hi"), noAuth: true, status: 401, errorHas: "missing Basic auth", reason: "unauthorized"},
		{name: "wrong password", body: message("before_message", "hi"), auth: func(r *http.Request) { r.SetBasicAuth(user, "nope") }, status: 401, errorHas: "wrong username or password", reason: "unauthorized"},
		{name: "wrong user", body: message("before_message", "hi"), auth: func(r *http.Request) { r.SetBasicAuth("admin", password) }, status: 401, errorHas: "wrong username or password", reason: "unauthorized"},
		{name: "bearer instead of basic", body: message("before_message", "hi"), auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+password) }, status: 401, errorHas: "missing Basic auth", reason: "unauthorized"},
		{name: "body over the limit", body: message("before_message", strings.Repeat("x", 4096)), status: 413, errorHas: "max_body_bytes (2048 bytes)", reason: "too_large"},
		{name: "empty body", body: "", status: 400, errorHas: "empty", reason: "bad_request"},
		{name: "not JSON", body: "trigger=before_message", status: 400, errorHas: "not valid JSON", reason: "bad_request"},
		{name: "truncated JSON", body: `{"trigger":"before_message","data":{"text":`, status: 400, errorHas: "not valid JSON", reason: "bad_request"},
		{name: "a JSON array", body: `[{"trigger":"before_message"}]`, status: 400, errorHas: "must be a JSON object", reason: "bad_request"},
		{name: "a JSON string", body: `"hello"`, status: 400, errorHas: "must be a JSON object", reason: "bad_request"},
		{name: "no trigger", body: `{"data":{"data":{"text":"hi"}}}`, status: 400, errorHas: "trigger", reason: "bad_request"},
		{name: "no message", body: `{"trigger":"before_message","appId":"a"}`, status: 400, errorHas: "data", reason: "bad_request"},
		{name: "data not an object", body: `{"trigger":"before_message","data":"hi"}`, status: 400, errorHas: "message", reason: "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := counterValue(t, g.reg, "modgate_requests_rejected_total", map[string]string{"reason": tt.reason})
			req, _ := http.NewRequest(http.MethodPost, g.public.URL+"/webhooks/cometchat", strings.NewReader(tt.body))
			switch {
			case tt.auth != nil:
				tt.auth(req)
			case !tt.noAuth:
				req.SetBasicAuth(user, password)
			}
			r := do(t, req)
			if r.status != tt.status {
				t.Errorf("status = %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			var body struct{ Error string }
			if err := json.Unmarshal([]byte(r.body), &body); err != nil || !strings.Contains(body.Error, tt.errorHas) {
				t.Errorf("body = %s, want {\"error\": \"...%s...\"}", r.body, tt.errorHas)
			}
			if tt.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", r.header.Get("WWW-Authenticate"))
			}
			after := counterValue(t, g.reg, "modgate_requests_rejected_total", map[string]string{"reason": tt.reason})
			if after != before+1 {
				t.Errorf("modgate_requests_rejected_total{reason=%q} went %v -> %v, want +1", tt.reason, before, after)
			}
		})
	}
}

// TestWebhookAuthSpellings checks that the credentials are accepted however
// a client writes the header net/http's Request.BasicAuth accepts: the
// header as CometChat sends it is compared as it comes, the others are
// decoded first; so is a header too long to compare as it comes.
func TestWebhookAuthSpellings(t *testing.T) {
	long := strings.Repeat("p4ss", 80) // a header of over 256 bytes
	for _, pass := range []string{password, long} {
		cfg := fmt.Sprintf("rules: [rules.yaml]\nauth: {username: %s, password: %s}\n", user, pass)
		srv := httptest.NewServer(loadGateway(t, writeGateway(t, testRules, cfg), prometheus.NewRegistry()).Handler())
		t.Cleanup(srv.Close)
		creds := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		tests := []struct {
			name   string
			header string
			status int
		}{
			{"as SetBasicAuth writes it", "Basic " + creds, 200},
			{"a lower-case scheme", "basic " + creds, 200},
			{"an upper-case scheme", "BASIC " + creds, 200},
			{"the password and one byte more", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass+"x")), 401},
			{"the password but its last byte", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass[:len(pass)-1])), 401},
			{"two spaces after the scheme", "Basic  " + creds, 401},
			{"the scheme alone", "Basic", 401},
			{"empty", "", 401},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%d-byte password/%s", len(pass), tt.name), func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/cometchat", strings.NewReader(message("before_message", "hi")))
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				if r := do(t, req); r.status != tt.status {
					t.Errorf("status = %d, want %d (body %s)", r.status, tt.status, r.body)
				}
			})
		}
	}
}

// TestFixedHeader checks the constant-time comparison of headers as they
// come, lengths included: a header is not equal to itself with a zero byte
// more, which its zero padding alone would not tell apart.
func TestFixedHeader(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Basic abc", "Basic abc", true},
		{"Basic abc", "Basic abd", false},
		{"Basic abc", "Basic abc\x00", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		a, _ := server.FixHeader(tt.a)
		b, _ := server.FixHeader(tt.b)
		if got := server.FixedHeaderEqual(a, b); got != tt.want {
			t.Errorf("equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if _, ok := server.FixHeader(strings.Repeat("x", 257)); ok {
		t.Error("a 257-byte header fits the 256-byte buffer")
	}
}

// TestWebhookChunkedBodyOverLimit sends a body without Content-Length, so the
// limit must hold while reading.
func TestWebhookChunkedBodyOverLimit(t *testing.T) {
	g := newGateway(t, testRules, "limits:\n  max_body_bytes: 1024\n")
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(message("before_message", strings.Repeat("y", 5000))))
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, g.public.URL+"/webhooks/cometchat", pr)
	req.SetBasicAuth(user, password)
	if r := do(t, req); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413 (body %s)", r.status, r.body)
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	g := newGateway(t, testRules, "")
	r := g.post(t, "/webhooks/other", "{}", true)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, `"error"`) {
		t.Errorf("got %d %s, want 404 with a JSON error", r.status, r.body)
	}
	req, _ := http.NewRequest(http.MethodGet, g.public.URL+"/webhooks/cometchat", nil)
	if r := do(t, req); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET webhook: status = %d, want 405", r.status)
	}
}

func TestMetricsAfterRequests(t *testing.T) {
	g := newGateway(t, testRules, "")
	send := func(trigger, text string, n int) {
		for range n {
			if r := g.post(t, "/webhooks/cometchat", message(trigger, text), true); r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		}
	}
	send("before_message", "hello", 3)
	send("before_message", "a scam", 2)
	send("before_message", "https://x.example", 1)
	send("after_message", "a scam", 1)
	send("before_message", "bring boots", 1)
	send("weird_trigger", "hello", 1)
	errEnv := `{"trigger":"before_message","data":{"data":{"text":"x","metadata":{"level":"high"}}}}`
	if r := g.post(t, "/webhooks/cometchat", errEnv, true); r.body != "{}" {
		t.Fatalf("a failing rule answered %d %s, want 200 {}", r.status, r.body)
	}

	counters := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"modgate_messages_total", map[string]string{"trigger": "before_message", "verdict": "pass"}, 5},
		{"modgate_messages_total", map[string]string{"trigger": "before_message", "verdict": "drop"}, 2},
		{"modgate_messages_total", map[string]string{"trigger": "before_message", "verdict": "tag"}, 1},
		{"modgate_messages_total", map[string]string{"trigger": "after_message", "verdict": "drop"}, 1},
		{"modgate_messages_total", map[string]string{"trigger": "other", "verdict": "pass"}, 1},
		{"modgate_rule_matches_total", map[string]string{"rule": "drop-banned", "action": "drop", "mode": "enforce"}, 3},
		{"modgate_rule_matches_total", map[string]string{"rule": "tag-links", "action": "tag", "mode": "enforce"}, 1},
		{"modgate_rule_matches_total", map[string]string{"rule": "shadow-boots", "action": "drop", "mode": "shadow"}, 1},
		{"modgate_rule_matches_total", map[string]string{"rule": "staff-exempt", "action": "allow", "mode": "enforce"}, 0},
		{"modgate_rule_errors_total", map[string]string{"rule": "broken"}, 1},
		{"modgate_rule_errors_total", map[string]string{"rule": "drop-banned"}, 0},
		{"modgate_reloads_total", map[string]string{"result": "success"}, 1},
		{"modgate_rules_loaded", nil, 5},
		{"modgate_rules_last_reload_successful", nil, 1},
		{"modgate_build_info", map[string]string{"version": "test"}, 1},
	}
	for _, c := range counters {
		if got := counterValue(t, g.reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := histogramCount(t, g.reg, "modgate_evaluation_duration_seconds", map[string]string{"trigger": "before_message"}); n != 8 {
		t.Errorf("evaluation duration observations for before_message = %d, want 8", n)
	}
	if ts := counterValue(t, g.reg, "modgate_rules_last_reload_success_timestamp_seconds", nil); ts <= 0 {
		t.Errorf("last reload timestamp = %v, want the load time", ts)
	}
	problems, err := testutil.GatherAndLint(g.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestAdminEndpoints(t *testing.T) {
	g := newGateway(t, testRules, "")
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/nope": 404} {
		req, _ := http.NewRequest(http.MethodGet, g.admin.URL+path, nil)
		if r := do(t, req); r.status != want {
			t.Errorf("GET %s = %d, want %d", path, r.status, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, g.admin.URL+"/metrics", nil)
	body := do(t, req).body
	for _, name := range []string{
		"modgate_messages_total", "modgate_rule_matches_total", "modgate_rule_errors_total",
		"modgate_evaluation_duration_seconds_bucket", "modgate_requests_rejected_total", "modgate_rules_loaded",
		"modgate_reloads_total", "modgate_rules_last_reload_successful",
		"modgate_rules_last_reload_success_timestamp_seconds", "modgate_build_info",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// The webhook is not on the admin listener, nor /metrics on the public one.
	if r := do(t, mustRequest(t, http.MethodGet, g.public.URL+"/metrics")); r.status == 200 {
		t.Error("/metrics is served on the public listener")
	}
}

func TestReloadEndpoint(t *testing.T) {
	g := newGateway(t, testRules, "")
	reload := func() response {
		return do(t, mustRequest(t, http.MethodPost, g.admin.URL+"/-/reload"))
	}

	// A broken edit: the reload fails with every error, and the old rules
	// keep answering.
	writeFile(t, g.rulesPath, "rules:\n  - id: x\n    when: sender.rol == 1\n    action: drop\n  - id: y\n    action: nuke\n    when: 'true'\n")
	r := reload()
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("broken reload: status %d, want 422", r.status)
	}
	var failure struct {
		Status string
		Errors []string
	}
	if err := json.Unmarshal([]byte(r.body), &failure); err != nil {
		t.Fatal(err)
	}
	if failure.Status != "failure" || len(failure.Errors) != 2 ||
		!strings.HasSuffix(failure.Errors[0], `rules.yaml:3:18: rule "x": when: type rules.User has no field rol`) ||
		!strings.HasSuffix(failure.Errors[1], `rules.yaml:6:13: rule "y": unknown action "nuke" (want allow, drop or tag)`) {
		t.Errorf("broken reload body = %s", r.body)
	}
	if got := g.post(t, "/webhooks/cometchat", message("before_message", "a scam"), true).body; got != `{"action":"do_not_propagate"}` {
		t.Errorf("after a failed reload the old rules answer %s, want a drop", got)
	}
	if v := counterValue(t, g.reg, "modgate_rules_last_reload_successful", nil); v != 0 {
		t.Errorf("last_reload_successful = %v after a failure, want 0", v)
	}
	if v := counterValue(t, g.reg, "modgate_reloads_total", map[string]string{"result": "failure"}); v != 1 {
		t.Errorf("reloads_total{failure} = %v, want 1", v)
	}

	// The fix: new rules serve, series of removed rules are gone, new ones
	// exist at zero.
	writeFile(t, g.rulesPath, "rules:\n  - {id: drop-hello, when: 'text == \"hello\"', action: drop}\n")
	r = reload()
	if r.status != 200 || !strings.Contains(r.body, `"rules":1`) || !strings.Contains(r.body, `"status":"success"`) {
		t.Fatalf("fixed reload: %d %s", r.status, r.body)
	}
	if got := g.post(t, "/webhooks/cometchat", message("before_message", "a scam"), true).body; got != `{}` {
		t.Errorf("after reload a scam answers %s, want {} (rule removed)", got)
	}
	if got := g.post(t, "/webhooks/cometchat", message("before_message", "hello"), true).body; got != `{"action":"do_not_propagate"}` {
		t.Errorf("after reload hello answers %s, want a drop", got)
	}
	if v := counterValue(t, g.reg, "modgate_rules_last_reload_successful", nil); v != 1 {
		t.Errorf("last_reload_successful = %v after success, want 1", v)
	}
	if v := counterValue(t, g.reg, "modgate_rules_loaded", nil); v != 1 {
		t.Errorf("rules_loaded = %v, want 1", v)
	}
	if n := seriesCount(t, g.reg, "modgate_rule_matches_total", map[string]string{"rule": "drop-banned"}); n != 0 {
		t.Errorf("series of the removed rule drop-banned remain: %d", n)
	}
	if n := seriesCount(t, g.reg, "modgate_rule_errors_total", map[string]string{"rule": "broken"}); n != 0 {
		t.Errorf("error series of the removed rule broken remain: %d", n)
	}
	if got := counterValue(t, g.reg, "modgate_rule_matches_total", map[string]string{"rule": "drop-hello"}); got != 1 {
		t.Errorf("matches of the new rule = %v, want 1", got)
	}
}

func TestOnErrorDrop(t *testing.T) {
	g := newGateway(t, testRules, "on_error: drop\n")
	errEnv := `{"trigger":"before_message","data":{"data":{"text":"x","metadata":{"level":"high"}}}}`
	if r := g.post(t, "/webhooks/cometchat", errEnv, true); r.status != 200 || r.body != `{"action":"do_not_propagate"}` {
		t.Errorf("got %d %s, want 200 and a drop under on_error: drop", r.status, r.body)
	}
}

func TestNoAuthConfigured(t *testing.T) {
	g := loadGateway(t, writeGateway(t, testRules, "rules: [rules.yaml]\n"), prometheus.NewRegistry())
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/cometchat", strings.NewReader(message("before_message", "scam"))))
	if rec.Code != 200 || rec.Body.String() != `{"action":"do_not_propagate"}` {
		t.Errorf("without auth: %d %s", rec.Code, rec.Body)
	}
}

func TestNewRefusesInvalidRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), "rules:\n  - {id: a, when: 'sender.nme == 1', action: drop}\n")
	writeFile(t, filepath.Join(dir, "config.yaml"), "rules: [rules.yaml]\n")
	cfg, err := server.LoadConfig(filepath.Join(dir, "config.yaml"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.New(cfg, server.Options{Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), `rules.yaml:2:27: rule "a": when: type rules.User has no field nme`) {
		t.Errorf("New = %v, want the positioned error", err)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// find returns the series of name whose labels include want.
func find(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) []*dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []*dto.Metric
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for k, v := range want {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			out = append(out, m)
		}
	}
	return out
}

func seriesCount(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) int {
	t.Helper()
	return len(find(t, reg, name, labels))
}

// counterValue is the value of the one counter or gauge series of name with
// labels; absent series read as -1 so a missing series fails any check.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	ms := find(t, reg, name, labels)
	if len(ms) != 1 {
		t.Errorf("%s%v: %d series, want 1", name, labels, len(ms))
		return -1
	}
	if c := ms[0].GetCounter(); c != nil {
		return c.GetValue()
	}
	return ms[0].GetGauge().GetValue()
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) uint64 {
	t.Helper()
	ms := find(t, reg, name, labels)
	if len(ms) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labels, len(ms))
	}
	return ms[0].GetHistogram().GetSampleCount()
}
