package rules

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"

	"github.com/modgate/modgate/rules/textfn"
)

// The fast path: a condition whose every node is of a shape below is
// compiled, once at load, into Go closures over *Env, which read fields at
// fixed offsets and pass strings, ints and booleans unboxed. expr's VM
// loads each field by reflection, boxes every value it pushes and calls
// functions through []any, which made it most of a message's cost at 100
// rules. A condition with any other node runs on the VM, as before: the
// fast path is an optimization of what the VM computes, never a second
// dialect, and TestFastAgreesWithVM checks the two agree on every example
// rule and fixture.
//
// The closures are compiled from the program's final tree, after the list,
// memo and bound patches and expr's optimizer, so they call the same
// functions, charge the same budget and tick in the same loops as the VM.

// noFast turns the fast path off (MODGATE_FAST=off), for measuring it and
// for ruling it out when a verdict looks wrong.
var noFast = os.Getenv("MODGATE_FAST") == "off"

// maxLoopDepth is how many loops may nest in a fast condition.
const maxLoopDepth = 4

// fastFn is one compiled node. Exactly one of its functions is set, by the
// node's type.
type fastFn struct {
	b  func(*Env) (bool, error)
	s  func(*Env) (string, error)
	i  func(*Env) (int, error)
	ss func(*Env) ([]string, error) // []string
	a  func(*Env) (any, error)      // any other type, boxed
	// konst is the value of a literal, boxed once at load, so that
	// boxed need not box it again for every message.
	konst   any
	isConst bool
}

// constant returns f as the literal v.
func (f fastFn) constant(v any) fastFn {
	f.konst, f.isConst = v, true
	return f
}

// boxed returns f as a function of any result.
func (f fastFn) boxed() func(*Env) (any, error) {
	switch {
	case f.isConst:
		v := f.konst
		return func(*Env) (any, error) { return v, nil }
	case f.a != nil:
		return f.a
	case f.b != nil:
		g := f.b
		return func(e *Env) (any, error) { return g(e) }
	case f.s != nil:
		g := f.s
		return func(e *Env) (any, error) { return g(e) }
	case f.i != nil:
		g := f.i
		return func(e *Env) (any, error) { return g(e) }
	case f.ss != nil:
		g := f.ss
		return func(e *Env) (any, error) { return g(e) }
	}
	return nil
}

// errNotFast ends the compilation of a condition the fast path does not
// cover.
type errNotFast struct{ node ast.Node }

func (e errNotFast) Error() string { return fmt.Sprintf("not on the fast path: %T", e.node) }

// compileFast compiles prog's condition, or returns nil if a node of it is
// not covered. shareable reports whether rules with the same condition
// may share its result.
func compileFast(prog *vm.Program) (fn func(*Env) (bool, error), shareable bool) {
	if prog == nil {
		return nil, false
	}
	fc := &fastCompiler{}
	f, err := fc.node(prog.Node())
	if err != nil || f.b == nil {
		return nil, false
	}
	return f.b, !fc.stateful
}

// compileFastString compiles prog, a string expression of the message (a
// state call's key or value), or returns nil if a node of it is not
// covered.
func compileFastString(prog *vm.Program) func(*Env) (string, error) {
	if prog == nil || noFast {
		return nil
	}
	fc := &fastCompiler{}
	f, err := fc.node(prog.Node())
	if err != nil || f.s == nil || fc.stateful {
		return nil
	}
	return f.s
}

type fastCompiler struct {
	depth int // loops around the node being compiled
	// stateful is set once the condition reads a stateful call's result:
	// two such rules count separately, so they never share a result.
	stateful bool
}

// envField describes one field of Env the expressions can name.
type envField struct {
	offset uintptr
	typ    reflect.Type
}

// envFields maps the paths of Env's fields (text, message.type,
// receiver.groupType) to their offsets in Env.
var envFields = func() map[string]envField {
	out := map[string]envField{}
	var walk func(t reflect.Type, prefix string, base uintptr)
	walk = func(t reflect.Type, prefix string, base uintptr) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("expr")
			if tag == "" || !sf.IsExported() {
				continue
			}
			path := prefix + tag
			out[path] = envField{offset: base + sf.Offset, typ: sf.Type}
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, path+".", base+sf.Offset)
			}
		}
	}
	walk(reflect.TypeOf(Env{}), "", 0)
	return out
}()

// fieldPath returns the path of n if it names a field of Env.
func fieldPath(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if _, ok := envFields[n.Value]; ok {
			return n.Value, true
		}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok || n.Method {
			return "", false
		}
		parent, ok := fieldPath(n.Node)
		if !ok || envFields[parent].typ.Kind() != reflect.Struct {
			return "", false
		}
		path := parent + "." + prop.Value
		if _, ok := envFields[path]; ok {
			return path, true
		}
	}
	return "", false
}

