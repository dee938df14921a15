package engine_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
)

// bigText is a 1 MB message of lower-case words.
func bigText() string {
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "word%d ", i%5000)
	}
	return b.String()
}

// TestMemoryIsBoundedBeforeAllocation: before the fix,
// len(repeat(text, 100000)) < 0 on a 1 MB message killed the process (out
// of memory), and the others allocated gigabytes before failing, if at all.
// Each must now be a rule error for its rule alone, allocating little.
func TestMemoryIsBoundedBeforeAllocation(t *testing.T) {
	text := bigText()
	tests := []struct{ name, when string }{
		{"repeat", `len(repeat(text, 100000)) < 0`},
		{"repeat under expr's own limit", `len(repeat(text, 1000)) < 0`},
		{"join over a mapped range", `len(join(map(1..1000, text), "")) < 0`},
		{"concatenation in a loop", `len(reduce(1..1000, #acc + text, "")) < 0`},
		{"concatenation of unknown types", `len(map(1..1000, payload.x + text)) < 0`},
		{"lower of distinct texts", `len(map(1..1000, lower(text + string(#)))) < 0`},
		{"replace that grows", `len(replace(text, "w", repeat("w", 1000))) < 0`},
		{"toJSON of a huge list", `len(toJSON(map(1..1000, text))) < 0`},
		{"string of a huge list", `len(string(map(1..1000, text))) < 0`},
		{"split into many parts", `len(map(1..100, split(text, ""))) < 0`},
		{"a pattern from the message", `text matches text`},
		{"patterns in a loop", `any(1..1000, {"x" matches text[0:100000]})`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := load(t, fmt.Sprintf("rules:\n  - {id: hungry, when: '%s', action: drop}\n  - {id: after, when: 'true', action: tag, tags: [ran]}\n", tt.when))
			env := &rules.Env{Trigger: "before_message", Text: text, Payload: map[string]any{"x": "y"}}
			var res engine.Result
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			engine.New(engine.OnErrorPass).Evaluate(context.Background(), rs, env, &res)
			runtime.ReadMemStats(&after)
			if len(res.Errors) != 1 || res.Errors[0].Rule.ID != "hungry" {
				t.Fatalf("errors = %v, want one error of rule hungry", res.Errors)
			}
			if err := res.Errors[0].Err; !strings.Contains(err.Error(), "allocate more than") && !strings.Contains(err.Error(), "memory budget exceeded") {
				t.Errorf("error = %v, want a memory budget error", err)
			}
			if res.Verdict != engine.Tag {
				t.Errorf("verdict = %v: the rules after the failing one must still run", res.Verdict)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 150<<20 {
				t.Errorf("evaluation allocated %d MiB", alloc>>20)
			}
		})
	}
}

// TestBoundedRulesStillWork: the rewritten built-ins answer as expr's do.
func TestBoundedRulesStillWork(t *testing.T) {
	rs := load(t, `rules:
  - id: all-of-them
    when: >-
      repeat("ab", 2) == "abab" && join(["a", "b"], "-") == "a-b" && join(["a", "b"]) == "ab" &&
      lower("ÀB") == "àb" && upper("ab") == "AB" && replace("aXa", "a", "bb") == "bbXbb" &&
      split("a,b", ",") == ["a", "b"] && splitAfter("a,b", ",") == ["a,", "b"] &&
      toJSON([1]) == "[\n  1\n]" && fromJSON("[1]")[0] == 1 && fromBase64(toBase64("hi")) == "hi" &&
      string(1) == "1" && "a" + "b" == "ab" && 1 + 2 == 3 && payload.n + 1 == 2 && payload.s + "!" == "s!" &&
      any(["x", "y"], {# == "y"}) && count(1..10, {# > 5}) == 5 && sum(1..3) == 6 &&
      lower(text) contains "hello" && text matches "(?i)hello" && text matches ("HEL" + "LO") &&
      !(payload.none matches "x") && any(["H.LLO"], {text matches #})
    action: drop
`)
	env := &rules.Env{Trigger: "before_message", Text: strings.Repeat("HELLO ", 100), Payload: map[string]any{"n": 1, "s": "s"}}
	var res engine.Result
	engine.New(engine.OnErrorPass).Evaluate(context.Background(), rs, env, &res)
	if res.Verdict != engine.Drop || len(res.Errors) > 0 {
		t.Errorf("verdict %v, errors %v: a bounded built-in answered differently", res.Verdict, res.Errors)
	}
}

