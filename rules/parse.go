package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ruleFile is one rule file as written, before compilation. It keeps the
// YAML nodes that later steps need for positioned errors.
type ruleFile struct {
	path  string
	src   []byte
	lists []listSpec
	rules []ruleSpec
	tests *yaml.Node
	// rulesFiles is set by a tests-only file naming the rule files it tests.
	rulesFiles []string
	// emptyOnPurpose is set by rules: [], a file that says it holds no rules.
	emptyOnPurpose bool
}

type listSpec struct {
	name    string
	node    *yaml.Node // the list's key, for errors about the list as a whole
	entries []string   // inline entries
	file    string     // or a list file, relative to the rule file
	fileAt  *yaml.Node
	seq     *yaml.Node // the inline sequence, for errors about one entry
}

type ruleSpec struct {
	node        *yaml.Node
	id          string
	description string
	when        *yaml.Node
	action      Action
	mode        Mode
	enabled     bool
	triggers    []string
	tags        []string
	inject      []injectSpec
	confidence  float64
	strike      *strikeSpec
	hasTags     bool
	// valid is false when the rule has problems of its own; its expressions
	// are still compiled, to report their problems too.
	valid bool
}

// strikeSpec is a rule's strike: {key: EXPR, for: DURATION}.
type strikeSpec struct {
	key *yaml.Node
	dur time.Duration
}

type injectSpec struct {
	key  string
	node *yaml.Node // the value: an expression
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// parser collects every problem of one file instead of stopping at the first.
type parser struct {
	path string
	errs []error
	// resolving and resolved track resolveAliases' walk.
	resolving, resolved map[*yaml.Node]bool
}

func (p *parser) errorf(n *yaml.Node, rule, format string, args ...any) {
	e := &Error{File: p.path, Rule: rule, Err: fmt.Errorf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// parseFile decodes one rule file. It returns what it could read along with
// every error, so that later steps can still check the well-formed rules.
func parseFile(path string, src []byte) (*ruleFile, []error) {
	p := &parser{path: path}
	f := &ruleFile{path: path, src: src}

	root, errs := decodeOne(path, src)
	if errs != nil {
		return f, errs
	}
	if root == nil {
		// An editor that truncates a file before writing it, or a deploy
		// that empties it, must not silently stop moderation.
		return f, []error{&Error{File: path, Line: 1, Column: 1,
			Err: errors.New("the file holds no rules (it is empty or only comments); write rules: [] if that is intended")}}
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "a rule file must be a mapping with the keys lists, rules and tests, got %s", kindName(root))
		return f, p.errs
	}
	if !p.expandMerges(root) {
		return f, p.errs
	}
	hasRules := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "lists":
			p.resolveAliases(val)
			f.lists = p.lists(val)
		case "rules":
			hasRules = true
			p.resolveAliases(val)
			if isNull(val) {
				p.errorf(val, "", "rules is empty (a file cut short, or every rule commented out); write rules: [] if that is intended")
				continue
			}
			f.rules = p.rules(val)
			f.emptyOnPurpose = val.Kind == yaml.SequenceNode && len(val.Content) == 0
		case "tests":
			p.resolveAliases(val)
			if n := expandedSize(val, map[*yaml.Node]int{}); n > maxTestNodes {
				p.errorf(key, "", "tests: aliases expand to %d YAML nodes, more than the %d a test runner reads", n, maxTestNodes)
				continue
			}
			f.tests = val
		case "rules_files":
			f.rulesFiles = p.strings(val, "", "rules_files")
		default:
			p.errorf(key, "", "unknown key %q (want lists, rules, tests or rules_files)", key.Value)
		}
	}
	if !hasRules && f.rulesFiles == nil && len(p.errs) == 0 {
		p.errorf(root, "", "the file has no rules key; write rules: [] if it is meant to hold none")
	}
	return f, p.errs
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError positions a yaml.v3 syntax error, which carries its line only in
// its text.
func yamlError(path string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: path, Line: line, Column: 1, Err: errors.New("invalid YAML: " + m[2])}
	}
	return &Error{File: path, Err: fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

func (p *parser) lists(n *yaml.Node) []listSpec {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "lists must be a mapping of list names, got %s", kindName(n))
		return nil
	}
	var out []listSpec
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name := key.Value
		if !namePattern.MatchString(name) {
			p.errorf(key, "", "list name %q must be an identifier ([A-Za-z_][A-Za-z0-9_]*) so that lists.%s works in expressions", name, name)
			continue
		}
		if seen[name] {
			p.errorf(key, "", "list %q is defined twice", name)
			continue
		}
		seen[name] = true
		l := listSpec{name: name, node: key}
		switch val.Kind {
		case yaml.SequenceNode:
			l.entries = p.strings(val, "", "list "+strconv.Quote(name))
			l.seq = val
		case yaml.MappingNode:
			for j := 0; j+1 < len(val.Content); j += 2 {
				k, v := val.Content[j], val.Content[j+1]
				if k.Value != "file" {
					p.errorf(k, "", "list %q: unknown key %q (want file)", name, k.Value)
					continue
				}
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					p.errorf(v, "", "list %q: file must be a path", name)
					continue
				}
				l.file, l.fileAt = v.Value, v
			}
			if l.fileAt == nil {
				p.errorf(val, "", "list %q: want a list of strings or {file: PATH}", name)
				continue
			}
		default:
			p.errorf(val, "", "list %q: want a list of strings or {file: PATH}, got %s", name, kindName(val))
			continue
		}
		out = append(out, l)
	}
	return out
}