var (
	stringSliceType = reflect.TypeOf([]string(nil))
	anyMapType      = reflect.TypeOf(map[string]any(nil))
)

// field compiles a load of the Env field at path.
func (fc *fastCompiler) field(n ast.Node, path string) (fastFn, error) {
	f := envFields[path]
	off := f.offset
	switch {
	case f.typ.Kind() == reflect.String:
		return fastFn{s: func(e *Env) (string, error) { return *(*string)(unsafe.Add(unsafe.Pointer(e), off)), nil }}, nil
	case f.typ.Kind() == reflect.Int:
		return fastFn{i: func(e *Env) (int, error) { return *(*int)(unsafe.Add(unsafe.Pointer(e), off)), nil }}, nil
	case f.typ == stringSliceType:
		return fastFn{ss: func(e *Env) ([]string, error) { return *(*[]string)(unsafe.Add(unsafe.Pointer(e), off)), nil }}, nil
	case f.typ == anyMapType:
		return fastFn{a: func(e *Env) (any, error) { return *(*map[string]any)(unsafe.Add(unsafe.Pointer(e), off)), nil }}, nil
	}
	return fastFn{}, errNotFast{n}
}

// sliceLen compiles len of the slice field at path, of any element type:
// every slice header keeps its length at the same place.
func sliceLen(path string) (fastFn, bool) {
	f := envFields[path]
	if f.typ.Kind() != reflect.Slice {
		return fastFn{}, false
	}
	off := f.offset
	return fastFn{i: func(e *Env) (int, error) {
		return len(*(*[]struct{})(unsafe.Add(unsafe.Pointer(e), off))), nil
	}}, true
}

func (fc *fastCompiler) node(n ast.Node) (fastFn, error) {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return fastFn{b: func(*Env) (bool, error) { return v, nil }}.constant(v), nil
	case *ast.StringNode:
		v := n.Value
		return fastFn{s: func(*Env) (string, error) { return v, nil }}.constant(v), nil
	case *ast.IntegerNode:
		if k := kindOf(n); k != reflect.Int {
			return fastFn{}, errNotFast{n}
		}
		v := n.Value
		return fastFn{i: func(*Env) (int, error) { return v, nil }}.constant(v), nil
	case *ast.NilNode:
		return fastFn{a: func(*Env) (any, error) { return nil, nil }}.constant(nil), nil
	case *ast.ConstantNode:
		if v, ok := n.Value.([]string); ok {
			return fastFn{ss: func(*Env) ([]string, error) { return v, nil }}, nil
		}
	case *ast.IdentifierNode:
		if path, ok := fieldPath(n); ok {
			return fc.field(n, path)
		}
	case *ast.ChainNode:
		return fc.node(n.Node)
	case *ast.MemberNode:
		return fc.member(n)
	case *ast.PointerNode:
		if n.Name != "" || fc.depth == 0 || kindOf(n) != reflect.String {
			return fastFn{}, errNotFast{n}
		}
		d := fc.depth - 1
		return fastFn{s: func(e *Env) (string, error) { return e.loop[d], nil }}, nil
	case *ast.UnaryNode:
		if n.Operator == "not" || n.Operator == "!" {
			x, err := fc.node(n.Node)
			if err != nil || x.b == nil {
				return fastFn{}, errNotFast{n}
			}
			f := x.b
			return fastFn{b: func(e *Env) (bool, error) {
				v, err := f(e)
				return !v, err
			}}, nil
		}
	case *ast.BinaryNode:
		return fc.binary(n)
	case *ast.BuiltinNode:
		return fc.builtin(n)
	case *ast.CallNode:
		return fc.call(n)
	case *ast.SequenceNode:
		return fc.sequence(n)
	}
	return fastFn{}, errNotFast{n}
}

// member compiles a field of Env, or a key of one of its maps
// (message.metadata.priority, message.customData?.question): a missing key
// or a nil map is nil, optional or not, as in expr.
func (fc *fastCompiler) member(n *ast.MemberNode) (fastFn, error) {
	if path, ok := fieldPath(n); ok {
		return fc.field(n, path)
	}
	prop, ok := n.Property.(*ast.StringNode)
	if !ok || n.Method {
		return fastFn{}, errNotFast{n}
	}
	path, ok := fieldPath(n.Node)
	if !ok || envFields[path].typ != anyMapType {
		return fastFn{}, errNotFast{n}
	}
	off, key := envFields[path].offset, prop.Value
	return fastFn{a: func(e *Env) (any, error) {
		return (*(*map[string]any)(unsafe.Add(unsafe.Pointer(e), off)))[key], nil
	}}, nil
}