// quadratic holds rules whose cost grows with the square of the text: over
// a 1 MB message they run for many seconds without a deadline.
const quadratic = `rules:
  - {id: first, when: 'text contains "nothing"', action: tag, tags: [first]}
  - id: quadratic
    when: 'any(words(text), {text contains upper(#)})'
    action: drop
  - {id: never-reached, when: 'true', action: tag, tags: [late]}
`

// TestEvaluationTimeout: before the fix, nothing stopped a slow rule; the
// quadratic rule kept a core busy for a minute, client gone or not.
func TestEvaluationTimeout(t *testing.T) {
	rs := load(t, quadratic)
	for _, onError := range []engine.OnError{engine.OnErrorPass, engine.OnErrorDrop} {
		env := &rules.Env{Trigger: "before_message", Text: bigText()}
		var res engine.Result
		start := time.Now()
		engine.New(onError, engine.WithTimeout(100*time.Millisecond)).Evaluate(context.Background(), rs, env, &res)
		took := time.Since(start)
		if !errors.Is(res.Stopped, context.DeadlineExceeded) {
			t.Fatalf("Stopped = %v, want the deadline", res.Stopped)
		}
		if res.StoppedAt == nil || res.StoppedAt.ID != "quadratic" {
			t.Errorf("StoppedAt = %v, want the quadratic rule", res.StoppedAt)
		}
		if took > time.Second {
			t.Errorf("a 100ms timeout stopped evaluation after %v", took)
		}
		want := engine.Pass
		if onError == engine.OnErrorDrop {
			want = engine.Drop
		}
		if res.Verdict != want || len(res.Tags) > 0 {
			t.Errorf("on_error %d: verdict %v tags %v, want %v and the rule after never run", onError, res.Verdict, res.Tags, want)
		}
	}
}

// TestEvaluationCancelled: a client that goes away stops the evaluation.
func TestEvaluationCancelled(t *testing.T) {
	rs := load(t, quadratic)
	env := &rules.Env{Trigger: "before_message", Text: bigText()}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	var res engine.Result
	start := time.Now()
	engine.New(engine.OnErrorPass).Evaluate(ctx, rs, env, &res)
	if !errors.Is(res.Stopped, context.Canceled) {
		t.Fatalf("Stopped = %v, want Canceled", res.Stopped)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("cancellation took %v to stop evaluation", took)
	}
}

// TestDeadlineBetweenRules: a deadline already passed stops evaluation
// before the next rule, and no rule is blamed when none ran.
func TestDeadlineBetweenRules(t *testing.T) {
	rs := load(t, "rules:\n  - {id: a, when: 'true', action: tag, tags: [a]}\n")
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	var res engine.Result
	engine.New(engine.OnErrorPass).Evaluate(ctx, rs, &rules.Env{Trigger: "before_message"}, &res)
	if !errors.Is(res.Stopped, context.DeadlineExceeded) || res.StoppedAt != nil || res.Verdict != engine.Pass {
		t.Errorf("Stopped %v at %v, verdict %v", res.Stopped, res.StoppedAt, res.Verdict)
	}
}

// TestSlowRuleMemoizesLower: any(phrases, {lower(text) contains #}) lowers
// the text once, so it stays within time and memory on a long message
// (before the fix it took 7 s over 2,000 phrases and 800 KB).
func TestSlowRuleMemoizesLower(t *testing.T) {
	var phrases []string
	for i := range 2000 {
		phrases = append(phrases, fmt.Sprintf("phrase number %d", i))
	}
	rs := load(t, fmt.Sprintf("lists:\n  phrases: [%s]\nrules:\n  - {id: phrases, when: 'any(lists.phrases, {lower(text) contains #})', action: drop}\n", strings.Join(phrases, ", ")))
	env := &rules.Env{Trigger: "before_message", Text: strings.ToUpper(bigText()[:800<<10]) + " PHRASE NUMBER 1999"}
	var res engine.Result
	engine.New(engine.OnErrorPass, engine.WithTimeout(500*time.Millisecond)).Evaluate(context.Background(), rs, env, &res)
	if res.Verdict != engine.Drop || len(res.Errors) > 0 || res.Stopped != nil {
		t.Errorf("verdict %v, errors %v, stopped %v", res.Verdict, res.Errors, res.Stopped)
	}
}