func (p *parser) rules(n *yaml.Node) []ruleSpec {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "", "rules must be a list, got %s", kindName(n))
		return nil
	}
	out := make([]ruleSpec, 0, len(n.Content))
	for _, rn := range n.Content {
		if r, ok := p.rule(rn); ok || r.id != "" {
			r.valid = ok
			out = append(out, r)
		}
	}
	return out
}

// rule decodes one rule; ok is false when it is too broken to compile.
func (p *parser) rule(n *yaml.Node) (r ruleSpec, ok bool) {
	r = ruleSpec{node: n, mode: ModeEnforce, enabled: true, confidence: 1}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "a rule must be a mapping, got %s", kindName(n))
		return r, false
	}
	// The id names the rule in every other message, so find it first.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "id" {
			r.id = n.Content[i+1].Value
		}
	}
	before := len(p.errs)
	id := r.id
	var actionNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		switch key.Value {
		case "id":
			if val.Kind != yaml.ScalarNode || !idPattern.MatchString(val.Value) {
				p.errorf(val, id, "id must match [a-z0-9][a-z0-9_-]*")
			}
		case "description":
			r.description = p.scalar(val, id, "description")
		case "when":
			if val.Kind != yaml.ScalarNode || val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
				p.errorf(val, id, "when must be an expression")
				continue
			}
			r.when = val
		case "action":
			actionNode = val
			switch a := Action(val.Value); a {
			case ActionAllow, ActionDrop, ActionTag:
				r.action = a
			default:
				p.errorf(val, id, "unknown action %q (want allow, drop or tag)", val.Value)
			}
		case "mode":
			switch m := Mode(val.Value); m {
			case ModeEnforce, ModeShadow:
				r.mode = m
			default:
				p.errorf(val, id, "unknown mode %q (want enforce or shadow)", val.Value)
			}
		case "enabled":
			if err := val.Decode(&r.enabled); err != nil || val.Kind != yaml.ScalarNode {
				p.errorf(val, id, "enabled must be true or false")
			}
		case "triggers":
			r.triggers = p.strings(val, id, "triggers")
			if val.Kind == yaml.SequenceNode && len(val.Content) == 0 {
				p.errorf(val, id, "triggers must not be empty (omit it to apply the rule to every trigger)")
			}
		case "tags":
			r.hasTags = true
			r.tags = p.strings(val, id, "tags")
			if val.Kind == yaml.SequenceNode && len(val.Content) == 0 {
				p.errorf(val, id, "tags must not be empty")
			}
		case "inject":
			r.inject = p.inject(val, id)
		case "strike":
			r.strike = p.strike(val, id)
		case "confidence":
			c, err := strconv.ParseFloat(val.Value, 64)
			if val.Kind != yaml.ScalarNode || err != nil || c < 0 || c > 1 {
				p.errorf(val, id, "confidence must be a number from 0 to 1")
				continue
			}
			r.confidence = c
		default:
			p.errorf(key, id, "unknown key %q", key.Value)
		}
	}
	switch {
	case r.id == "":
		p.errorf(n, "", "rule has no id")
	case r.when == nil && !hasKey(n, "when"):
		p.errorf(n, id, "rule has no when expression")
	}
	if actionNode == nil {
		p.errorf(n, id, "rule has no action (want allow, drop or tag)")
	}
	if r.action == ActionTag && !r.hasTags {
		p.errorf(actionNode, id, "a tag rule needs tags")
	}
	if r.strike != nil && r.action == ActionAllow {
		p.errorf(keyNode(n, "strike"), id, "strike only applies to drop and tag rules: an allow rule never decides against a sender")
	}
	if r.action != ActionTag && r.action != "" {
		if r.hasTags {
			p.errorf(keyNode(n, "tags"), id, "tags only apply to tag rules, this rule's action is %s", r.action)
		}
		if r.inject != nil {
			p.errorf(keyNode(n, "inject"), id, "inject only applies to tag rules, this rule's action is %s", r.action)
		}
	}
	return r, len(p.errs) == before
}