func (fc *fastCompiler) binary(n *ast.BinaryNode) (fastFn, error) {
	// in over a constant set: x in lists.NAME, x in ["a", "b"].
	if n.Operator == "in" {
		c, ok := n.Right.(*ast.ConstantNode)
		if !ok {
			return fastFn{}, errNotFast{n}
		}
		m, ok := c.Value.(map[string]struct{})
		l, err := fc.node(n.Left)
		if !ok || err != nil || l.s == nil {
			return fastFn{}, errNotFast{n}
		}
		x, set := l.s, newStringSet(m)
		return fastFn{b: func(e *Env) (bool, error) {
			v, err := x(e)
			return set.has(v), err
		}}, nil
	}
	if n.Operator == "matches" {
		pat, ok := n.Right.(*ast.StringNode)
		if !ok {
			return fastFn{}, errNotFast{n}
		}
		re, err := regexp.Compile(pat.Value)
		l, lerr := fc.node(n.Left)
		if err != nil || lerr != nil || l.s == nil {
			return fastFn{}, errNotFast{n}
		}
		// Every match begins with the pattern's literal prefix (http of
		// https?://): a text without it is no match, and the regexp
		// machine need not start.
		x, prefix := l.s, ""
		if p, _ := re.LiteralPrefix(); p != "" {
			prefix = p
		}
		return fastFn{b: func(e *Env) (bool, error) {
			v, err := x(e)
			if err != nil || prefix != "" && !strings.Contains(v, prefix) {
				return false, err
			}
			return re.MatchString(v), nil
		}}, nil
	}
	l, err := fc.node(n.Left)
	if err != nil {
		return fastFn{}, err
	}
	r, err := fc.node(n.Right)
	if err != nil {
		return fastFn{}, err
	}
	switch n.Operator {
	case "and", "&&", "or", "||":
		if l.b == nil || r.b == nil {
			return fastFn{}, errNotFast{n}
		}
		x, y := l.b, r.b
		if n.Operator == "and" || n.Operator == "&&" {
			return fastFn{b: func(e *Env) (bool, error) {
				if v, err := x(e); !v || err != nil {
					return false, err
				}
				return y(e)
			}}, nil
		}
		return fastFn{b: func(e *Env) (bool, error) {
			if v, err := x(e); v || err != nil {
				return v && err == nil, err
			}
			return y(e)
		}}, nil
	case "==", "!=":
		eq, ok := fc.caseCheck(n, l, r)
		if !ok {
			eq, ok = equality(l, r)
		}
		if !ok {
			return fastFn{}, errNotFast{n}
		}
		if n.Operator == "!=" {
			return fastFn{b: func(e *Env) (bool, error) {
				v, err := eq(e)
				return !v && err == nil, err
			}}, nil
		}
		return fastFn{b: eq}, nil
	case "<", ">", "<=", ">=":
		if l.i == nil || r.i == nil {
			return fastFn{}, errNotFast{n}
		}
		x, y := l.i, r.i
		var cmp func(a, b int) bool
		switch n.Operator {
		case "<":
			cmp = func(a, b int) bool { return a < b }
		case ">":
			cmp = func(a, b int) bool { return a > b }
		case "<=":
			cmp = func(a, b int) bool { return a <= b }
		default:
			cmp = func(a, b int) bool { return a >= b }
		}
		return fastFn{b: both(x, y, cmp)}, nil
	case "contains", "startsWith", "endsWith":
		if l.s == nil || r.s == nil {
			return fastFn{}, errNotFast{n}
		}
		x, y := l.s, r.s
		op := map[string]func(string, string) bool{
			"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
		}[n.Operator]
		return fastFn{b: both(x, y, op)}, nil
	case "+":
		// Only in the expressions compiled without boundPatcher (the
		// keys of state calls): in conditions it is bound$concat.
		if l.s == nil || r.s == nil {
			return fastFn{}, errNotFast{n}
		}
		x, y := l.s, r.s
		return fastFn{s: func(e *Env) (string, error) {
			a, err := x(e)
			if err != nil {
				return "", err
			}
			b, err := y(e)
			if err != nil {
				return "", err
			}
			return a + b, nil
		}}, nil
	case "??":
		x, y := l.boxed(), r.boxed()
		return fastFn{a: func(e *Env) (any, error) {
			v, err := x(e)
			if err != nil || !runtime.IsNil(v) {
				return v, err
			}
			return y(e)
		}}, nil
	}
	return fastFn{}, errNotFast{n}
}

