// Package engine evaluates a compiled rule set against one message and
// returns the verdict. It never parses: rules are compiled by package rules,
// messages decoded by the adapters in server.
//
// The semantics are SPEC §5's: rules run in order; a matching enforce-mode
// allow or drop rule stops evaluation; a matching tag rule adds its tags and
// inject keys and evaluation goes on; shadow-mode rules are evaluated and
// reported but never change the answer; a rule that fails at run time is
// reported and treated as OnError says.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/modgate/modgate/engine/state"
	"github.com/modgate/modgate/rules"
)

// Verdict is the answer for one message.
type Verdict uint8

// The verdicts, in order of severity.
const (
	Pass Verdict = iota
	Tag
	Drop
)

var verdictNames = [...]string{Pass: "pass", Tag: "tag", Drop: "drop"}

func (v Verdict) String() string { return verdictNames[v] }

// OnError is what a rule that fails at run time means.
type OnError uint8

const (
	// OnErrorPass treats a failing rule as not matched: fail open.
	OnErrorPass OnError = iota
	// OnErrorDrop drops the message when an enforce-mode rule fails.
	OnErrorDrop
)

// ParseOnError reads the on_error setting.
func ParseOnError(s string) (OnError, error) {
	switch s {
	case "", "pass":
		return OnErrorPass, nil
	case "drop":
		return OnErrorDrop, nil
	}
	return 0, fmt.Errorf("on_error must be pass or drop, got %q", s)
}

// Field is one injected response key and its value.
type Field struct {
	Key   string
	Value any
}

// RuleError is a rule that failed at run time.
type RuleError struct {
	Rule *rules.Rule
	Err  error
}

// Result is the outcome of evaluating one message. Its slices are reused
// across evaluations: call Reset (Evaluate does) rather than allocating anew.
type Result struct {
	Verdict Verdict
	// Tags and Fields are the answer of a tag verdict: tags without
	// duplicates in order of first appearance; a later rule's key wins.
	Tags   []string
	Fields []Field
	// Matched lists every rule that matched, shadow ones included, in
	// evaluation order.
	Matched []*rules.Rule
	// Deciding lists the enforce-mode rules that made the verdict: the drop
	// rule of a drop, the tag rules of a tag.
	Deciding []*rules.Rule
	// Errors lists the rules that failed.
	Errors []RuleError
	// Stopped is set when evaluation ended before every rule had run:
	// context.DeadlineExceeded past the evaluation timeout,
	// context.Canceled when the client went away. StoppedAt is the rule
	// that was running then (nil if none had started). The rules that
	// finished keep their effect; under on_error: drop the verdict is drop.
	Stopped   error
	StoppedAt *rules.Rule
	// Strikes lists the rules that recorded a strike for this message.
	Strikes []*rules.Rule
}

// Reset empties r, keeping its capacity.
func (r *Result) Reset() {
	r.Verdict = Pass
	r.Tags = r.Tags[:0]
	clear(r.Fields)
	r.Fields = r.Fields[:0]
	clear(r.Matched)
	r.Matched = r.Matched[:0]
	clear(r.Deciding)
	r.Deciding = r.Deciding[:0]
	clear(r.Errors)
	r.Errors = r.Errors[:0]
	r.Stopped, r.StoppedAt = nil, nil
	clear(r.Strikes)
	r.Strikes = r.Strikes[:0]
}

// Engine evaluates rule sets. It holds no rule set itself, so one Engine
// serves every rule set a reload produces; it is safe for concurrent use.
type Engine struct {
	onError OnError
	timeout time.Duration
	vms     sync.Pool
	store   Store
	scratch sync.Pool // *stateScratch
}

// Option configures an Engine.
type Option func(*Engine)

// WithTimeout bounds the evaluation of one message (SPEC §12: limits.
// evaluation_timeout); zero means no bound but the request's context.
func WithTimeout(d time.Duration) Option { return func(e *Engine) { e.timeout = d } }

