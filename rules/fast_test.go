package rules_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server/cometchat"
)

// TestFastAgreesWithVM is the differential test of the fast path: every
// rule of the examples, the benchmark sets and testdata/fast_shapes.yaml
// that is on the fast path gives, on every fixture and on a corpus of
// generated messages, the answer the VM gives for its program (matched,
// or failed). Each message is evaluated afresh for each side, so memoized
// results cannot leak from one to the other.
func TestFastAgreesWithVM(t *testing.T) {
	files, _ := filepath.Glob("../examples/rules/*.yaml")
	bench, _ := filepath.Glob("../bench/rules/*.yaml")
	files = append(append(files, bench...), "testdata/fast_shapes.yaml")
	envs := corpus(t)

	var m vm.VM
	checked, fast, budgetErrs := 0, 0, 0
	for _, file := range files {
		rs, err := rules.Load([]string{file})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, r := range rs.Rules {
			if r.Fast == nil {
				if strings.HasSuffix(file, "fast_shapes.yaml") {
					t.Errorf("%s: rule %s (%s) is not on the fast path", file, r.ID, r.When)
				}
				continue
			}
			fast++
			for i, env := range envs {
				// The counts of the stateful calls, as the engine would
				// set them: some past the usual limits, one failing.
				counts := make([]rules.StateValue, len(rs.State))
				for j := range counts {
					counts[j].N = (i * (j + 7)) % 40
					if i%50 == 49 {
						counts[j].Err = errors.New("store down")
					}
				}
				// Some messages run with the memory budget nearly spent,
				// so that a charge fails part way through a loop.
				preSpent := 0
				if i%5 == 2 {
					preSpent = rules.MaxEvaluationBytes - 40*(i%13)
				}
				env.ResetCache()
				env.SetState(counts)
				env.BeginEvaluation(context.Background(), time.Time{})
				env.SpendBudget(preSpent)
				out, vmErr := m.Run(r.Program, env)
				want, _ := out.(bool)
				vmSpent, vmTicks := env.BudgetState()
				if vmErr != nil && strings.Contains(vmErr.Error(), rules.ErrMemoryBudget.Error()) {
					budgetErrs++
				}
				env.ResetCache()
				env.SetState(counts)
				env.BeginEvaluation(context.Background(), time.Time{})
				env.SpendBudget(preSpent)
				got, fastErr := r.Fast(env)
				if got != want || (vmErr == nil) != (fastErr == nil) || vmErr != nil && fastErr.Error() != vmErr.Error() && !strings.Contains(vmErr.Error(), fastErr.Error()) {
					t.Errorf("%s: rule %s (%s), message %d (text %q): fast %v, %v; VM %v, %v",
						filepath.Base(file), r.ID, r.When, i, env.Text, got, fastErr, want, vmErr)
				}
				// The budget too: a rewrite charges and ticks as the
				// plain expression does, so limits hit alike.
				if spent, ticks := env.BudgetState(); spent != vmSpent || ticks != vmTicks {
					t.Errorf("%s: rule %s (%s), message %d (text %q): fast spent %d bytes in %d ticks, VM %d in %d",
						filepath.Base(file), r.ID, r.When, i, env.Text, spent, ticks, vmSpent, vmTicks)
				}
				checked++
			}
		}
	}
	// In sequence, as the engine runs them: each rule sees what the
	// rules before it memoized (words(text) read from the memo by a scan,
	// lower of a long text computed once), on both sides alike.
	for _, file := range files {
		rs, err := rules.Load([]string{file})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i, env := range envs {
			counts := make([]rules.StateValue, len(rs.State))
			type outcome struct {
				matched, failed bool
				spent           int
				ticks           uint32
			}
			var vmOut []outcome
			env.ResetCache()
			env.SetState(counts)
			env.BeginEvaluation(context.Background(), time.Time{})
			for _, r := range rs.Rules {
				if r.Fast == nil {
					continue
				}
				out, err := m.Run(r.Program, env)
				matched, _ := out.(bool)
				spent, ticks := env.BudgetState()
				vmOut = append(vmOut, outcome{matched, err != nil, spent, ticks})
			}
			env.ResetCache()
			env.SetState(counts)
			env.BeginEvaluation(context.Background(), time.Time{})
			k := 0
			for _, r := range rs.Rules {
				if r.Fast == nil {
					continue
				}
				matched, err := r.Fast(env)
				spent, ticks := env.BudgetState()
				if got := (outcome{matched, err != nil, spent, ticks}); got != vmOut[k] {
					t.Errorf("%s: in sequence, rule %s (%s), message %d (text %q): fast %+v, VM %+v",
						filepath.Base(file), r.ID, r.When, i, env.Text, got, vmOut[k])
				}
				k++
			}
		}
	}
	if budgetErrs < 50 {
		t.Errorf("only %d evaluations ran out of memory budget: the limit is tested too little", budgetErrs)
	}
	if fast < 40 {
		t.Errorf("only %d rules on the fast path: the test compares too little", fast)
	}
	t.Logf("%d rules on the fast path, %d evaluations compared, %d out of budget", fast, checked, budgetErrs)
}