// caseCheck compiles upper(x) == x and lower(x) == x (either way round)
// into a scan that stops at the first rune the case mapping changes,
// instead of building the mapped copy to compare. A short x is charged
// what upper or lower would be charged, so the budget is as the VM's; a
// long one, which upper and lower memoize, goes the usual way.
func (fc *fastCompiler) caseCheck(n *ast.BinaryNode, l, r fastFn) (func(*Env) (bool, error), bool) {
	call, other, mapped := n.Left, n.Right, l
	if _, ok := call.(*ast.CallNode); !ok {
		call, other, mapped = n.Right, n.Left, r
	}
	c, ok := call.(*ast.CallNode)
	if !ok || len(c.Arguments) != 2 || !isEnv(c.Arguments[0]) || c.Arguments[1].String() != other.String() {
		return nil, false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, false
	}
	var fixed func(rune) rune
	switch id.Value {
	case "bound$upper":
		fixed = unicode.ToUpper
	case "bound$lower":
		fixed = unicode.ToLower
	default:
		return nil, false
	}
	x, err := fc.node(other)
	if err != nil || x.s == nil || mapped.s == nil {
		return nil, false
	}
	get, full := x.s, mapped.s
	return func(e *Env) (bool, error) {
		s, err := get(e)
		if err != nil {
			return false, err
		}
		if len(s) >= memoMinLen {
			m, err := full(e)
			return err == nil && m == s, err
		}
		if err := e.charge(len(s) * 3 / 2); err != nil {
			return false, err
		}
		return caseFixed(s, fixed), nil
	}, true
}

// caseFixed reports whether strings.Map(f, s) == s, as strings.ToUpper and
// ToLower compute it: invalid UTF-8 becomes U+FFFD, so s is then changed.
func caseFixed(s string, f func(rune) rune) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if rune(c) != f(rune(c)) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || f(r) != r {
			return false
		}
		i += size
	}
	return true
}

// both compiles op over two operands, evaluated left to right; the first
// error ends it.
func both[T any](x, y func(*Env) (T, error), op func(a, b T) bool) func(*Env) (bool, error) {
	return func(e *Env) (bool, error) {
		a, err := x(e)
		if err != nil {
			return false, err
		}
		b, err := y(e)
		return err == nil && op(a, b), err
	}
}

// anyIsString is runtime.Equal(v, s) for a string s, without boxing s:
// a value equals a string only if it is that string (its other cases,
// numbers, times, nil and reflect.DeepEqual, need the same type).
func anyIsString(v any, s string) bool {
	x, ok := v.(string)
	return ok && x == s
}

// equality compiles l == r: unboxed for two strings or two ints, else
// expr's own runtime.Equal on the boxed values.
func equality(l, r fastFn) (func(*Env) (bool, error), bool) {
	switch {
	case l.s != nil && r.s != nil:
		return both(l.s, r.s, func(a, b string) bool { return a == b }), true
	case l.i != nil && r.i != nil:
		return both(l.i, r.i, func(a, b int) bool { return a == b }), true
	case l.ss != nil || r.ss != nil:
		return nil, false // slices compare by reflection in expr
	case l.a != nil && r.s != nil:
		x, y := l.a, r.s
		return func(e *Env) (bool, error) {
			v, err := x(e)
			if err != nil {
				return false, err
			}
			s, err := y(e)
			return err == nil && anyIsString(v, s), err
		}, true
	case l.s != nil && r.a != nil:
		x, y := l.s, r.a
		return func(e *Env) (bool, error) {
			s, err := x(e)
			if err != nil {
				return false, err
			}
			v, err := y(e)
			return err == nil && anyIsString(v, s), err
		}, true
	}
	x, y := l.boxed(), r.boxed()
	if x == nil || y == nil {
		return nil, false
	}
	return both(x, y, runtime.Equal), true
}

func (fc *fastCompiler) builtin(n *ast.BuiltinNode) (fastFn, error) {
	switch n.Name {
	case "len":
		if len(n.Arguments) != 1 {
			break
		}
		if path, ok := fieldPath(n.Arguments[0]); ok && envFields[path].typ.Kind() == reflect.Slice {
			if f, ok := sliceLen(path); ok {
				return f, nil
			}
		}
		x, err := fc.node(n.Arguments[0])
		if err != nil {
			return fastFn{}, err
		}
		switch {
		case x.s != nil:
			f := x.s
			return fastFn{i: func(e *Env) (int, error) {
				s, err := f(e)
				return utf8.RuneCountInString(s), err
			}}, nil
		case x.ss != nil:
			f := x.ss
			return fastFn{i: func(e *Env) (int, error) {
				s, err := f(e)
				return len(s), err
			}}, nil
		}
	case "any", "all", "none":
		return fc.loop(n)
	}
	return fastFn{}, errNotFast{n}
}

