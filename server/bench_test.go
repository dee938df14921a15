package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server"
	"github.com/modgate/modgate/server/cometchat"
)

// hundredRules is a rule file of 100 rules of the usual kinds, none of which
// matches the benchmark message, so every one of them is evaluated.
func hundredRules() string {
	var b strings.Builder
	b.WriteString("lists:\n  banned: [scam, scammer, wire me money, buy followers]\n  staff: [moderator, admin]\nrules:\n")
	for i := range 100 {
		var when string
		switch i % 5 {
		case 0:
			when = fmt.Sprintf(`text contains "needle-%d"`, i)
		case 1:
			when = `hasWord(text, lists.banned) and sender.role != "x` + fmt.Sprint(i) + `"`
		case 2:
			when = fmt.Sprintf(`sender.role in lists.staff and receiver.membersCount > %d`, 1000+i)
		case 3:
			when = fmt.Sprintf(`message.type == "file-%d" or len(message.attachments) > %d`, i, 10+i)
		case 4:
			when = fmt.Sprintf(`len(text) > %d and receiver.entityType == "group"`, 5000+i)
		}
		fmt.Fprintf(&b, "  - id: rule-%03d\n    when: '%s'\n    action: drop\n", i, when)
	}
	return b.String()
}

func benchRules(b *testing.B, src string) *rules.RuleSet {
	b.Helper()
	dir := b.TempDir()
	if src == "" {
		return loadFiles(b, "../examples/rules/starter.yaml")
	}
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	return loadFiles(b, path)
}

func loadFiles(b *testing.B, paths ...string) *rules.RuleSet {
	b.Helper()
	rs, err := rules.Load(paths)
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// BenchmarkDecodeEvaluate measures the per-message path without HTTP:
// decode the envelope, evaluate the rules, encode the answer.
func BenchmarkDecodeEvaluate(b *testing.B) {
	body, err := os.ReadFile("testdata/before_message_text_group.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		rules string
	}{{"starter", ""}, {"100rules", hundredRules()}} {
		b.Run(bc.name, func(b *testing.B) {
			rs := benchRules(b, bc.rules)
			e := engine.New(engine.OnErrorPass)
			var env rules.Env
			var res engine.Result
			var out []byte
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := cometchat.DecodeWebhook(body, &env, rs.NeedsPayload); err != nil {
					b.Fatal(err)
				}
				e.Evaluate(context.Background(), rs, &env, &res)
				out = server.WebhookResponse(out[:0], env.Trigger, &res)
			}
		})
	}
}

// BenchmarkWebhookHandler measures the whole handler, Echo and auth
// included, without the network.
func BenchmarkWebhookHandler(b *testing.B) {
	body, err := os.ReadFile("testdata/before_message_text_group.json")
	if err != nil {
		b.Fatal(err)
	}
	starter, _ := filepath.Abs("../examples/rules/starter.yaml")
	cfg := fmt.Sprintf("rules: [%s]\nauth: {username: u, password: p}\n", starter)
	h := loadGateway(b, writeGateway(b, "", cfg), prometheus.NewRegistry()).Handler()
	benchHandler(b, h, body)
}

// BenchmarkDecisionRecording compares what keeping a decision costs a
// dropped message: nothing kept, the console's ring of recent decisions
// (on by default), and the decision log.
func BenchmarkDecisionRecording(b *testing.B) {
	body := []byte(messageFrom("cometchat-uid-5", "wire me money, a total scam"))
	for _, bc := range []struct {
		name   string
		ring   int
		extra  string
		answer string
	}{
		{name: "none", ring: -1},
		{name: "console-ring", ring: 0},
		{name: "decision-log", ring: -1, extra: "decision_log: {enabled: true, path: %s}\n"},
		{name: "both", ring: 0, extra: "decision_log: {enabled: true, path: %s}\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfgText := "rules: [rules.yaml]\nauth: {username: u, password: p}\n"
			if bc.extra != "" {
				cfgText += fmt.Sprintf(bc.extra, filepath.Join(b.TempDir(), "decisions.log"))
			}
			cfg, err := server.LoadConfig(writeGateway(b, testRules, cfgText), func(string) string { return "" })
			if err != nil {
				b.Fatal(err)
			}
			g, err := server.New(cfg, server.Options{Registry: prometheus.NewRegistry(), Logger: discardLogger(), RecentDecisions: bc.ring})
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/webhooks/cometchat", strings.NewReader(string(body)))
			req.SetBasicAuth("u", "p")
			g.Handler().ServeHTTP(rec, req)
			if rec.Body.String() != `{"action":"do_not_propagate"}` {
				b.Fatalf("answer %s, want a drop", rec.Body)
			}
			benchHandler(b, g.Handler(), body)
		})
	}
}

