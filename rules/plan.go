package rules

import "slices"

// Step is one rule of a Plan: what the engine's loop over the rules reads
// for every message, packed in 32 bytes. Walking a rule set's []*Rule
// touched a large Rule struct per rule (its triggers, its shared slot, its
// closure) scattered over the heap: under load, with the caches taken by
// the kernel and the other requests, those misses cost more than the
// conditions did. A plan's steps are contiguous, so a hundred rules are a
// few dozen cache lines, and the Rule is read only when its condition
// matched or failed.
type Step struct {
	// Fast is Rule.Fast: nil when the rule runs on expr's VM.
	Fast func(*Env) (bool, error)
	// Rule is the rule itself, for what the loop does when it matches,
	// fails or is stopped.
	Rule *Rule
	// Shared is Rule.Shared when Fast is set (0 otherwise): 1 + the slot
	// of the condition's result in the environment.
	Shared uint32
	// Tail, when not 0, says that this step and every one after it share
	// a condition of one of the first 64 slots, and which: bit n-1 for
	// Shared n. Once each of those conditions is known not to have
	// matched, the rest of the plan has nothing left to do, and the
	// engine skips it at once rather than rule by rule: a rule set that
	// repeats its conditions costs what its distinct conditions do.
	Tail uint64
}

// SharedBit is the bit of Step.Tail for a step's Shared slot, 0 when the
// step shares nothing or its slot is past the 64th.
func SharedBit(shared uint32) uint64 {
	if shared == 0 || shared > 64 {
		return 0
	}
	return 1 << (shared - 1)
}

// plans holds a rule set's Plans, one per trigger a rule names and one
// for every other trigger, built by Load.
type plans struct {
	// rules is the RuleSet.Rules they were built from: a copy of the
	// RuleSet given other rules (as tests make) must not run these.
	rules []*Rule
	named []triggerPlan
	other []Step // the rules that name no trigger
}

type triggerPlan struct {
	trigger string
	steps   []Step
}

// Plan returns the steps that run for a message of trigger: the rules
// that apply to it, in evaluation order (SPEC §5), and no other; a rule
// limited to other triggers costs such a message nothing. Load builds
// the plans once per rule set; a RuleSet built or changed by hand gets
// its plan built on each call. The returned slice must not be modified.
func (rs *RuleSet) Plan(trigger string) []Step {
	p := rs.plans
	if p == nil || len(p.rules) != len(rs.Rules) || len(p.rules) > 0 && &p.rules[0] != &rs.Rules[0] {
		p = buildPlans(rs.Rules)
	}
	for i := range p.named {
		if p.named[i].trigger == trigger {
			return p.named[i].steps
		}
	}
	return p.other
}

func buildPlans(rules []*Rule) *plans {
	var triggers []string
	for _, r := range rules {
		for _, t := range r.Triggers {
			if !slices.Contains(triggers, t) {
				triggers = append(triggers, t)
			}
		}
	}
	p := &plans{rules: rules}
	p.other = planFor(rules, func(r *Rule) bool { return len(r.Triggers) == 0 })
	for _, t := range triggers {
		p.named = append(p.named, triggerPlan{trigger: t, steps: planFor(rules, func(r *Rule) bool { return r.AppliesTo(t) })})
	}
	return p
}

// planFor returns the steps of the rules applies accepts, in one
// allocation.
func planFor(rs []*Rule, applies func(*Rule) bool) []Step {
	n := 0
	for _, r := range rs {
		if applies(r) {
			n++
		}
	}
	steps := make([]Step, 0, n)
	for _, r := range rs {
		if !applies(r) {
			continue
		}
		s := Step{Fast: r.Fast, Rule: r}
		if r.Fast != nil && r.Shared > 0 {
			s.Shared = uint32(r.Shared)
		}
		steps = append(steps, s)
	}
	var tail uint64
	for i := len(steps) - 1; i >= 0; i-- {
		bit := SharedBit(steps[i].Shared)
		if bit == 0 {
			break
		}
		tail |= bit
		steps[i].Tail = tail
	}
	return steps
}

// MatchStep evaluates the condition of s, a step with Fast set, as Match
// does its rule. A condition shared with a step already run this message
// is not evaluated again: known reports that, so that a shared condition
// known not to match, without failing, costs the engine nothing more.
func (e *Env) MatchStep(s *Step) (matched, known bool, err error) {
	if slot := uint(s.Shared - 1); slot < uint(len(e.shared)) && e.shared[slot].gen == e.gen {
		r := &e.shared[slot]
		return r.matched, true, r.err
	}
	if s.Shared == 0 {
		matched, err = s.Fast(e)
		return matched, false, err
	}
	slot := int(s.Shared - 1)
	if slot >= len(e.shared) {
		e.shared = append(e.shared, make([]sharedResult, slot+1-len(e.shared))...)
	}
	matched, err = s.Fast(e)
	e.shared[slot] = sharedResult{gen: e.gen, matched: matched, err: err}
	return matched, false, err
}

// SharedMissed reports whether the condition of shared slot shared (a
// Step's Shared, not 0) was evaluated already for this message and was
// not matched, without failing: the steps sharing it then have nothing
// left to do, and the engine skips them.
func (e *Env) SharedMissed(shared uint32) bool {
	slot := uint(shared - 1)
	return slot < uint(len(e.shared)) && e.shared[slot].gen == e.gen && !e.shared[slot].matched && e.shared[slot].err == nil
}
