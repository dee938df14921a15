package rules

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// StateKind is the stateful function a StateCall stands for (SPEC §10).
type StateKind uint8

// The stateful functions.
const (
	// StateRate is rate(key, window): messages under key within window.
	StateRate StateKind = iota + 1
	// StateDistinct is distinct(key, value, window): distinct values.
	StateDistinct
	// StateStrikes is strikes(key): unexpired strikes under key.
	StateStrikes
)

var stateFuncs = map[string]StateKind{"rate": StateRate, "distinct": StateDistinct, "strikes": StateStrikes}

// StateCall is one call of rate, distinct or strikes in a rule, lifted out
// of the rule's expression at load: the engine computes its key (and
// value) and asks the store for every call of the rule set at once, before
// the first rule runs, so that counting does not depend on which rule
// decides first. In the rule's program the call reads the result the engine
// handed the environment (Env.SetState), by its index in RuleSet.State.
type StateCall struct {
	Kind StateKind
	// Key, and Value for distinct, are string expressions of the message.
	Key, Value *vm.Program
	// KeyFast and ValueFast are Key and Value on the fast path (fast.go),
	// when every node of theirs has a fast form; nil otherwise.
	KeyFast, ValueFast func(*Env) (string, error) `yaml:"-"`
	// Window is the literal window of rate and distinct.
	Window time.Duration
	// Rule is the rule the call is in: it counts when the rule applies.
	Rule *Rule
}

// Strike is a rule's strike: when the rule decides a message, a strike is
// recorded under Key for For.
type Strike struct {
	Key *vm.Program
	// KeySource is Key as written, for messages.
	KeySource string
	For       time.Duration
}

// CountsOn reports whether the rule's rate and distinct calls count a
// message of trigger, rather than only read the counts. A rule that names
// its triggers counts on those; one that does not counts on the two
// interception paths only, since the same message arrives again as
// after_message or message_sent (SPEC §10 item 2).
func (r *Rule) CountsOn(trigger string) bool {
	if len(r.Triggers) > 0 {
		return slices.Contains(r.Triggers, trigger)
	}
	return trigger == "before_message" || trigger == "moderation_api"
}

// StateValue is the result of one StateCall for the message being
// evaluated: a count, or the store's failure.
type StateValue struct {
	N   int
	Err error
}

// SetState hands the environment the results of the rule set's state
// calls, indexed like RuleSet.State; the engine calls it before the rules
// run. The slice stays the caller's.
func (e *Env) SetState(v []StateValue) { e.state = v }

// errNoState is what a stateful function answers when the engine did not
// count for it, which only an evaluator without a store does.
var errNoState = errors.New("no state store: rate, distinct and strikes need one")

func stateValue(env *Env, slot int) (int, error) {
	if slot < 0 || slot >= len(env.state) {
		return 0, errNoState
	}
	v := env.state[slot]
	return v.N, v.Err
}

// stateGet is the function the compiler puts in place of each stateful
// call: state$get($env, SLOT).
const stateGet = "state$get"

func init() {
	functions = append(functions,
		// rate, distinct and strikes are declared for the type checker;
		// the compiler always replaces them with state$get.
		expr.Function("rate", func(...any) (any, error) { return 0, errNoState }, new(func(string, string) int)),
		expr.Function("distinct", func(...any) (any, error) { return 0, errNoState }, new(func(string, string, string) int)),
		expr.Function("strikes", func(...any) (any, error) { return 0, errNoState }, new(func(string) int)),
		expr.Function(stateGet, func(p ...any) (any, error) { return stateValue(p[0].(*Env), p[1].(int)) }, new(func(*Env, int) int)),
	)
}

// envNames are the names an expression of the message alone may use.
var envNames = func() map[string]bool {
	m := map[string]bool{"$env": true}
	t := reflect.TypeFor[Env]()
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" && tag != "-" {
			m[tag] = true
		}
	}
	return m
}()

// liftState finds the stateful calls of one expression, checks them and
// compiles their keys, values and windows. It appends them to the rule
// set's table and returns the slots the patcher puts in their place, in
// the order ast.Walk meets the calls.
func (c *compiler) liftState(n *yaml.Node, id, what string) ([]int, error) {
	if !strings.Contains(n.Value, "rate") && !strings.Contains(n.Value, "distinct") && !strings.Contains(n.Value, "strikes") {
		return nil, nil
	}
	tree, err := exprparser.Parse(n.Value)
	if err != nil {
		return nil, c.exprError(n, id, what, err)
	}
	f := &stateFinder{vars: map[string]bool{}}
	ast.Walk(&tree.Node, f)
	var slots []int
	var errs []error
	at := func(node ast.Node, format string, args ...any) {
		errs = append(errs, c.exprError(n, id, what, &file.Error{Location: node.Location(), Message: fmt.Sprintf(format, args...)}))
	}
	for _, call := range f.calls {
		kind := stateFuncs[call.Callee.(*ast.IdentifierNode).Value]
		name := call.Callee.(*ast.IdentifierNode).Value
		sc := &StateCall{Kind: kind, Rule: c.current}
		args := call.Arguments
		if kind != StateStrikes {
			w := args[len(args)-1]
			s, ok := w.(*ast.StringNode)
			d, perr := time.ParseDuration(strings.TrimSpace(stringValue(s)))
			switch {
			case !ok:
				at(w, "%s: the window must be a literal duration such as \"30s\", \"10m\" or \"24h\", not an expression", name)
			case perr != nil || d <= 0:
				at(w, "%s: window %q is not a duration above zero (e.g. \"30s\", \"10m\", \"24h\")", name, s.Value)
			}
			sc.Window = d
			args = args[:len(args)-1]
		}
		for i, a := range args {
			argName := "key"
			if i == 1 {
				argName = "value"
			}
			if bad := f.closure(a); bad != nil {
				at(bad.node, "%s: the %s uses %s, which exists only inside the expression; a %s may use only the message (trigger, message, sender, receiver, text, ...), so that it can be counted before the rules run",
					name, argName, bad.what, argName)
				continue
			}
			prog, err := c.compileString(n, id, what, a)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if i == 0 {
				sc.Key, sc.KeyFast = prog, compileFastString(prog)
			} else {
				sc.Value, sc.ValueFast = prog, compileFastString(prog)
			}
		}
		if c.state != nil {
			slots = append(slots, len(*c.state))
			*c.state = append(*c.state, sc)
		} else {
			slots = append(slots, -1)
		}
	}
	return slots, errors.Join(errs...)
}

