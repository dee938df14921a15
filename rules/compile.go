package rules

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"

	"github.com/modgate/modgate/rules/textfn"
)

// list is a named list of one rule file, with the matcher built from it once
// at load so that hasWord over 100,000 entries costs what 100 do.
// Its matchers and set are built on first use: most lists serve one of
// them, and a matcher of 100,000 entries takes some 20 MiB.
type list struct {
	name    string
	entries []string
	file    string     // the list file, if the list is one
	seq     *yaml.Node // or the inline sequence
	// reported is set once the list's malformed entries have been reported,
	// so that a list used by ten rules is reported once.
	reported bool
	matcher  *textfn.Matcher
	// normalized matches normalized text: the entries passed through
	// normalize, so that hasWord(normalize(text), lists.banned) finds
	// "jérk" in a list that says jérk. Built on first use.
	normalized *textfn.Matcher
	set        map[string]struct{} // for x in lists.NAME, built on first use
}

// matcherOf compiles the entries of l, in list syntax (word, word*,
// *word*, !word), roots passed through normalize when the text is
// normalized. Malformed entries are load errors, positioned at the entry.
func (c *compiler) matcherOf(l *list, normalized bool) *textfn.Matcher {
	m, err := textfn.CompileList(l.entries, normalized)
	if err != nil && !l.reported {
		l.reported = true
		c.listErrs = append(c.listErrs, c.entryErrors(l, err)...)
	}
	return m
}

// entryErrors positions the *textfn.EntryError parts of err: at the line of
// a list file, or at the entry of an inline list.
func (c *compiler) entryErrors(l *list, err error) []error {
	var lines []int
	if l.file != "" {
		if data, rerr := os.ReadFile(l.file); rerr == nil {
			_, lines = textfn.ParseListText(string(data))
		}
	}
	var out []error
	for _, e := range unjoin(err) {
		var ee *textfn.EntryError
		if !errors.As(e, &ee) {
			continue
		}
		pe := &Error{File: c.path, Err: fmt.Errorf("list %q: entry %q: %w", l.name, ee.Entry, ee.Err)}
		switch {
		case l.file != "":
			pe.File, pe.Column = l.file, 1
			if ee.Index < len(lines) {
				pe.Line = lines[ee.Index]
			}
		case l.seq != nil:
			for _, n := range l.seq.Content {
				if n.Value == ee.Entry {
					pe.Line, pe.Column = n.Line, n.Column
					break
				}
			}
		}
		out = append(out, pe)
	}
	return out
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// datasetFuncs are the functions that match the built-in dataset, whose
// problems (if someone edits it badly) are load errors of the rule files
// using them.
var datasetFuncs = map[string]bool{"profane": true, "profanities": true, "censor": true}

// datasetErrors returns the problems of the built-in dataset, positioned in
// its file.
func datasetErrors() []error {
	_, err := textfn.Dataset()
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range unjoin(err) {
		var ee *textfn.EntryError
		if errors.As(e, &ee) {
			out = append(out, &Error{File: textfn.DatasetPath, Line: ee.Index, Column: 1,
				Err: fmt.Errorf("entry %q: %w", ee.Entry, ee.Err)})
			continue
		}
		out = append(out, &Error{File: textfn.DatasetPath, Err: e})
	}
	return out
}

// matcherFuncs are the functions whose second argument may be a named list:
// the compiler hands them the prebuilt matcher instead of the entries.
var matcherFuncs = map[string]bool{"hasWord": true, "hasSubstring": true, "mask": true}

// compiler compiles the expressions of one rule file against Env and that
// file's lists.
type compiler struct {
	path  string
	src   []byte
	lists map[string]*list
	// usesPayload is set once any expression refers to payload or $env.
	usesPayload bool
	// listErrs are the malformed entries of the lists the expressions use.
	listErrs []error
	// usesDataset is set once an expression calls profane, profanities or
	// censor.
	usesDataset bool
	// state is the rule set's table of stateful calls, which the calls of
	// this file's enabled rules join (nil while compiling a disabled rule,
	// whose calls never count); current is the rule being compiled.
	state   *[]*StateCall
	current *Rule
	// lastLists are the lists the last expression compiled names.
	lastLists []*list
}

// compile compiles one expression. asBool requires a boolean result (when);
// otherwise any value is allowed (inject).
func (c *compiler) compile(n *yaml.Node, id, what string, asBool bool) (*vm.Program, error) {
	lp := &listPatcher{c: c, lists: c.lists, consts: map[*ast.ConstantNode]*list{}}
	opts := make([]expr.Option, 0, len(functions)+len(boundOptions)+5)
	// The environment's type is given as a value, not a pointer, so that
	// the compiler resolves fields to indexes (OpLoadField) instead of
	// looking them up by name for every message; rules run on *Env.
	opts = append(opts, expr.Env(Env{}))
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	opts = append(opts, functions...)
	opts = append(opts, boundOptions...)

	// Type-check the expression as written first. With a patcher, expr
	// checks twice and keeps the types of the first pass on function calls,
	// so an unknown name among a function's arguments (hasWord(txt, ...))
	// would get through unreported.
	if _, err := expr.Compile(n.Value, opts...); err != nil {
		return nil, c.exprError(n, id, what, err)
	}
	slots, err := c.liftState(n, id, what)
	if err != nil {
		return nil, err
	}
	lp.stateSlots = slots
	prog, err := expr.Compile(n.Value, append(opts, expr.Patch(lp), expr.Patch(boundPatcher{}))...)
	c.lastLists = lp.used
	lp.check()
	if lp.err != nil {
		// The patcher's findings explain a type error better than the
		// checker's message about the patched tree would.
		err = lp.err
	}
	if err != nil {
		return nil, c.exprError(n, id, what, err)
	}
	if lp.usesPayload {
		c.usesPayload = true
	}
	if lp.usesDataset && !c.usesDataset {
		c.usesDataset = true
		c.listErrs = append(c.listErrs, datasetErrors()...)
	}
	return prog, nil
}

// exprError turns an expr error, positioned within the expression, into an
// *Error positioned within the rule file.
func (c *compiler) exprError(n *yaml.Node, id, what string, err error) error {
	line, col := n.Line, n.Column
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		line, col = c.position(n, fe.From)
	}
	if ln := yamlComment(n); ln != "" && strings.Contains(msg, "unexpected") {
		msg += fmt.Sprintf(" (the expression was cut short at %q: in YAML a space followed by # starts a comment; quote the expression or use a block scalar, when: >-)", ln)
	}
	return &Error{File: c.path, Line: line, Column: col, Rule: id, Err: fmt.Errorf("%s: %s", what, msg)}
}

