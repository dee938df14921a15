// Package ruletest runs the tests: sections of rule files (SPEC §8), so
// operators can unit-test rules before shipping them:
//
//	tests:
//	  - name: links in groups are tagged
//	    trigger: before_message          # default before_message
//	    message:                         # environment fields, or payload: a whole request
//	      text: "see https://example.com"
//	      receiver: {entityType: group}
//	    expect: tag                      # pass | tag | drop
//	    tags: [link]                     # optional: exactly these tags
//	    rules: [tag-links]               # optional: these rules must match (shadow ones included)
//
// A case may instead play a sequence of messages against a fresh memory
// state store on a fake clock, for rules that count (SPEC §10):
//
//   - name: the 21st message in a minute is dropped
//     sequence:
//   - message: {text: hi, sender: {uid: u1}}
//     repeat: 20                   # the same message 20 times, each a new message
//     every: 1s                    # the clock advances between repeats
//     expect: pass
//   - message: {text: hi, sender: {uid: u1}}
//     expect: drop
//     rules: [flood]
//   - after: 2m                    # the clock advances before the step
//     message: {text: hi again, sender: {uid: u1}}
//     expect: pass
//
// The tests of a rule file run against that file's rules. A file holding only
// tests names the rule files they run against with rules_files.
package ruletest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/engine/state"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server/cometchat"
)

// Case is one decoded test case.
type Case struct {
	File string
	Line int
	Name string
	// Env is the message as the rules see it.
	Env *rules.Env
	// Expect is the verdict the case expects.
	Expect engine.Verdict
	// Tags, when not nil, are exactly the tags expected.
	Tags []string
	// Rules, when not nil, must all match.
	Rules []string
	// Steps, when not nil, make the case a sequence: Env and the
	// expectations above are then unused.
	Steps []*Step
}

// Step is one step of a sequence: a message played Repeat times, Every
// apart, After the clock has moved on from the step before.
type Step struct {
	Line   int
	Env    *rules.Env
	Expect engine.Verdict
	Tags   []string
	Rules  []string
	Repeat int
	Every  time.Duration
	After  time.Duration
}

// Summary counts the outcome of a run.
type Summary struct {
	Passed, Failed int
}

func (s Summary) String() string { return fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed) }

// Run loads each file, runs its tests, writes one line per failing case (or
// per problem that kept a file's tests from running) to w, and returns the
// counts. A file that cannot be loaded counts as one failure.
func Run(paths []string, w io.Writer) Summary {
	var sum Summary
	for _, path := range paths {
		rs, err := rules.Load([]string{path})
		if err != nil {
			printErrors(w, err)
			sum.Failed++
			continue
		}
		if len(rs.Tests) == 0 {
			fmt.Fprintf(w, "%s: no tests\n", path)
			continue
		}
		for _, src := range rs.Tests {
			target := rs
			if len(src.RulesFiles) > 0 {
				if target, err = rules.Load(src.RulesFiles); err != nil {
					printErrors(w, err)
					sum.Failed++
					continue
				}
			}
			cases, errs := Decode(src)
			for _, err := range errs {
				fmt.Fprintln(w, err)
				sum.Failed++
			}
			for _, c := range cases {
				// Each case counts in a store of its own: a case must not
				// depend on the cases before it.
				e := engine.New(engine.OnErrorPass)
				if problems := c.Check(e, target); len(problems) > 0 {
					fmt.Fprintf(w, "%s:%d: test %q: %s\n", c.File, c.Line, c.Name, strings.Join(problems, "; "))
					sum.Failed++
				} else {
					sum.Passed++
				}
			}
		}
	}
	return sum
}

func printErrors(w io.Writer, err error) {
	for _, e := range rules.Errors(err) {
		fmt.Fprintln(w, e)
	}
}

// Check evaluates the case against rs and describes every way the outcome
// differs from what the case expects. A sequence runs against a fresh
// memory store on a fake clock, whatever store e has.
func (c *Case) Check(e *engine.Engine, rs *rules.RuleSet) []string {
	if c.Steps != nil {
		return c.checkSequence(rs)
	}
	return check(e, rs, c.Env, c.Expect, c.Tags, c.Rules)
}

// epoch is where the fake clock of a sequence starts.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *Case) checkSequence(rs *rules.RuleSet) []string {
	now := epoch
	clock := func() time.Time { return now }
	e := engine.New(engine.OnErrorPass, engine.WithStore(state.NewGuard(state.NewMemory(0, clock), state.GuardOptions{Now: clock})))
	for i, st := range c.Steps {
		now = now.Add(st.After)
		for n := range st.Repeat {
			if n > 0 {
				now = now.Add(st.Every)
			}
			env := *st.Env
			if env.Message.MUID != "" && st.Repeat > 1 {
				// Each repeat is a new message, with an identity of its own.
				env.Message.MUID += "#" + strconv.Itoa(n+1)
			}
			if problems := check(e, rs, &env, st.Expect, st.Tags, st.Rules); len(problems) > 0 {
				at := fmt.Sprintf("step %d (line %d)", i+1, st.Line)
				if st.Repeat > 1 {
					at += fmt.Sprintf(", message %d of %d", n+1, st.Repeat)
				}
				return []string{at + ": " + strings.Join(problems, "; ")}
			}
		}
	}
	return nil
}