// loop compiles any, all and none over a list of strings.
func (fc *fastCompiler) loop(n *ast.BuiltinNode) (fastFn, error) {
	if len(n.Arguments) != 2 || fc.depth >= maxLoopDepth {
		return fastFn{}, errNotFast{n}
	}
	pred, ok := n.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return fastFn{}, errNotFast{n}
	}
	// any stops at the first true, all and none at the first false or
	// true; an empty list is false for any, true for all and none.
	stopOn, onStop := true, true // any
	switch n.Name {
	case "all":
		stopOn, onStop = false, false
	case "none":
		stopOn, onStop = true, false
	}
	if f, ok := fc.wordsInSet(n.Arguments[0], pred, stopOn, onStop); ok {
		return f, nil
	}
	if f, ok := fc.constLoop(n.Arguments[0], pred, stopOn, onStop); ok {
		return f, nil
	}
	list, err := fc.node(n.Arguments[0])
	if err != nil || list.ss == nil {
		return fastFn{}, errNotFast{n}
	}
	fc.depth++
	body, err := fc.node(pred.Node)
	fc.depth--
	if err != nil || body.b == nil {
		return fastFn{}, errNotFast{n}
	}
	xs, p, d := list.ss, body.b, fc.depth
	return fastFn{b: func(e *Env) (bool, error) {
		l, err := xs(e)
		if err != nil {
			return false, err
		}
		for _, x := range l {
			e.loop[d] = x
			v, err := p(e)
			if err != nil {
				return false, err
			}
			if v == stopOn {
				return onStop, nil
			}
		}
		return !onStop, nil
	}}, nil
}

// stringSet is a set of strings with a filter in front of its map: most
// probes (the words of a message against a list of blocked words) miss,
// and a miss of the filter costs a few instructions where hashing the
// string costs some ten nanoseconds.
type stringSet struct {
	m map[string]struct{}
	// filter has the bit filterBit(s) set for each s in m.
	filter [4]uint64
}

func newStringSet(m map[string]struct{}) *stringSet {
	set := &stringSet{m: m}
	for s := range m {
		b := filterBit(s)
		set.filter[b/64] |= 1 << (b % 64)
	}
	return set
}

// filterBit mixes a string's length and its first and last bytes.
func filterBit(s string) uint {
	if s == "" {
		return 0
	}
	return (uint(len(s))*131 + uint(s[0])*7 + uint(s[len(s)-1])) & 255
}

func (set *stringSet) has(s string) bool {
	if b := filterBit(s); set.filter[b/64]&(1<<(b%64)) == 0 {
		return false
	}
	_, in := set.m[s]
	return in
}

// tickedBody returns the author's predicate of a loop, behind the tick
// boundPatcher put first.
func tickedBody(pred *ast.PredicateNode) (ast.Node, bool) {
	seq, ok := pred.Node.(*ast.SequenceNode)
	if !ok || len(seq.Nodes) != 2 {
		return nil, false
	}
	tick, ok := seq.Nodes[0].(*ast.CallNode)
	if !ok || len(tick.Arguments) != 1 || !isEnv(tick.Arguments[0]) {
		return nil, false
	}
	if id, ok := tick.Callee.(*ast.IdentifierNode); !ok || id.Value != "bound$tick" {
		return nil, false
	}
	return seq.Nodes[1], true
}

// isElement reports whether n is # (the loop's element).
func isElement(n ast.Node) bool {
	p, ok := n.(*ast.PointerNode)
	return ok && p.Name == ""
}

// readsElement reports whether n refers to a loop's element or index
// anywhere: # inside n would be the element of the loop around it.
func readsElement(n ast.Node) bool {
	found := false
	ast.Walk(&n, visitFunc(func(n *ast.Node) {
		if _, ok := (*n).(*ast.PointerNode); ok {
			found = true
		}
	}))
	return found
}

type visitFunc func(*ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(n) }