func yamlComment(n *yaml.Node) string {
	if n.LineComment != "" {
		return n.LineComment
	}
	return ""
}

// position maps a rune offset within the expression of node n to a line and
// column of the rule file. Plain and quoted scalars map exactly (escapes
// aside); block scalars (| and >) are walked line by line through the source.
func (c *compiler) position(n *yaml.Node, offset int) (line, col int) {
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		lines := strings.Split(string(c.src), "\n")
		for i := n.Line; i < len(lines); i++ { // lines[n.Line] is the first content line
			content := lines[i]
			trimmed := strings.TrimLeft(content, " \t")
			indent := len(content) - len(trimmed)
			length := utf8.RuneCountInString(trimmed)
			if offset <= length {
				return i + 1, indent + offset + 1
			}
			offset -= length + 1
		}
		return n.Line, n.Column
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		return n.Line, n.Column + 1 + offset
	default:
		return n.Line, n.Column + offset
	}
}

// shareKey is the key under which rules share the condition when of an
// expression naming lists: the same text over lists of the same entries
// is the same condition, in whichever file.
func shareKey(when string, lists []*list) string {
	var b strings.Builder
	b.WriteString(when)
	for _, l := range lists {
		b.WriteString("\x00")
		b.WriteString(l.name)
		for _, e := range l.entries {
			b.WriteString("\x01")
			b.WriteString(e)
		}
	}
	return b.String()
}

// listPatcher rewrites lists.NAME into the entries of this file's list NAME,
// so lists are resolved at load and a misspelt name is a load error. When the
// list is the second argument of hasWord, hasSubstring or mask, it passes the
// prebuilt matcher instead.
type listPatcher struct {
	c           *compiler
	lists       map[string]*list
	consts      map[*ast.ConstantNode]*list
	bare        []ast.Node // lists identifiers not (yet) seen inside lists.NAME
	usesPayload bool
	usesDataset bool
	err         error
	// stateSlots are the slots of the expression's stateful calls, in walk
	// order (see liftState); each call becomes state$get($env, SLOT).
	stateSlots []int
	// used are the lists the expression names, in order, for the key
	// under which rules of several files share a condition.
	used []*list
}

func (p *listPatcher) fail(n ast.Node, format string, args ...any) {
	if p.err == nil {
		p.err = &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
	}
}