// strike decodes strike: {key: EXPR, for: DURATION}.
func (p *parser) strike(n *yaml.Node, id string) *strikeSpec {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, id, "strike must be a mapping {key: EXPRESSION, for: DURATION}, got %s", kindName(n))
		return nil
	}
	s := &strikeSpec{}
	var forNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		switch key.Value {
		case "key":
			if val.Kind != yaml.ScalarNode || val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
				p.errorf(val, id, "strike: key must be an expression, such as sender.uid")
				continue
			}
			s.key = val
		case "for":
			forNode = val
			d, ok := parseDurationNode(val)
			if !ok {
				p.errorf(val, id, "strike: for must be a duration above zero, such as 24h or 30m, got %s", kindName(val))
				continue
			}
			s.dur = d
		default:
			p.errorf(key, id, "strike: unknown key %q (want key and for)", key.Value)
		}
	}
	if s.key == nil && !hasKey(n, "key") {
		p.errorf(n, id, "strike: key is missing (the expression strikes are counted under, such as sender.uid)")
	}
	if forNode == nil {
		p.errorf(n, id, "strike: for is missing (how long a strike lasts, such as 24h)")
	}
	return s
}

func (p *parser) inject(n *yaml.Node, id string) []injectSpec {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, id, "inject must be a mapping of response keys to expressions, got %s", kindName(n))
		return nil
	}
	out := []injectSpec{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		switch key.Value {
		case "":
			p.errorf(key, id, "inject: a response key must not be empty")
			continue
		case "tags":
			p.errorf(key, id, "inject: the key tags is reserved for the rule's tags")
			continue
		case "action":
			// CometChat reads "action" as its drop instruction; a tag rule
			// must never be able to drop a message by accident.
			p.errorf(key, id, "inject: the key action is reserved (CometChat reads it as the drop instruction)")
			continue
		}
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
			p.errorf(val, id, "inject: %s must be an expression", key.Value)
			continue
		}
		out = append(out, injectSpec{key: key.Value, node: val})
	}
	return out
}

func (p *parser) scalar(n *yaml.Node, id, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, id, "%s must be a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) strings(n *yaml.Node, id, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, id, "%s must be a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" || c.Value == "" {
			p.errorf(c, id, "%s: entries must be non-empty strings, got %s", what, kindName(c))
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func hasKey(n *yaml.Node, key string) bool { return keyNode(n, key) != nil }

func keyNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}
