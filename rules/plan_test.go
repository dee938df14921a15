package rules_test

import (
	"slices"
	"testing"

	"github.com/modgate/modgate/rules"
)

func stepIDs(steps []rules.Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Rule.ID)
	}
	return out
}

// TestPlan checks that a trigger's plan holds the rules that apply to it
// and no other, in evaluation order, each step carrying its rule's fast
// closure and shared slot.
func TestPlan(t *testing.T) {
	rs := loadText(t, `
rules:
  - {id: all-1, when: 'text contains "a"', action: tag, tags: [a]}
  - {id: before, triggers: [before_message], when: 'text contains "a"', action: drop}
  - {id: after, triggers: [after_message], when: 'text contains "b"', action: drop}
  - {id: both, triggers: [after_message, before_message], when: 'sender.role == "x"', action: allow}
  - {id: all-2, when: 'len(message.mentions) > 2', action: drop, mode: shadow}
  - {id: edited, triggers: [message_edited], when: 'text contains "b"', action: drop}
`)
	for _, tc := range []struct {
		trigger string
		want    []string
	}{
		{"before_message", []string{"all-1", "before", "both", "all-2"}},
		{"after_message", []string{"all-1", "after", "both", "all-2"}},
		{"message_edited", []string{"all-1", "all-2", "edited"}},
		{"reaction_added", []string{"all-1", "all-2"}},
		{"", []string{"all-1", "all-2"}},
	} {
		t.Run(tc.trigger, func(t *testing.T) {
			steps := rs.Plan(tc.trigger)
			if got := stepIDs(steps); !slices.Equal(got, tc.want) {
				t.Fatalf("plan %v, want %v", got, tc.want)
			}
			for _, s := range steps {
				if s.Rule.Fast == nil || s.Fast == nil {
					t.Errorf("%s: fast closure missing from rule or step", s.Rule.ID)
				}
				if s.Tail != 0 && s.Tail&rules.SharedBit(s.Shared) == 0 {
					t.Errorf("%s: tail %b without the step's own slot %d", s.Rule.ID, s.Tail, s.Shared)
				}
				if int(s.Shared) != s.Rule.Shared {
					t.Errorf("%s: step shares slot %d, rule %d", s.Rule.ID, s.Shared, s.Rule.Shared)
				}
			}
		})
	}
	// "text contains \"a\"" is all-1's and before's, "text contains \"b\""
	// after's and edited's: one slot each.
	byID := map[string]*rules.Rule{}
	for _, r := range rs.Rules {
		byID[r.ID] = r
	}
	if byID["all-1"].Shared == 0 || byID["all-1"].Shared != byID["before"].Shared || byID["after"].Shared == 0 ||
		byID["after"].Shared != byID["edited"].Shared || byID["all-1"].Shared == byID["after"].Shared || byID["both"].Shared != 0 {
		t.Errorf("shared slots: all-1 %d before %d after %d edited %d both %d", byID["all-1"].Shared, byID["before"].Shared,
			byID["after"].Shared, byID["edited"].Shared, byID["both"].Shared)
	}
}

// TestPlanTail checks the tails of a plan: set from the last step back
// to the first step that shares nothing, each the slots from it on.
func TestPlanTail(t *testing.T) {
	rs := loadText(t, `
rules:
  - {id: a1, when: 'text contains "a"', action: drop}
  - {id: b1, when: 'text contains "b"', action: drop}
  - {id: lone, when: 'text contains "c"', action: drop}
  - {id: a2, when: 'text contains "a"', action: drop}
  - {id: b2, when: 'text contains "b"', action: drop}
  - {id: a3, when: 'text contains "a"', action: drop}
`)
	steps := rs.Plan("before_message")
	a, b := rules.SharedBit(steps[0].Shared), rules.SharedBit(steps[1].Shared)
	if a == 0 || b == 0 || a == b || steps[2].Shared != 0 {
		t.Fatalf("slots: a %d, b %d, lone %d", steps[0].Shared, steps[1].Shared, steps[2].Shared)
	}
	want := []uint64{0, 0, 0, a | b, a | b, a}
	for i, s := range steps {
		if s.Tail != want[i] {
			t.Errorf("%s: tail %b, want %b", s.Rule.ID, s.Tail, want[i])
		}
	}
	if rules.SharedBit(65) != 0 || rules.SharedBit(64) != 1<<63 || rules.SharedBit(1) != 1 {
		t.Errorf("SharedBit: 1 %b, 64 %b, 65 %b", rules.SharedBit(1), rules.SharedBit(64), rules.SharedBit(65))
	}
}

// TestPlanFollowsTheRules checks that a copy of a rule set given other
// rules, as the differential tests make, is planned from those, not from
// the plans of the set it was copied from.
func TestPlanFollowsTheRules(t *testing.T) {
	rs := loadText(t, "rules:\n  - {id: one, when: 'text contains \"a\"', action: drop}\n  - {id: two, when: 'text contains \"b\"', action: drop}\n")
	cp := *rs
	c := *rs.Rules[1]
	c.Fast = nil
	cp.Rules = []*rules.Rule{&c}
	steps := cp.Plan("before_message")
	if len(steps) != 1 || steps[0].Rule != &c || steps[0].Fast != nil || steps[0].Shared != 0 {
		t.Fatalf("plan of the copy: %+v, want its one rule, on the VM", steps)
	}
	if got := stepIDs(rs.Plan("before_message")); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("plan of the original: %v", got)
	}
	if got := (&rules.RuleSet{}).Plan("before_message"); len(got) != 0 {
		t.Fatalf("plan of an empty rule set built by hand: %v", got)
	}
}
