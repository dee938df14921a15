package engine_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server/cometchat"
)

// evictBytes is more than the L2 caches of the machines the load test
// runs on (1 MiB a core here): writing it between messages leaves the
// rules and the environment to come from L3 or memory, as they do under
// load, when the kernel and the load generator share the cores.
const evictBytes = 4 << 20

var evictBuf = make([]byte, evictBytes)

// evict writes a byte of every cache line of evictBuf.
func evict() {
	for i := 0; i < len(evictBuf); i += 64 {
		evictBuf[i]++
	}
}

// BenchmarkRealisticEvaluate evaluates the load test's rule sets
// (bench/run.sh, server's BenchmarkRealistic/evaluate) on its message,
// warm (the same message again and again, everything in cache) and cold
// (caches evicted between messages, the eviction not timed). A large rule
// set should cost almost what a small one does, in both. Cold iterations
// each cost a millisecond of eviction: run them with -benchtime=5000x or
// so.
func BenchmarkRealisticEvaluate(b *testing.B) {
	body, err := os.ReadFile("../server/testdata/before_message_text_group.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, cache := range []string{"warm", "cold"} {
		for _, set := range []struct {
			name  string
			files []string
		}{
			{"13rules", []string{"../bench/rules/realistic13.yaml"}},
			{"104rules", []string{"../bench/rules/realistic104.yaml"}},
			{"13rules+rate", []string{"../bench/rules/realistic13.yaml", "../bench/rules/rate.yaml"}},
		} {
			b.Run(cache+"/"+set.name, func(b *testing.B) {
				rs, err := rules.Load(set.files)
				if err != nil {
					b.Fatal(err)
				}
				e := engine.New(engine.OnErrorPass, engine.WithTimeout(time.Second))
				var env rules.Env
				if err := cometchat.DecodeWebhook(body, &env, rs.NeedsPayload); err != nil {
					b.Fatal(err)
				}
				// A request's context, which has a Done channel, as the
				// handler's does.
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var res engine.Result
				b.ReportAllocs()
				for b.Loop() {
					if cache == "cold" {
						b.StopTimer()
						evict()
						b.StartTimer()
					}
					e.Evaluate(ctx, rs, &env, &res)
				}
				if res.Verdict != engine.Pass || len(res.Matched) > 0 || len(res.Errors) > 0 {
					b.Fatalf("verdict %v, matched %d, errors %v: every rule must run and none match", res.Verdict, len(res.Matched), res.Errors)
				}
			})
		}
	}
}