// wordsInSet compiles any(words(x), {# in SET}) (and all, none) into a
// scan of the words of x that probes the set with each, through the
// tokenizer of Words itself (textfn.WordScanner), so the two cannot
// disagree, and with no list built. If words(x) is already memoized for
// the message, its list is read instead. Each word ticks, as the VM's
// loop does, and the scan stops where the loop would.
func (fc *fastCompiler) wordsInSet(listArg ast.Node, pred *ast.PredicateNode, stopOn, onStop bool) (fastFn, bool) {
	call, ok := listArg.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 || !isEnv(call.Arguments[0]) {
		return fastFn{}, false
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != memoNames["words"] {
		return fastFn{}, false
	}
	body, ok := tickedBody(pred)
	if !ok {
		return fastFn{}, false
	}
	in, ok := body.(*ast.BinaryNode)
	if !ok || in.Operator != "in" || !isElement(in.Left) {
		return fastFn{}, false
	}
	c, ok := in.Right.(*ast.ConstantNode)
	if !ok {
		return fastFn{}, false
	}
	m, ok := c.Value.(map[string]struct{})
	if !ok {
		return fastFn{}, false
	}
	set := newStringSet(m)
	x, err := fc.node(call.Arguments[1])
	if err != nil || x.s == nil {
		return fastFn{}, false
	}
	get, id := x.s, memoImpls[memoNames["words"]].id
	return fastFn{b: func(e *Env) (bool, error) {
		s, err := get(e)
		if err != nil {
			return false, err
		}
		if ws, ok := e.cache.strs.get(id, s); ok {
			for _, w := range ws {
				if err := e.tick(); err != nil {
					return false, err
				}
				if set.has(w) == stopOn {
					return onStop, nil
				}
			}
			return !onStop, nil
		}
		sc := &e.scr().words
		sc.Reset(s)
		for {
			w, ok := sc.Next()
			if !ok {
				return !onStop, nil
			}
			if err := e.tick(); err != nil {
				return false, err
			}
			if set.has(w) == stopOn {
				return onStop, nil
			}
		}
	}}, true
}

// constLoop compiles a loop over a constant list whose predicate compares
// one expression that does not read # with the element:
// any(lists.phrases, {lower(text) contains #}), and startsWith, endsWith,
// ==. It is the loop the VM runs, with the same tick and the same
// evaluation of x for each element (so the same charges), without the
// closures of the general loop between them.
func (fc *fastCompiler) constLoop(listArg ast.Node, pred *ast.PredicateNode, stopOn, onStop bool) (fastFn, bool) {
	c, ok := listArg.(*ast.ConstantNode)
	if !ok {
		return fastFn{}, false
	}
	list, ok := c.Value.([]string)
	if !ok {
		return fastFn{}, false
	}
	body, ok := tickedBody(pred)
	if !ok {
		return fastFn{}, false
	}
	cmp, ok := body.(*ast.BinaryNode)
	if !ok || !isElement(cmp.Right) || readsElement(cmp.Left) {
		return fastFn{}, false
	}
	var op func(s, elem string) bool
	switch cmp.Operator {
	case "contains":
		op = strings.Contains
	case "startsWith":
		op = strings.HasPrefix
	case "endsWith":
		op = strings.HasSuffix
	case "==":
		op = func(a, b string) bool { return a == b }
	default:
		return fastFn{}, false
	}
	if kindOf(cmp.Right) != reflect.String {
		return fastFn{}, false
	}
	x, err := fc.node(cmp.Left)
	if err != nil || x.s == nil {
		return fastFn{}, false
	}
	get := x.s
	var sub *substrings
	if cmp.Operator == "contains" && len(list) >= substringsMinEntries {
		sub = newSubstrings(list)
	}
	if f, ok := fc.caseMappedLoop(cmp.Left, get, list, op, sub, stopOn, onStop); ok {
		return f, true
	}
	return fastFn{b: func(e *Env) (bool, error) {
		for _, elem := range list {
			if err := e.tick(); err != nil {
				return false, err
			}
			s, err := get(e)
			if err != nil {
				return false, err
			}
			if op(s, elem) == stopOn {
				return onStop, nil
			}
		}
		return !onStop, nil
	}}, true
}

// caseMappedLoop compiles constLoop's loop when x is lower or upper of a
// field: any(lists.phrases, {lower(text) contains #}). A short ASCII text
// is mapped once, into a buffer of the environment (no allocation, no
// memo), and each element is charged what lower or upper is charged for
// it on every call, so the budget is spent as the VM spends it. A long or
// non-ASCII text takes general, the loop of constLoop.
//
// With sub (the operator is contains), the mapped text is read once for
// all the entries, and each element's test is a look at the result.
func (fc *fastCompiler) caseMappedLoop(x ast.Node, general func(*Env) (string, error), list []string, op func(s, elem string) bool, sub *substrings, stopOn, onStop bool) (fastFn, bool) {
	call, ok := x.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 || !isEnv(call.Arguments[0]) {
		return fastFn{}, false
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return fastFn{}, false
	}
	var from byte // the first letter of the case mapped away
	switch id.Value {
	case "bound$lower":
		from = 'A'
	case "bound$upper":
		from = 'a'
	default:
		return fastFn{}, false
	}
	path, ok := fieldPath(call.Arguments[1])
	if !ok || envFields[path].typ.Kind() != reflect.String {
		return fastFn{}, false
	}
	off := envFields[path].offset
	return fastFn{b: func(e *Env) (bool, error) {
		s := *(*string)(unsafe.Add(unsafe.Pointer(e), off))
		mapped, ok := e.asciiCaseMap(s, from)
		if !ok {
			for _, elem := range list {
				if err := e.tick(); err != nil {
					return false, err
				}
				m, err := general(e)
				if err != nil {
					return false, err
				}
				if op(m, elem) == stopOn {
					return onStop, nil
				}
			}
			return !onStop, nil
		}
		cost := len(s) * 3 / 2
		if sub != nil {
			found := sub.occurring(mapped, &e.scr().found)
			for j := range list {
				if err := e.tick(); err != nil {
					return false, err
				}
				if err := e.charge(cost); err != nil {
					return false, err
				}
				if (found[j/64]>>(j%64)&1 != 0) == stopOn {
					return onStop, nil
				}
			}
			return !onStop, nil
		}
		for _, elem := range list {
			if err := e.tick(); err != nil {
				return false, err
			}
			if err := e.charge(cost); err != nil {
				return false, err
			}
			if op(mapped, elem) == stopOn {
				return onStop, nil
			}
		}
		return !onStop, nil
	}}, true
}

// substringsMinEntries is the shortest list whose entries are looked for
// in one pass (substrings) rather than one strings.Contains each.
const substringsMinEntries = 12

// substrings finds which entries of a list occur in a text, reading the
// text once: at each byte, only the entries beginning with it are
// compared. It answers what strings.Contains answers for each entry.
type substrings struct {
	n       int
	byFirst [256][]substringEntry
	empty   []int // entries "", in every text
}

type substringEntry struct {
	rest string // the entry after its first byte
	j    int
}

func newSubstrings(list []string) *substrings {
	m := &substrings{n: len(list)}
	for j, entry := range list {
		if entry == "" {
			m.empty = append(m.empty, j)
			continue
		}
		m.byFirst[entry[0]] = append(m.byFirst[entry[0]], substringEntry{rest: entry[1:], j: j})
	}
	return m
}

// occurring returns a bit set of the entries s contains, in *buf.
func (m *substrings) occurring(s string, buf *[]uint64) []uint64 {
	words := (m.n + 63) / 64
	if cap(*buf) < words {
		*buf = make([]uint64, words)
	}
	found := (*buf)[:words]
	clear(found)
	for _, j := range m.empty {
		found[j/64] |= 1 << (j % 64)
	}
	for i := 0; i < len(s); i++ {
		for _, c := range m.byFirst[s[i]] {
			if strings.HasPrefix(s[i+1:], c.rest) {
				found[c.j/64] |= 1 << (c.j % 64)
			}
		}
	}
	return found
}

// asciiCaseMap returns strings.ToLower(s) (from 'A') or strings.ToUpper(s)
// (from 'a') in the environment's buffer, valid until the next call, if s
// is ASCII and shorter than memoMinLen; ok is false otherwise.
func (e *Env) asciiCaseMap(s string, from byte) (string, bool) {
	if len(s) >= memoMinLen {
		return "", false
	}
	sc := e.scr()
	if cap(sc.caseBuf) < memoMinLen {
		sc.caseBuf = make([]byte, memoMinLen)
	}
	buf := sc.caseBuf[:len(s)]
	for i := range len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		if c-from < 26 {
			c ^= 0x20
		}
		buf[i] = c
	}
	return unsafe.String(unsafe.SliceData(buf), len(buf)), true
}