// TestFastKeysAgreeWithVM: the keys and values of the stateful calls, on
// the fast path, are the strings the VM computes, on every message.
func TestFastKeysAgreeWithVM(t *testing.T) {
	files, _ := filepath.Glob("../examples/rules/*.yaml")
	bench, _ := filepath.Glob("../bench/rules/*.yaml")
	files = append(append(files, bench...), "testdata/fast_shapes.yaml")
	envs := corpus(t)
	var m vm.VM
	compared := 0
	for _, file := range files {
		rs, err := rules.Load([]string{file})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, call := range rs.State {
			for _, side := range []struct {
				prog *vm.Program
				fast func(*rules.Env) (string, error)
			}{{call.Key, call.KeyFast}, {call.Value, call.ValueFast}} {
				if side.fast == nil {
					continue
				}
				for i, env := range envs {
					env.ResetCache()
					env.BeginEvaluation(context.Background(), time.Time{})
					out, vmErr := m.Run(side.prog, env)
					want, _ := out.(string)
					env.ResetCache()
					env.BeginEvaluation(context.Background(), time.Time{})
					got, err := side.fast(env)
					if got != want || (err == nil) != (vmErr == nil) {
						t.Errorf("%s: rule %s, message %d: fast key %q, %v; VM %q, %v", filepath.Base(file), call.Rule.ID, i, got, err, want, vmErr)
					}
					compared++
				}
			}
		}
	}
	if compared < 1000 {
		t.Errorf("only %d keys compared", compared)
	}
}

// corpus returns the environments of every CometChat fixture, then
// generated ones that vary each field the rules read: the words and
// phrases of the lists, upper and mixed case, links, non-ASCII and long
// texts (the memoized paths), roles, types, metadata of several types.
func corpus(t *testing.T) []*rules.Env {
	t.Helper()
	var envs []*rules.Env
	paths, _ := filepath.Glob("../server/cometchat/testdata/*.json")
	more, _ := filepath.Glob("../server/testdata/*.json")
	for _, p := range append(paths, more...) {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		env := new(rules.Env)
		if err := cometchat.DecodeWebhook(body, env, true); err != nil {
			if err := cometchat.DecodeModeration(body, env, true); err != nil {
				continue // a fixture of a malformed request
			}
		}
		envs = append(envs, env)
	}
	if len(envs) < 15 {
		t.Fatalf("only %d fixtures decoded", len(envs))
	}
	rng := rand.New(rand.NewPCG(12, 12))
	pieces := []string{"hello", "Scam", "SPAM", "jerk", "jérk", "wire me money", "WIRE ME MONEY", "free crypto",
		"https://x.example/a", "http://y", "HTTPS://Z", "ümlaut", "ÜMLAUT", "don’t", "ȿ", "12345", "!!!", " ", "sp", "idiots", "\xff", "\uFFFD", "ǅ", "ß", "İ", "🙂", "👍🏽", "🇫🇷"}
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	for range 400 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString(pick(" ", "", ", ").(string))
		}
		text := b.String()
		switch rng.IntN(6) {
		case 0:
			text = strings.ToUpper(text)
		case 1:
			text = strings.Repeat(text+" ", 40) // past the memo threshold
		}
		env := &rules.Env{
			Trigger: pick("before_message", "after_message", "moderation").(string),
			AppID:   pick("167ab1529", "x", "").(string),
			Webhook: pick("send-message", "edit-message", "").(string),
			Text:    text,
			Message: rules.Message{
				Type:     pick("text", "image", "video", "file", "").(string),
				Text:     text,
				SentAt:   rng.IntN(2_000_000_000),
				Mentions: make([]string, rng.IntN(4)),
				Tags:     make([]string, rng.IntN(2)),
			},
			Sender:   rules.User{Role: pick("default", "moderator", "admin", "guest", "").(string)},
			Receiver: rules.Receiver{GroupType: pick("public", "private", "").(string), EntityType: pick("group", "user").(string), MembersCount: rng.IntN(5)},
			Payload:  map[string]any{"appId": pick("167ab1529", 7, nil)},
		}
		if rng.IntN(3) > 0 {
			env.Message.Metadata = map[string]any{"priority": pick("high", "low", 1, nil, true), "count": pick(3, 3.0, "3", 4)}
		}
		if rng.IntN(2) == 0 {
			env.Message.CustomData = map[string]any{"question": pick("is crypto safe?", "no", 42, nil, []any{"crypto"}, map[string]any{"a": "crypto"})}
		}
		if rng.IntN(2) == 0 {
			env.Sender.Metadata = map[string]any{"vip": pick(true, false, "true")}
		}
		if rng.IntN(3) == 0 {
			env.Message.Attachments = make([]rules.Attachment, 1+rng.IntN(2))
		}
		envs = append(envs, env)
	}
	return envs
}

// TestFastBounds: on the fast path, a loop over a long list stops at the
// deadline and a lower beyond the memory budget fails, as on the VM.
func TestFastBounds(t *testing.T) {
	dir := t.TempDir()
	entries := make([]string, 200_000)
	for i := range entries {
		entries[i] = fmt.Sprintf("w%d", i)
	}
	src := "lists:\n  big: [" + strings.Join(entries, ", ") + "]\nrules:\n" +
		"  - {id: loop, when: 'any(lists.big, {any(lists.big, {# == text})})', action: drop}\n"
	path := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	r := rs.Rules[0]
	if r.Fast == nil {
		t.Fatal("the loop rule is not on the fast path")
	}
	env := &rules.Env{Text: "none"}
	env.ResetCache()
	env.BeginEvaluation(context.Background(), time.Now().Add(50*time.Millisecond))
	defer env.EndEvaluation()
	start := time.Now()
	_, err = r.Fast(env)
	if took := time.Since(start); err == nil || took > time.Second {
		t.Fatalf("err %v after %v, want the deadline soon after 50ms", err, took)
	}
	if env.Stopped() != context.DeadlineExceeded {
		t.Fatalf("Stopped = %v, want DeadlineExceeded", env.Stopped())
	}
}
