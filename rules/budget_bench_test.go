package rules

import (
	"context"
	"testing"
	"time"
)

type ctxKey int

// BenchmarkBeginEvaluation measures the deadline's bookkeeping of one
// message: BeginEvaluationWithin, one look at it per rule of a 13-rule
// set, EndEvaluation, under a context like a request's (values under a
// cancel), as the engine runs them.
func BenchmarkBeginEvaluation(b *testing.B) {
	ctx := context.WithValue(context.WithValue(context.Background(), ctxKey(1), 1), ctxKey(2), 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var e Env
	b.ReportAllocs()
	for b.Loop() {
		e.ResetCache()
		e.BeginEvaluationWithin(ctx, 500*time.Millisecond)
		for range 13 {
			if err := e.Interrupted(); err != nil {
				b.Fatal(err)
			}
		}
		e.EndEvaluation()
	}
}