// sequence compiles the predicate bodies boundPatcher writes, a tick then
// the author's expression.
func (fc *fastCompiler) sequence(n *ast.SequenceNode) (fastFn, error) {
	if len(n.Nodes) != 2 {
		return fastFn{}, errNotFast{n}
	}
	first, err := fc.node(n.Nodes[0])
	if err != nil || first.b == nil {
		return fastFn{}, errNotFast{n}
	}
	last, err := fc.node(n.Nodes[1])
	if err != nil || last.b == nil {
		return fastFn{}, errNotFast{n}
	}
	x, y := first.b, last.b
	return fastFn{b: func(e *Env) (bool, error) {
		if _, err := x(e); err != nil {
			return false, err
		}
		return y(e)
	}}, nil
}

// memoImpl is the implementation of a memo$ twin: its memo number and the
// function, by its result type (one is set).
type memoImpl struct {
	id memoFn
	s  func(string) string
	ss func(string) []string
	b  func(string) bool
}

// memoImpls are the implementations of the memo$ twins, by their name.
var memoImpls = map[string]memoImpl{}

// lowerUpper are the implementations of lower and upper, which the
// boundPatcher turned into bound$lower and bound$upper.
var lowerUpper = map[string]func(string) string{
	"bound$lower": strings.ToLower,
	"bound$upper": strings.ToUpper,
}