func (p *listPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "lists":
			p.bare = append(p.bare, n)
		case "payload", "$env":
			p.usesPayload = true
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "lists" {
			return
		}
		p.bare = p.bare[:len(p.bare)-1] // visited just before this node
		name, ok := n.Property.(*ast.StringNode)
		if !ok {
			p.fail(n, "lists must be named in the expression (lists.NAME)")
			return
		}
		l, ok := p.lists[name.Value]
		if !ok {
			p.fail(n, "unknown list %q (this file defines: %s)", name.Value, p.names())
			return
		}
		c := &ast.ConstantNode{Value: l.entries}
		p.consts[c] = l
		p.used = append(p.used, l)
		ast.Patch(node, c)
	case *ast.BinaryNode:
		// x in lists.NAME looks x up in a set instead of comparing it with
		// every entry.
		if c, ok := n.Right.(*ast.ConstantNode); ok && n.Operator == "in" && p.consts[c] != nil {
			l := p.consts[c]
			if l.set == nil {
				l.set = make(map[string]struct{}, len(l.entries))
				for _, e := range l.entries {
					l.set[e] = struct{}{}
				}
			}
			ast.Patch(&n.Right, &ast.ConstantNode{Value: l.set})
		}
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		if datasetFuncs[callee.Value] {
			p.usesDataset = true
		}
		if stateFuncs[callee.Value] != 0 && len(p.stateSlots) > 0 {
			slot := p.stateSlots[0]
			p.stateSlots = p.stateSlots[1:]
			ast.Patch(node, &ast.CallNode{
				Callee:    &ast.IdentifierNode{Value: stateGet},
				Arguments: []ast.Node{&ast.IdentifierNode{Value: "$env"}, &ast.IntegerNode{Value: slot}},
			})
			return
		}
		if twin := memoNames[callee.Value]; twin != "" && len(n.Arguments) == 1 && isString(n.Arguments[0]) {
			// Only calls that type-check are rewritten, so that errors name
			// the function the rule author wrote.
			ast.Patch(node, &ast.CallNode{
				Callee:    &ast.IdentifierNode{Value: twin},
				Arguments: []ast.Node{&ast.IdentifierNode{Value: "$env"}, n.Arguments[0]},
			})
			return
		}
		if !matcherFuncs[callee.Value] || len(n.Arguments) != 2 {
			return
		}
		normalized := isNormalizeCall(n.Arguments[0])
		switch arg := n.Arguments[1].(type) {
		case *ast.ConstantNode:
			l := p.consts[arg]
			switch {
			case l == nil:
			case normalized:
				if l.normalized == nil {
					l.normalized = p.c.matcherOf(l, true)
				}
				ast.Patch(&n.Arguments[1], &ast.ConstantNode{Value: l.normalized})
			default:
				if l.matcher == nil {
					l.matcher = p.c.matcherOf(l, false)
				}
				ast.Patch(&n.Arguments[1], &ast.ConstantNode{Value: l.matcher})
			}
		case *ast.ArrayNode:
			// A literal list of strings is as constant as a named one.
			entries := make([]string, 0, len(arg.Nodes))
			for _, e := range arg.Nodes {
				s, ok := e.(*ast.StringNode)
				if !ok {
					return
				}
				entries = append(entries, s.Value)
			}
			m, err := textfn.CompileList(entries, normalized)
			if err != nil {
				var ee *textfn.EntryError
				if errors.As(err, &ee) {
					p.fail(arg, "list entry %q: %v", ee.Entry, ee.Err)
				}
			}
			ast.Patch(&n.Arguments[1], &ast.ConstantNode{Value: m})
		}
	}
}

// isNormalizeCall reports whether n is a call of normalize, which the walk
// has rewritten into its memoizing twin by the time its caller is visited.
func isNormalizeCall(n ast.Node) bool {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && (id.Value == "normalize" || id.Value == memoNames["normalize"])
}

// check reports a lists identifier the walk left unresolved, as in
// `x in lists`: lists exist per file and only by name.
func (p *listPatcher) check() {
	if p.err == nil && len(p.bare) > 0 {
		p.fail(p.bare[0], "lists must be used as lists.NAME")
	}
}

func (p *listPatcher) names() string {
	if len(p.lists) == 0 {
		return "no lists"
	}
	names := make([]string, 0, len(p.lists))
	for n := range p.lists {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// isString reports whether the checker, which runs before patching, found n
// to be a string.
func isString(n ast.Node) bool {
	t := n.Type()
	return t != nil && t.Kind() == reflect.String
}
