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
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/modgate/modgate/engine"
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
	e := engine.New(engine.OnErrorPass)
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
// differs from what the case expects.
func (c *Case) Check(e *engine.Engine, rs *rules.RuleSet) []string {
	var res engine.Result
	e.Evaluate(context.Background(), rs, c.Env, &res)
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

var caseKeys = []string{"name", "trigger", "message", "payload", "context", "expect", "tags", "rules"}

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
	fail := func(at *yaml.Node, format string, args ...any) error {
		name := ""
		if nn := valueOf(n, "name"); nn != nil {
			name = nn.Value
		}
		msg := fmt.Sprintf(format, args...)
		if name != "" {
			msg = fmt.Sprintf("test %q: %s", name, msg)
		}
		return &rules.Error{File: file, Line: at.Line, Column: at.Column, Err: errors.New(msg)}
	}
	if n.Kind != yaml.MappingNode {
		return nil, fail(n, "a test case must be a mapping")
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(caseKeys, k.Value) {
			return nil, fail(k, "unknown key %q (want %s)", k.Value, strings.Join(caseKeys, ", "))
		}
	}
	c := &Case{File: file, Line: n.Line, Env: &rules.Env{}}
	if v := valueOf(n, "name"); v != nil {
		c.Name = v.Value
	} else {
		return nil, fail(n, "a test case needs a name")
	}

	expect := valueOf(n, "expect")
	if expect == nil {
		return nil, fail(n, "expect is missing (want pass, tag or drop)")
	}
	switch expect.Value {
	case "pass":
		c.Expect = engine.Pass
	case "tag":
		c.Expect = engine.Tag
	case "drop":
		c.Expect = engine.Drop
	default:
		return nil, fail(expect, "expect must be pass, tag or drop, got %q", expect.Value)
	}
	for _, key := range []string{"tags", "rules"} {
		v := valueOf(n, key)
		if v == nil {
			continue
		}
		var xs []string
		if err := v.Decode(&xs); err != nil {
			return nil, fail(v, "%s must be a list of strings", key)
		}
		if xs == nil {
			xs = []string{}
		}
		if key == "tags" {
			c.Tags = xs
		} else {
			c.Rules = xs
		}
	}

	msg, payload := valueOf(n, "message"), valueOf(n, "payload")
	switch {
	case msg != nil && payload != nil:
		return nil, fail(payload, "give message or payload, not both")
	case payload != nil:
		if err := decodePayload(payload, c.Env); err != nil {
			return nil, fail(payload, "payload: %v", err)
		}
	case msg != nil:
		if err := strictDecode(msg, c.Env); err != nil {
			return nil, fail(msg, "message: %v", err)
		}
	default:
		return nil, fail(n, "a test case needs a message or a payload")
	}
	if v := valueOf(n, "trigger"); v != nil {
		c.Env.Trigger = v.Value
	}
	if c.Env.Trigger == "" {
		c.Env.Trigger = "before_message"
	}
	if v := valueOf(n, "context"); v != nil {
		if err := strictDecode(v, &c.Env.Context); err != nil {
			return nil, fail(v, "context: %v", err)
		}
	}
	if payload == nil {
		fillIn(c.Env)
	}
	return c, nil
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