func stringValue(s *ast.StringNode) string {
	if s == nil {
		return ""
	}
	return s.Value
}

// compileString compiles a sub-expression of n (a state call's key or
// value) on its own, as a string expression of the message.
func (c *compiler) compileString(n *yaml.Node, id, what string, a ast.Node) (*vm.Program, error) {
	src := a.String()
	lp := &listPatcher{lists: c.lists, consts: map[*ast.ConstantNode]*list{}}
	opts := append([]expr.Option{expr.Env(Env{}), expr.AsKind(reflect.String)}, functions...)
	if _, err := expr.Compile(src, opts...); err != nil {
		return nil, c.exprError(n, id, what, c.shift(err, a))
	}
	prog, err := expr.Compile(src, append(opts, expr.Patch(lp))...)
	lp.check()
	if lp.err != nil {
		err = lp.err
	}
	if err != nil {
		return nil, c.exprError(n, id, what, c.shift(err, a))
	}
	if lp.usesPayload {
		c.usesPayload = true
	}
	return prog, nil
}

// shift positions an error of a sub-expression compiled alone at the
// sub-expression's place in the whole one.
func (c *compiler) shift(err error, a ast.Node) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if strings.Contains(msg, "expected string") || strings.Contains(msg, "expected type string") {
			msg = "a key or value must be a string (use string(x) to convert)"
		}
		return &file.Error{Location: a.Location(), Message: msg}
	}
	return err
}

// stateFinder collects the stateful calls of an expression and the names
// its let declarations introduce.
type stateFinder struct {
	calls []*ast.CallNode
	vars  map[string]bool
}

func (f *stateFinder) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && stateFuncs[id.Value] != 0 {
			f.calls = append(f.calls, n)
		}
	case *ast.VariableDeclaratorNode:
		f.vars[n.Name] = true
	}
}

type closureUse struct {
	node ast.Node
	what string
}

// closure returns the first use in a of something that exists only while
// the expression runs: the closure variables #, #index, #acc (and the
// .field shorthand), a let variable, or another stateful call.
func (f *stateFinder) closure(a ast.Node) *closureUse {
	v := &closureVisitor{vars: f.vars}
	ast.Walk(&a, v)
	return v.found
}

type closureVisitor struct {
	vars  map[string]bool
	found *closureUse
}

func (v *closureVisitor) Visit(node *ast.Node) {
	if v.found != nil {
		return
	}
	switch n := (*node).(type) {
	case *ast.PointerNode:
		name := "#"
		if n.Name != "" {
			name += n.Name
		}
		v.found = &closureUse{n, "the closure variable " + name}
	case *ast.IdentifierNode:
		if v.vars[n.Value] && !envNames[n.Value] {
			v.found = &closureUse{n, "the variable " + n.Value}
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && stateFuncs[id.Value] != 0 {
			v.found = &closureUse{n, "another " + id.Value + " call"}
		}
	}
}

// parseDurationNode reads a literal duration above zero.
func parseDurationNode(n *yaml.Node) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	return d, err == nil && d > 0
}

// strike compiles a rule's strike key: a string expression of the message,
// like the keys of the stateful functions.
func (c *compiler) strike(id string, st *strikeSpec, r *Rule) error {
	tree, err := exprparser.Parse(st.key.Value)
	if err != nil {
		return c.exprError(st.key, id, "strike key", err)
	}
	f := &stateFinder{vars: map[string]bool{}}
	ast.Walk(&tree.Node, f)
	if bad := f.closure(tree.Node); bad != nil {
		return c.exprError(st.key, id, "strike key", &file.Error{Location: bad.node.Location(),
			Message: "the key uses " + bad.what + "; a strike key may use only the message, such as sender.uid"})
	}
	prog, err := c.compileString(st.key, id, "strike key", tree.Node)
	if err != nil {
		return err
	}
	r.Strike = &Strike{Key: prog, KeySource: st.key.Value, For: st.dur}
	return nil
}
