// Package rules reads modgate rule files: it parses the YAML, validates every
// rule, loads the named lists and compiles each expression once against the
// expression environment (Env). The result, a RuleSet, is immutable and is
// what the engine evaluates; loading it again is how a reload happens.
//
// Every problem found while loading is reported, not only the first, each as
// an *Error positioned at FILE:LINE:COL.
package rules

import (
	"fmt"
	"slices"

	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// Action is what a matching rule does.
type Action string

// The actions of SPEC §5.
const (
	ActionAllow Action = "allow"
	ActionDrop  Action = "drop"
	ActionTag   Action = "tag"
)

// Mode says whether a rule changes the answer (enforce) or is only counted
// (shadow), so that a new rule can be judged on live traffic first.
type Mode string

// The modes of SPEC §5.
const (
	ModeEnforce Mode = "enforce"
	ModeShadow  Mode = "shadow"
)

// Rule is one compiled, enabled rule.
type Rule struct {
	ID          string
	Description string
	Action      Action
	Mode        Mode
	// Triggers limits the rule to these triggers; empty means all.
	Triggers []string
	// Tags are added to the answer by a matching tag rule.
	Tags []string
	// Inject holds the response keys a matching tag rule sets, in file order.
	Inject []Inject
	// Confidence is reported to the Moderation Custom API (0-1, default 1).
	Confidence float64
	// Strike, when set, records a strike each time the rule decides a
	// message (enforce mode, matched, drop or tag).
	Strike *Strike
	// When is the expression source, Program its compiled form.
	When    string
	Program *vm.Program
	// Fast is Program compiled to Go closures, when every node of the
	// condition has a fast form (fast.go); nil otherwise. The engine
	// runs it through its rule set's Plan (Env.MatchStep).
	Fast func(*Env) (bool, error) `yaml:"-"`
	// Shared is 1 + the slot of the rule's condition among the
	// conditions that rules share word for word over lists of the same
	// entries (in one file or several), evaluated once per message; 0 if
	// no other rule has it.
	Shared    int
	shareable bool   // Fast may be shared (no stateful call)
	shareKey  string // the condition and the entries of its lists

	// Index is the rule's position in RuleSet.Rules, for per-rule tables.
	Index int

	// File and Line locate the rule for logs and error messages.
	File string
	Line int
}

// Inject is one response key of a tag rule and the expression giving its value.
type Inject struct {
	Key     string
	Expr    string
	Program *vm.Program
}

// AppliesTo reports whether the rule runs for trigger.
func (r *Rule) AppliesTo(trigger string) bool {
	return len(r.Triggers) == 0 || slices.Contains(r.Triggers, trigger)
}

// RuleSet is a loaded, compiled set of rule files. It is never modified after
// Load returns, so it can be shared by any number of goroutines and swapped
// as a whole on reload.
type RuleSet struct {
	// Rules are the enabled rules in evaluation order.
	Rules []*Rule
	// Files are the rule files loaded, in order; ListFiles the list files
	// they refer to. Together they are everything a reload must watch.
	Files     []string
	ListFiles []string
	// Lists counts the named lists across all files.
	Lists int
	// Disabled counts rules skipped with enabled: false.
	Disabled int
	// NeedsPayload is true when some expression refers to payload, the only
	// part of the environment that needs a second decoding pass.
	NeedsPayload bool
	// State holds the rate, distinct and strikes calls of the enabled
	// rules, in rule order; the engine counts them before the first rule
	// runs. Stateful is true when State is not empty or a rule records
	// strikes: only then does a message cost the state store anything.
	State    []*StateCall
	Stateful bool
	// Tests are the tests: sections of the loaded files, for modgate test.
	Tests []TestSource
	// EmptyOnPurpose is set when every file says rules: [], the one way to
	// serve no rules that a reload accepts (see SPEC §12).
	EmptyOnPurpose bool

	// plans are the rules by trigger, packed for the engine (Plan).
	plans *plans
}

// TestSource is the undecoded tests: section of one file; the rule test
// runner (package ruletest) decodes it.
type TestSource struct {
	File string
	Node *yaml.Node
	// RulesFiles, set by a file holding only tests, names the rule files
	// its tests run against, resolved against the file's directory.
	RulesFiles []string
}

// Error is one problem in a rule file, printed as
// FILE:LINE:COL: rule "ID": message.
type Error struct {
	File   string
	Line   int
	Column int
	// Rule is the id of the rule the problem is in, if any.
	Rule string
	Err  error
}

func (e *Error) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %q: %v", pos, e.Rule, e.Err)
	}
	return fmt.Sprintf("%s: %v", pos, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errors flattens an error returned by Load into its positioned parts, for
// printing one a line.
func Errors(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, Errors(e)...)
		}
		return out
	}
	return []error{err}
}