func check(e *engine.Engine, rs *rules.RuleSet, env *rules.Env, expect engine.Verdict, tags, ruleIDs []string) []string {
	var res engine.Result
	e.Evaluate(context.Background(), rs, env, &res)
	c := struct {
		Expect engine.Verdict
		Tags   []string
		Rules  []string
	}{expect, tags, ruleIDs}
	var problems []string
	matched := make([]string, len(res.Matched))
	for i, r := range res.Matched {
		matched[i] = r.ID
	}
	if res.Verdict != c.Expect {
		problems = append(problems, fmt.Sprintf("expected %s, got %s (matched: %s)", c.Expect, res.Verdict, list(matched)))
	}
	if c.Tags != nil {
		want, got := slices.Clone(c.Tags), slices.Clone(res.Tags)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			problems = append(problems, fmt.Sprintf("expected tags %s, got %s", list(c.Tags), list(res.Tags)))
		}
	}
	for _, id := range c.Rules {
		if !slices.Contains(matched, id) {
			problems = append(problems, fmt.Sprintf("expected rule %s to match, matched: %s", id, list(matched)))
		}
	}
	for _, re := range res.Errors {
		problems = append(problems, fmt.Sprintf("rule %s failed: %v", re.Rule.ID, re.Err))
	}
	return problems
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return "[" + strings.Join(xs, ", ") + "]"
}

var (
	caseKeys     = []string{"name", "trigger", "message", "payload", "context", "expect", "tags", "rules", "sequence"}
	stepKeys     = []string{"trigger", "message", "payload", "context", "expect", "tags", "rules", "repeat", "every", "after"}
	sequenceKeys = []string{"name", "sequence"}
)

// Decode reads the test cases of one tests: section. Cases with problems are
// reported, positioned, and left out.
func Decode(src rules.TestSource) ([]*Case, []error) {
	n := src.Node
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, []error{&rules.Error{File: src.File, Line: n.Line, Column: n.Column, Err: errors.New("tests must be a list of test cases")}}
	}
	var cases []*Case
	var errs []error
	for _, cn := range n.Content {
		c, err := decodeCase(src.File, cn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cases = append(cases, c)
	}
	return cases, errs
}

func decodeCase(file string, n *yaml.Node) (*Case, error) {
	name := ""
	if n.Kind == yaml.MappingNode {
		if nn := valueOf(n, "name"); nn != nil {
			name = nn.Value
		}
	}
	fail := failer(file, name)
	if n.Kind != yaml.MappingNode {
		return nil, fail(n, "a test case must be a mapping")
	}
	seq := valueOf(n, "sequence")
	keys := caseKeys
	if seq != nil {
		keys = sequenceKeys
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(keys, k.Value) {
			if seq != nil && slices.Contains(caseKeys, k.Value) {
				return nil, fail(k, "%s belongs in the steps of a sequence", k.Value)
			}
			return nil, fail(k, "unknown key %q (want %s)", k.Value, strings.Join(keys, ", "))
		}
	}
	c := &Case{File: file, Line: n.Line, Env: &rules.Env{}, Name: name}
	if valueOf(n, "name") == nil {
		return nil, fail(n, "a test case needs a name")
	}
	if seq != nil {
		if seq.Kind != yaml.SequenceNode || len(seq.Content) == 0 {
			return nil, fail(seq, "sequence must be a list of steps")
		}
		c.Steps = []*Step{}
		for _, sn := range seq.Content {
			st, err := decodeStep(fail, sn)
			if err != nil {
				return nil, err
			}
			c.Steps = append(c.Steps, st)
		}
		return c, nil
	}
	var err error
	if c.Expect, c.Tags, c.Rules, err = decodeExpect(fail, n); err != nil {
		return nil, err
	}
	if err := decodeMessage(fail, n, c.Env); err != nil {
		return nil, err
	}
	return c, nil
}

type failFunc func(at *yaml.Node, format string, args ...any) error

func failer(file, name string) failFunc {
	return func(at *yaml.Node, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if name != "" {
			msg = fmt.Sprintf("test %q: %s", name, msg)
		}
		return &rules.Error{File: file, Line: at.Line, Column: at.Column, Err: errors.New(msg)}
	}
}

