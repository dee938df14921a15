package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/engine/state"
	"github.com/modgate/modgate/rules"
)

// recordingStore is a memory store that remembers what it was asked and
// can be made to fail.
type recordingStore struct {
	*state.Memory
	mu      sync.Mutex
	counts  int
	strikes int
	ops     int
	fail    error
}

func (s *recordingStore) Count(ctx context.Context, b *state.Batch) error {
	s.mu.Lock()
	s.counts++
	s.ops += len(b.Ops)
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Memory.Count(ctx, b)
}

func (s *recordingStore) Strike(ctx context.Context, st *state.Batch) error {
	s.mu.Lock()
	s.strikes++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Memory.Strike(ctx, st)
}

func newRecording() *recordingStore {
	return &recordingStore{Memory: state.NewMemory(0, nil)}
}

func newRecordingAt(clock func() time.Time) *recordingStore {
	return &recordingStore{Memory: state.NewMemory(0, clock)}
}

const statefulRules = `
rules:
  - id: staff
    when: sender.role == "moderator"
    action: allow
  - id: flood
    when: rate("f:" + sender.uid, "1m") > 2
    action: drop
    strike: {key: sender.uid, for: 1h}
  - id: same-key-again
    when: rate("f:" + sender.uid, "1m") > 100
    action: drop
  - id: offender
    when: strikes(sender.uid) >= 1
    action: tag
    tags: [offender]
  - id: banned
    when: text contains "scam"
    action: drop
`

func from(uid, text string) *rules.Env {
	return &rules.Env{Trigger: "before_message", Text: text, Sender: rules.User{UID: uid}, Message: rules.Message{Text: text}}
}

func TestStatefulEvaluation(t *testing.T) {
	rs := load(t, statefulRules)
	now := time.Unix(1_700_000_000, 0)
	st := newRecordingAt(func() time.Time { return now })
	e := engine.New(engine.OnErrorPass, engine.WithStore(st))
	var res engine.Result
	run := func(env *rules.Env) engine.Verdict {
		e.Evaluate(context.Background(), rs, env, &res)
		return res.Verdict
	}

	// A moderator's messages are allowed by the first rule and counted all
	// the same: the count does not depend on which rule decides.
	for range 3 {
		if v := run(&rules.Env{Trigger: "before_message", Sender: rules.User{UID: "m", Role: "moderator"}}); v != engine.Pass {
			t.Fatalf("moderator: %v", v)
		}
	}
	if v := run(from("m", "hi")); v != engine.Drop || ids(res.Deciding)[0] != "flood" {
		t.Fatalf("4th message: %v %v, want drop by flood", v, ids(res.Deciding))
	}
	if got := ids(res.Strikes); !slices.Equal(got, []string{"flood"}) {
		t.Errorf("strikes recorded by %v, want [flood]", got)
	}
	if st.counts != 4 || st.strikes != 1 {
		t.Errorf("store calls: %d counts, %d strikes; want one count per message and one strike", st.counts, st.strikes)
	}
	if st.ops != 8 {
		t.Errorf("%d ops in 4 messages, want 2 a message (rate shared by two rules, and strikes)", st.ops)
	}

	// The strike shows on the sender's next message, once the flood is over.
	now = now.Add(2 * time.Minute)
	if v := run(from("m", "back")); v != engine.Tag {
		t.Errorf("after the strike: %v %v, want tag by offender", v, ids(res.Matched))
	}

	// The store fails: the stateful rules fail open, the others still apply.
	st.fail = errors.New("connection refused")
	if v := run(from("x", "a scam")); v != engine.Drop || ids(res.Deciding)[0] != "banned" {
		t.Errorf("with the store down: %v by %v, want drop by banned", v, ids(res.Deciding))
	}
	var failed []string
	for _, re := range res.Errors {
		failed = append(failed, re.Rule.ID)
	}
	if !slices.Equal(failed, []string{"flood", "same-key-again", "offender"}) {
		t.Errorf("failed rules %v, want the three stateful ones", failed)
	}
	if v := run(from("x", "hello")); v != engine.Pass {
		t.Errorf("with the store down: %v, want pass (fail open)", v)
	}
}

func TestStatefulOnErrorDrop(t *testing.T) {
	rs := load(t, statefulRules)
	st := newRecording()
	st.fail = state.ErrSkipped
	e := engine.New(engine.OnErrorDrop, engine.WithStore(st))
	var res engine.Result
	e.Evaluate(context.Background(), rs, from("u", "hello"), &res)
	if res.Verdict != engine.Drop || ids(res.Deciding)[0] != "flood" {
		t.Errorf("on_error drop with the store down: %v by %v", res.Verdict, ids(res.Deciding))
	}
	if st.strikes != 0 {
		t.Error("a failed rule recorded a strike")
	}
}

