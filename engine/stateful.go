package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/expr-lang/expr/vm"

	"github.com/modgate/modgate/engine/state"
	"github.com/modgate/modgate/rules"
)

// Store is the state store behind rate, distinct and strikes (SPEC §10):
// one Count before the rules run, one Strike after the verdict when a
// deciding rule records strikes. state.Guard over state.Memory or
// state.Redis implements it.
type Store interface {
	Count(ctx context.Context, b *state.Batch) error
	Strike(ctx context.Context, b *state.Batch) error
	// Backend names the store ("memory", "redis") for status pages.
	Backend() string
}

// WithStore makes the engine count in s. Without it an engine counts in a
// memory store of its own, which is what a single modgate eval or rule
// test needs; the gateway passes the store it keeps across reloads.
func WithStore(s Store) Option { return func(e *Engine) { e.store = s } }

// Backend names the engine's state store.
func (e *Engine) Backend() string { return e.store.Backend() }

// stateScratch is the per-message memory of the stateful path, pooled.
type stateScratch struct {
	batch  state.Batch
	slots  []int // per state call: its op in batch.Ops, or -1
	vals   []rules.StateValue
	struck []*rules.Rule
}

var stateKinds = [...]state.Kind{rules.StateRate: state.Rate, rules.StateDistinct: state.Distinct, rules.StateStrikes: state.Strikes}

// count computes the key of every state call of the rules that apply to
// the message and asks the store for all of them in one call. Each call's
// count, or the failure, goes to the environment, where the rules read it.
func (e *Engine) count(ctx context.Context, m *vmLease, rs *rules.RuleSet, env *rules.Env, sc *stateScratch, id state.Key, peek bool) {
	b := &sc.batch
	b.Reset()
	b.ID, b.Peek = id, peek
	sc.slots = sc.slots[:0]
	sc.vals = slices.Grow(sc.vals[:0], len(rs.State))[:len(rs.State)]
	clear(sc.vals)
	for i, call := range rs.State {
		sc.slots = append(sc.slots, -1)
		if !call.Rule.AppliesTo(env.Trigger) {
			continue
		}
		key, err := runKey(m, call.Key, call.KeyFast, env)
		if err != nil {
			sc.vals[i].Err = fmt.Errorf("key: %w", oneLine(err))
			continue
		}
		kind := stateKinds[call.Kind]
		op := state.Op{Kind: kind, Key: state.KeyOf(kind, call.Window, key), Window: call.Window, Record: call.Rule.CountsOn(env.Trigger)}
		if call.Kind == rules.StateDistinct {
			v, err := runKey(m, call.Value, call.ValueFast, env)
			if err != nil {
				sc.vals[i].Err = fmt.Errorf("value: %w", oneLine(err))
				continue
			}
			op.Member = state.MemberOf(v)
		}
		sc.slots[i] = addOp(b, op)
	}
	if len(b.Ops) > 0 {
		if err := e.store.Count(ctx, b); err != nil {
			for i, s := range sc.slots {
				if s >= 0 {
					sc.vals[i].Err = err
				}
			}
		} else {
			for i, s := range sc.slots {
				if s >= 0 && s < len(b.Counts) {
					sc.vals[i].N = int(b.Counts[s])
				}
			}
		}
	}
	env.SetState(sc.vals)
}

// addOp adds op to the batch unless the same counter is there already
// (two rules counting one key), and returns its index.
func addOp(b *state.Batch, op state.Op) int {
	for j := range b.Ops {
		o := &b.Ops[j]
		if o.Kind == op.Kind && o.Key == op.Key && o.Member == op.Member {
			o.Record = o.Record || op.Record
			return j
		}
	}
	b.Ops = append(b.Ops, op)
	return len(b.Ops) - 1
}

// strike records the strikes of the enforce-mode rules that decided the
// message and matched (SPEC §10 item 3). A failure is an error of each
// rule whose strike was lost; the verdict stands.
func (e *Engine) strike(ctx context.Context, m *vmLease, env *rules.Env, res *Result, sc *stateScratch, id state.Key) {
	b := &sc.batch
	b.Strikes, sc.struck = b.Strikes[:0], sc.struck[:0]
	for _, r := range res.Deciding {
		if r.Strike == nil || !slices.Contains(res.Matched, r) {
			continue
		}
		key, err := runString(m, r.Strike.Key, env)
		if err != nil {
			res.Errors = append(res.Errors, RuleError{Rule: r, Err: fmt.Errorf("strike key: %w", oneLine(err))})
			continue
		}
		b.Strikes = append(b.Strikes, state.StrikeOp{
			Key: state.KeyOf(state.Strikes, 0, key), Member: state.StrikeMember(id, r.ID), For: r.Strike.For,
		})
		sc.struck = append(sc.struck, r)
	}
	if len(b.Strikes) == 0 {
		return
	}
	if err := e.store.Strike(ctx, b); err != nil {
		for _, r := range sc.struck {
			res.Errors = append(res.Errors, RuleError{Rule: r, Err: fmt.Errorf("strike: %w", err)})
		}
		return
	}
	res.Strikes = append(res.Strikes, sc.struck...)
}

// runKey evaluates a state call's key or value, on the fast path when it
// has one.
func runKey(m *vmLease, p *vm.Program, fast func(*rules.Env) (string, error), env *rules.Env) (string, error) {
	if fast != nil {
		return fast(env)
	}
	return runString(m, p, env)
}

func runString(m *vmLease, p *vm.Program, env *rules.Env) (string, error) {
	out, err := m.get().Run(p, env)
	if err != nil {
		return "", err
	}
	s, _ := out.(string)
	return s, nil
}

// Identity returns the identity a message counts under (SPEC §10 item 2):
// its muid, else its id, so that a retry, or the same message on both
// endpoints, counts once. A message with neither is new every time.
func Identity(env *rules.Env) state.Key {
	switch {
	case env.Message.MUID != "":
		return state.MemberOf(env.Message.MUID)
	case env.Message.ID != "":
		return state.MemberOf(env.Message.ID)
	}
	var k state.Key
	copy(k[:8], anonymous[:])
	binary.LittleEndian.PutUint64(k[8:], anonymousSeq.Add(1))
	return k
}

var (
	anonymous    = func() (b [8]byte) { _, _ = rand.Read(b[:]); return b }()
	anonymousSeq atomic.Uint64
)