var stringBuiltin = builtin.Builtins[builtin.Index["string"]].Fast

func (fc *fastCompiler) call(n *ast.CallNode) (fastFn, error) {
	callee, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return fastFn{}, errNotFast{n}
	}
	name := callee.Value
	args := n.Arguments
	envFirst := len(args) > 0 && isEnv(args[0])
	switch {
	case name == stateGet && len(args) == 2 && envFirst:
		slot, ok := args[1].(*ast.IntegerNode)
		if !ok {
			break
		}
		fc.stateful = true
		i := slot.Value
		return fastFn{i: func(e *Env) (int, error) { return stateValue(e, i) }}, nil
	case name == "bound$tick" && len(args) == 1 && envFirst:
		return fastFn{b: func(e *Env) (bool, error) { return true, e.tick() }}, nil
	case lowerUpper[name] != nil && len(args) == 2 && envFirst:
		x, err := fc.node(args[1])
		if err != nil || x.s == nil {
			return fastFn{}, errNotFast{n}
		}
		// lower and upper were numbered when their VM twins were
		// registered (memoized), so this only reads memoIDs.
		f, conv, id := x.s, lowerUpper[name], memoIDs[name[len("bound$"):]]
		return fastFn{s: func(e *Env) (string, error) {
			s, err := f(e)
			if err != nil {
				return "", err
			}
			// As the VM's twin: a short string is charged on every call,
			// a long one when it is computed. Both are memoized here.
			if len(s) < memoMinLen {
				if err := e.charge(len(s) * 3 / 2); err != nil {
					return "", err
				}
				return e.memoString(id, s, conv), nil
			}
			if out, ok := e.cache.str.get(id, s); ok {
				return out, nil
			}
			if err := e.charge(len(s) * 3 / 2); err != nil {
				return "", err
			}
			out := conv(s)
			e.cache.str.put(id, s, out)
			return out, nil
		}}, nil
	case name == "bound$string" && len(args) == 2 && envFirst:
		x, err := fc.node(args[1])
		if err != nil {
			return fastFn{}, err
		}
		f := x.boxed()
		return fastFn{s: func(e *Env) (string, error) {
			v, err := f(e)
			if err != nil {
				return "", err
			}
			if err := e.charge(valueSize(v, 1, 0)); err != nil {
				return "", err
			}
			if s, ok := v.(string); ok {
				return s, nil // what fmt's %v prints of a string
			}
			return stringBuiltin(v).(string), nil
		}}, nil
	case memoImpls[name].id != 0 && len(args) == 2 && envFirst:
		x, err := fc.node(args[1])
		if err != nil || x.s == nil {
			return fastFn{}, errNotFast{n}
		}
		f, impl := x.s, memoImpls[name]
		switch {
		case impl.ss != nil:
			g := impl.ss
			return fastFn{ss: func(e *Env) ([]string, error) {
				s, err := f(e)
				if err != nil {
					return nil, err
				}
				return e.memoStrings(impl.id, s, g), nil
			}}, nil
		case impl.s != nil:
			g := impl.s
			return fastFn{s: func(e *Env) (string, error) {
				s, err := f(e)
				if err != nil {
					return "", err
				}
				return e.memoString(impl.id, s, g), nil
			}}, nil
		case impl.b != nil:
			g := impl.b
			return fastFn{b: func(e *Env) (bool, error) {
				s, err := f(e)
				if err != nil {
					return false, err
				}
				return e.memoBool(impl.id, s, g), nil
			}}, nil
		}
	case name == "emojiCount" && len(args) == 1:
		x, err := fc.node(args[0])
		if err != nil || x.s == nil {
			break
		}
		f := x.s
		return fastFn{i: func(e *Env) (int, error) {
			s, err := f(e)
			if err != nil {
				return 0, err
			}
			return textfn.EmojiCount(s), nil
		}}, nil
	case (name == "hasWord" || name == "hasSubstring") && len(args) == 2:
		c, ok := args[1].(*ast.ConstantNode)
		if !ok {
			break
		}
		m, ok := c.Value.(*textfn.Matcher)
		x, err := fc.node(args[0])
		if !ok || err != nil || x.s == nil {
			break
		}
		// A list matched against one text by several rules (with other
		// conditions beside) is matched once per message.
		f, sub := x.s, name == "hasSubstring"
		return fastFn{b: func(e *Env) (bool, error) {
			s, err := f(e)
			return err == nil && e.memoMatch(m, sub, s), err
		}}, nil
	}
	return fastFn{}, errNotFast{n}
}

func isEnv(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "$env"
}