// TestStatelessCostsNothing: a rule set without stateful functions never
// calls the store.
func TestStatelessCostsNothing(t *testing.T) {
	rs := load(t, `rules: [{id: a, when: 'text contains "x"', action: drop}]`)
	if rs.Stateful {
		t.Fatal("a stateless rule set is marked stateful")
	}
	st := newRecording()
	e := engine.New(engine.OnErrorPass, engine.WithStore(st))
	var res engine.Result
	for range 10 {
		e.Evaluate(context.Background(), rs, from("u", "x"), &res)
	}
	if st.counts+st.strikes != 0 {
		t.Errorf("%d store calls for a stateless rule set", st.counts+st.strikes)
	}
}

// TestIdentity: a message counts once by muid, else id, on any path.
func TestIdentity(t *testing.T) {
	rs := load(t, `rules: [{id: flood, when: 'rate(sender.uid, "1m") > 2', action: drop}]`)
	e := engine.New(engine.OnErrorPass)
	var res engine.Result
	msg := func(trigger, muid, id string) *rules.Env {
		env := from("u", "hi")
		env.Trigger, env.Message.MUID, env.Message.ID = trigger, muid, id
		return env
	}
	for _, env := range []*rules.Env{
		msg("before_message", "m1", ""),
		msg("moderation_api", "m1", "42"), // the same message on the other endpoint
		msg("before_message", "m1", ""),   // a retry
		msg("before_message", "", "7"),
	} {
		e.Evaluate(context.Background(), rs, env, &res)
		if res.Verdict != engine.Pass {
			t.Fatalf("%s %q/%q: %v, want pass: each counts once", env.Trigger, env.Message.MUID, env.Message.ID, res.Verdict)
		}
	}
	e.Evaluate(context.Background(), rs, msg("before_message", "m2", ""), &res)
	if res.Verdict != engine.Drop {
		t.Errorf("the third distinct message: %v, want drop", res.Verdict)
	}
}

// BenchmarkStatefulRule measures what one rate rule adds on the memory
// backend to a realistic 13-rule set (the starter, links, PII and
// profanity packs).
func BenchmarkStatefulRule(b *testing.B) {
	packs := []string{"starter", "links", "pii", "profanity"}
	var paths []string
	for _, p := range packs {
		paths = append(paths, filepath.Join("..", "examples", "rules", p+".yaml"))
	}
	flood := filepath.Join(b.TempDir(), "flood.yaml")
	if err := os.WriteFile(flood, []byte(`rules: [{id: flood, when: 'rate("flood:" + sender.uid, "1m") > 1000000', action: drop}]`), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		files []string
	}{{"13rules", paths}, {"13rules+rate", append(paths, flood)}} {
		b.Run(bc.name, func(b *testing.B) {
			rs, err := rules.Load(bc.files)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Unix(1_700_000_000, 0)
			clock := func() time.Time { return now }
			e := engine.New(engine.OnErrorPass, engine.WithStore(state.NewGuard(state.NewMemory(0, clock), state.GuardOptions{Now: clock})))
			env := benchEnv()
			var res engine.Result
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				now = now.Add(time.Millisecond) // a steady 1000 msg/s from 1000 senders
				env.Sender.UID = fmt.Sprint("user-", i%1000)
				i++
				e.Evaluate(context.Background(), rs, env, &res)
			}
			if res.Verdict != engine.Tag || len(res.Errors) > 0 {
				b.Fatalf("verdict %v (errors %v), want tag (the link rule): every rule must run", res.Verdict, res.Errors)
			}
		})
	}
}

// BenchmarkRateAlone isolates what one rate rule costs per message on the
// memory backend: a rule set of one stateless rule against one rate rule,
// 1,000 messages a second from 1,000 senders (60 a key in the window).
func BenchmarkRateAlone(b *testing.B) {
	senders := make([]string, 1000)
	for i := range senders {
		senders[i] = fmt.Sprintf("user-%d", i)
	}
	for _, bc := range []struct{ name, rules string }{
		{"stateless", `rules: [{id: a, when: 'sender.uid == "nobody"', action: drop}]`},
		{"rate", `rules: [{id: a, when: 'rate("flood:" + sender.uid, "1m") > 1000000', action: drop}]`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rs := load(b, bc.rules)
			now := time.Unix(1_700_000_000, 0)
			clock := func() time.Time { return now }
			e := engine.New(engine.OnErrorPass, engine.WithStore(state.NewGuard(state.NewMemory(0, clock), state.GuardOptions{Now: clock})))
			env := benchEnv()
			var res engine.Result
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				now = now.Add(time.Millisecond)
				env.Sender.UID = senders[i%len(senders)]
				i++
				e.Evaluate(context.Background(), rs, env, &res)
			}
			if res.Verdict != engine.Pass || len(res.Errors) > 0 {
				b.Fatalf("verdict %v, errors %v", res.Verdict, res.Errors)
			}
		})
	}
}