// benchHandler serves body to h over and over, as net/http would: one
// request and one response writer per goroutine, reused, so that what is
// measured is the handler's own cost and not the harness's.
func benchHandler(b *testing.B, h http.Handler, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		rd := bytes.NewReader(body)
		req, err := http.NewRequest(http.MethodPost, "http://modgate/webhooks/cometchat", io.NopCloser(rd))
		if err != nil {
			panic(err)
		}
		req.ContentLength = int64(len(body))
		req.SetBasicAuth("u", "p")
		w := &discardWriter{header: http.Header{}}
		for pb.Next() {
			rd.Reset(body)
			clear(w.header)
			w.status = 0
			h.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				panic(fmt.Sprintf("status %d", w.status))
			}
		}
	})
}

// discardWriter is a ResponseWriter that keeps the status and discards
// the body.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// floorHandler is bench/floor's handler: a bare Echo server that reads
// the body and answers {}. BenchmarkRealistic/handler/floor measures it
// beside modgate's, as bench/run.sh does over the network.
func floorHandler() http.Handler {
	e := echo.New()
	e.POST("/webhooks/cometchat", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, []byte(`{}`))
	})
	return e
}

// realisticSets are the rule sets of bench/run.sh, whose ratios to the
// floor the README reports: the 13 rules, eight times over, and the 13
// with one rate rule counting on the memory backend.
var realisticSets = []struct {
	name  string
	files []string
}{
	{"13rules", []string{"../bench/rules/realistic13.yaml"}},
	{"104rules", []string{"../bench/rules/realistic104.yaml"}},
	{"13rules+rate", []string{"../bench/rules/realistic13.yaml", "../bench/rules/rate.yaml"}},
}

// BenchmarkRealistic measures the stages of one message under the load
// test's rule sets: decode alone, evaluate alone (on the decoded message),
// and the whole handler, Echo and Basic auth included.
func BenchmarkRealistic(b *testing.B) {
	body, err := os.ReadFile("testdata/before_message_text_group.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		var env rules.Env
		b.ReportAllocs()
		for b.Loop() {
			if err := cometchat.DecodeWebhook(body, &env, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, set := range realisticSets {
		b.Run("evaluate/"+set.name, func(b *testing.B) {
			rs := loadFiles(b, set.files...)
			e := engine.New(engine.OnErrorPass, engine.WithTimeout(time.Second))
			var env rules.Env
			if err := cometchat.DecodeWebhook(body, &env, rs.NeedsPayload); err != nil {
				b.Fatal(err)
			}
			var res engine.Result
			b.ReportAllocs()
			for b.Loop() {
				e.Evaluate(context.Background(), rs, &env, &res)
			}
			if res.Verdict != engine.Pass || len(res.Matched) > 0 || len(res.Errors) > 0 {
				b.Fatalf("verdict %v, matched %d, errors %v: every rule must run and none match", res.Verdict, len(res.Matched), res.Errors)
			}
		})
	}
	b.Run("handler/floor", func(b *testing.B) { benchHandler(b, floorHandler(), body) })
	for _, set := range realisticSets {
		b.Run("handler/"+set.name, func(b *testing.B) {
			var paths []string
			for _, f := range set.files {
				p, _ := filepath.Abs(f)
				paths = append(paths, p)
			}
			cfg := fmt.Sprintf("rules: [%s]\nauth: {username: u, password: p}\n", strings.Join(paths, ", "))
			h := loadGateway(b, writeGateway(b, "", cfg), prometheus.NewRegistry()).Handler()
			benchHandler(b, h, body)
		})
	}
}