// New returns an Engine that treats failing rules as onError says.
func New(onError OnError, opts ...Option) *Engine {
	e := &Engine{onError: onError, vms: sync.Pool{New: func() any { return new(vm.VM) }}}
	e.scratch.New = func() any { return new(stateScratch) }
	for _, o := range opts {
		o(e)
	}
	if e.store == nil {
		e.store = state.NewGuard(state.NewMemory(0, nil), state.GuardOptions{})
	}
	return e
}

// Evaluate runs rs against env and writes the outcome into res. ctx is the
// request's: evaluation ends when it is done (the client went away) or when
// the engine's timeout passes, between rules and inside long-running ones,
// and res.Stopped says so.
//
// A rule set with stateful rules costs one store call before the rules
// (every rate, distinct and strikes of the rules that apply, counted at
// once) and one after the verdict when a deciding rule records a strike;
// any other rule set costs the store nothing.
func (e *Engine) Evaluate(ctx context.Context, rs *rules.RuleSet, env *rules.Env, res *Result) {
	e.evaluate(ctx, rs, env, res, false)
}

// Preview evaluates as Evaluate does, but only reads the state store: each
// rate and distinct sees the count it would see if the message were
// counted, and no strike is written. A message tried from the console must
// neither count nor strike its sender.
func (e *Engine) Preview(ctx context.Context, rs *rules.RuleSet, env *rules.Env, res *Result) {
	e.evaluate(ctx, rs, env, res, true)
}

func (e *Engine) evaluate(ctx context.Context, rs *rules.RuleSet, env *rules.Env, res *Result, peek bool) {
	res.Reset()
	env.ResetCache()
	env.BeginEvaluationWithin(ctx, e.timeout)
	defer env.EndEvaluation()
	m := &vmLease{pool: &e.vms}
	defer m.release()
	if !rs.Stateful {
		e.run(m, rs, env, res)
		return
	}
	sc := e.scratch.Get().(*stateScratch)
	defer e.scratch.Put(sc)
	id := Identity(env)
	e.count(ctx, m, rs, env, sc, id, peek)
	e.run(m, rs, env, res)
	if !peek {
		e.strike(ctx, m, env, res, sc, id)
	}
	env.SetState(nil) // sc goes back to the pool
}

// run evaluates the rules in order until one decides. It walks the rule
// set's plan for the message's trigger (rules.RuleSet.Plan), in which the
// rules that do not apply are left out and each of the others is a small
// step of a contiguous slice, so that a large rule set costs its rules'
// conditions and little more, cold caches or warm.
func (e *Engine) run(m *vmLease, rs *rules.RuleSet, env *rules.Env, res *Result) {
	plan := rs.Plan(env.Trigger)
	var last *rules.Rule // the rule that ran last: it was running when time ran out
	// skipped is set while the rules since the last look at the clock
	// were copies of a condition already found false: each takes a few
	// nanoseconds, so one look after them stands for theirs, as if the
	// deadline had passed at the last of them.
	skipped := false
	// missed holds the shared conditions of the first 64 slots found not
	// matched, without failing (rules.SharedBit): once it covers a
	// step's Tail, every rule left is a copy of one of them.
	var missed uint64
	for i := range plan {
		s := &plan[i]
		if s.Tail != 0 && s.Tail&^missed == 0 {
			last, skipped = plan[len(plan)-1].Rule, true
			break
		}
		if s.Shared != 0 && env.SharedMissed(s.Shared) {
			last, skipped = s.Rule, true
			continue
		}
		if err := env.Interrupted(); err != nil {
			e.stop(res, last, err)
			return
		}
		r := s.Rule
		last, skipped = r, false
		var matched bool
		var err error
		if s.Fast != nil {
			matched, _, err = env.MatchStep(s)
			if !matched && err == nil {
				missed |= rules.SharedBit(s.Shared)
			}
		} else {
			var out any
			out, err = m.get().Run(r.Program, env)
			matched, _ = out.(bool)
		}
		if err != nil {
			if stopped := env.Stopped(); stopped != nil {
				e.stop(res, r, stopped)
				return
			}
			if e.fail(res, r, err) {
				return
			}
			continue
		}
		if !matched {
			continue
		}
		res.Matched = append(res.Matched, r)
		if r.Mode == rules.ModeShadow {
			continue
		}
		switch r.Action {
		case rules.ActionAllow:
			return
		case rules.ActionDrop:
			res.Verdict = Drop
			res.Deciding = append(res.Deciding[:0], r)
			return
		case rules.ActionTag:
			if e.tag(m, res, r, env) {
				return
			}
		}
	}
	if skipped {
		if err := env.Interrupted(); err != nil {
			e.stop(res, last, err)
		}
	}
}