func decodeStep(fail failFunc, n *yaml.Node) (*Step, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fail(n, "a step must be a mapping")
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(stepKeys, k.Value) {
			return nil, fail(k, "step: unknown key %q (want %s)", k.Value, strings.Join(stepKeys, ", "))
		}
	}
	st := &Step{Line: n.Line, Env: &rules.Env{}, Repeat: 1}
	var err error
	if st.Expect, st.Tags, st.Rules, err = decodeExpect(fail, n); err != nil {
		return nil, err
	}
	if err := decodeMessage(fail, n, st.Env); err != nil {
		return nil, err
	}
	if v := valueOf(n, "repeat"); v != nil {
		r, err := strconv.Atoi(v.Value)
		if err != nil || r < 1 || r > 100_000 {
			return nil, fail(v, "repeat must be a whole number from 1 to 100000, got %q", v.Value)
		}
		st.Repeat = r
	}
	for _, key := range []string{"every", "after"} {
		v := valueOf(n, key)
		if v == nil {
			continue
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil || d < 0 {
			return nil, fail(v, "%s must be a duration such as 1s or 2m, got %q", key, v.Value)
		}
		if key == "every" {
			st.Every = d
		} else {
			st.After = d
		}
	}
	return st, nil
}

// decodeExpect reads expect, tags and rules.
func decodeExpect(fail failFunc, n *yaml.Node) (verdict engine.Verdict, tags, ruleIDs []string, err error) {
	expect := valueOf(n, "expect")
	if expect == nil {
		return 0, nil, nil, fail(n, "expect is missing (want pass, tag or drop)")
	}
	switch expect.Value {
	case "pass":
		verdict = engine.Pass
	case "tag":
		verdict = engine.Tag
	case "drop":
		verdict = engine.Drop
	default:
		return 0, nil, nil, fail(expect, "expect must be pass, tag or drop, got %q", expect.Value)
	}
	for _, key := range []string{"tags", "rules"} {
		v := valueOf(n, key)
		if v == nil {
			continue
		}
		var xs []string
		if err := v.Decode(&xs); err != nil {
			return 0, nil, nil, fail(v, "%s must be a list of strings", key)
		}
		if xs == nil {
			xs = []string{}
		}
		if key == "tags" {
			tags = xs
		} else {
			ruleIDs = xs
		}
	}
	return verdict, tags, ruleIDs, nil
}

// decodeMessage reads message or payload, trigger and context into env.
func decodeMessage(fail failFunc, n *yaml.Node, env *rules.Env) error {
	msg, payload := valueOf(n, "message"), valueOf(n, "payload")
	switch {
	case msg != nil && payload != nil:
		return fail(payload, "give message or payload, not both")
	case payload != nil:
		if err := decodePayload(payload, env); err != nil {
			return fail(payload, "payload: %v", err)
		}
	case msg != nil:
		if err := strictDecode(msg, env); err != nil {
			return fail(msg, "message: %v", err)
		}
	default:
		return fail(n, "a test case needs a message or a payload")
	}
	if v := valueOf(n, "trigger"); v != nil {
		env.Trigger = v.Value
	}
	if env.Trigger == "" {
		env.Trigger = "before_message"
	}
	if v := valueOf(n, "context"); v != nil {
		if err := strictDecode(v, &env.Context); err != nil {
			return fail(v, "context: %v", err)
		}
	}
	if payload == nil {
		fillIn(env)
	}
	return nil
}

// fillIn completes an environment written by hand the way the CometChat
// decoder completes a real one: text and message.text are the same, and the
// sender's and receiver's uids and types agree with the message's.
func fillIn(env *rules.Env) {
	m := &env.Message
	switch {
	case env.Text == "":
		env.Text = m.Text
	case m.Text == "":
		m.Text = env.Text
	}
	if env.Sender.UID == "" {
		env.Sender.UID = m.Sender
	} else if m.Sender == "" {
		m.Sender = env.Sender.UID
	}
	if env.Receiver.UID == "" {
		env.Receiver.UID = m.Receiver
	} else if m.Receiver == "" {
		m.Receiver = env.Receiver.UID
	}
	if env.Receiver.EntityType == "" {
		env.Receiver.EntityType = m.ReceiverType
	} else if m.ReceiverType == "" {
		m.ReceiverType = env.Receiver.EntityType
	}
}

// strictDecode decodes n into v, refusing unknown fields: sender: {rol: x}
// in a test is as much a mistake as sender.rol in a rule.
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				// Lines are counted within the snippet; the position of the
				// case already points at it.
				if _, after, ok := strings.Cut(m, ": "); ok && strings.HasPrefix(m, "line ") {
					m = after
				}
				msgs[i] = m
			}
			return errors.New(strings.Join(msgs, "; "))
		}
		return err
	}
	return nil
}

// decodePayload decodes a whole request written in YAML, as CometChat would
// send it: a webhook envelope, or a Moderation Custom API request when it
// has contextMessages.
func decodePayload(n *yaml.Node, env *rules.Env) error {
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if m, ok := v.(map[string]any); ok {
		if _, ok := m["contextMessages"]; ok {
			return cometchat.DecodeModeration(body, env, true)
		}
	}
	return cometchat.DecodeWebhook(body, env, true)
}

func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