// vmLease is a VM from the engine's pool, taken when a rule first needs
// one: most rule sets run on the fast path alone, and a message need not
// pay the pool for a VM it never uses.
type vmLease struct {
	pool *sync.Pool
	m    *vm.VM
}

func (l *vmLease) get() *vm.VM {
	if l.m == nil {
		l.m = l.pool.Get().(*vm.VM)
	}
	return l.m
}

func (l *vmLease) release() {
	if l.m != nil {
		l.pool.Put(l.m)
		l.m = nil
	}
}

// tag applies a matching enforce-mode tag rule. It reports whether
// evaluation must stop, which happens only when an inject expression fails
// under on_error: drop.
func (e *Engine) tag(m *vmLease, res *Result, r *rules.Rule, env *rules.Env) (stop bool) {
	for _, in := range r.Inject {
		v, err := m.get().Run(in.Program, env)
		if err != nil {
			if stopped := env.Stopped(); stopped != nil {
				e.stop(res, r, stopped)
				return true
			}
			if e.fail(res, r, fmt.Errorf("inject %s: %w", in.Key, oneLine(err))) {
				return true
			}
			continue
		}
		res.setField(in.Key, v)
	}
	for _, t := range r.Tags {
		if !slices.Contains(res.Tags, t) {
			res.Tags = append(res.Tags, t)
		}
	}
	res.Verdict = Tag
	res.Deciding = append(res.Deciding, r)
	return false
}

// fail records a run-time failure of r and reports whether it ends
// evaluation with a drop (on_error: drop, enforce mode).
func (e *Engine) fail(res *Result, r *rules.Rule, err error) bool {
	res.Errors = append(res.Errors, RuleError{Rule: r, Err: oneLine(err)})
	if e.onError != OnErrorDrop || r.Mode == rules.ModeShadow {
		return false
	}
	res.Verdict = Drop
	res.Deciding = append(res.Deciding[:0], r)
	return true
}

// stop ends an evaluation that ran out of time or lost its client while
// rule r was running: fail open, the rules that finished keeping their
// effect, or drop under on_error: drop, whatever the rule's mode, since the
// rules after it never ran.
func (e *Engine) stop(res *Result, r *rules.Rule, err error) {
	res.Stopped, res.StoppedAt = err, r
	if e.onError != OnErrorDrop {
		return
	}
	res.Verdict = Drop
	res.Deciding = res.Deciding[:0]
	if r != nil {
		res.Deciding = append(res.Deciding, r)
	}
}

func (r *Result) setField(key string, v any) {
	for i := range r.Fields {
		if r.Fields[i].Key == key {
			r.Fields[i].Value = v
			return
		}
	}
	r.Fields = append(r.Fields, Field{Key: key, Value: v})
}

// oneLine drops the source snippet expr appends to its errors, which spans
// lines and repeats the rule's expression.
func oneLine(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Snippet != "" {
		return fmt.Errorf("%s (column %d)", fe.Message, fe.Column+1)
	}
	return err
}
