package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/expr-lang/expr/ast"
)

// TestLoopRewritesApply: the loops of testdata/fast_shapes.yaml written
// for the rewrites are compiled by them, not by the general loop, so that
// TestFastAgreesWithVM compares the rewrites themselves.
func TestLoopRewritesApply(t *testing.T) {
	rs, err := Load([]string{"testdata/fast_shapes.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range rs.Rules {
		var want func(fc *fastCompiler, n *ast.BuiltinNode, p *ast.PredicateNode) bool
		switch {
		case strings.HasPrefix(r.ID, "words-"):
			want = func(fc *fastCompiler, n *ast.BuiltinNode, p *ast.PredicateNode) bool {
				_, ok := fc.wordsInSet(n.Arguments[0], p, true, true)
				return ok
			}
		case strings.HasPrefix(r.ID, "const-"):
			want = func(fc *fastCompiler, n *ast.BuiltinNode, p *ast.PredicateNode) bool {
				_, ok := fc.constLoop(n.Arguments[0], p, true, true)
				return ok
			}
		default:
			continue
		}
		root := r.Program.Node()
		found := false
		ast.Walk(&root, visitFunc(func(n *ast.Node) {
			b, ok := (*n).(*ast.BuiltinNode)
			if !ok || found || len(b.Arguments) != 2 {
				return
			}
			if p, ok := b.Arguments[1].(*ast.PredicateNode); ok && want(&fastCompiler{}, b, p) {
				found = true
			}
		}))
		if !found {
			t.Errorf("rule %s (%s): no loop compiled by its rewrite", r.ID, r.When)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d rules checked", checked)
	}
}

// TestSharedAcrossFiles: rules of different files share a condition when
// its text and the entries of the lists it names are the same, and only
// then.
func TestSharedAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("a.yaml", "lists:\n  bad: [scam, spam]\nrules:\n"+
		"  - {id: a-word, when: 'any(words(text), {# in lists.bad})', action: drop}\n"+
		"  - {id: a-len, when: 'len(text) > 5', action: drop}\n"+
		"  - {id: a-rate, when: 'rate(sender.uid, \"1m\") > 5', action: drop}\n")
	b := write("b.yaml", "lists:\n  bad: [scam, spam]\nrules:\n"+
		"  - {id: b-word, when: 'any(words(text), {# in lists.bad})', action: drop}\n"+
		"  - {id: b-len, when: 'len(text) > 5', action: drop}\n"+
		"  - {id: b-rate, when: 'rate(sender.uid, \"1m\") > 5', action: drop}\n")
	c := write("c.yaml", "lists:\n  bad: [scam, junk]\nrules:\n"+
		"  - {id: c-word, when: 'any(words(text), {# in lists.bad})', action: drop}\n")
	rs, err := Load([]string{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	shared := map[string]int{}
	for _, r := range rs.Rules {
		shared[r.ID] = r.Shared
	}
	for _, pair := range [][2]string{{"a-word", "b-word"}, {"a-len", "b-len"}} {
		if shared[pair[0]] == 0 || shared[pair[0]] != shared[pair[1]] {
			t.Errorf("%s and %s: Shared %d and %d, want one slot", pair[0], pair[1], shared[pair[0]], shared[pair[1]])
		}
	}
	if shared["c-word"] == shared["a-word"] {
		t.Errorf("c-word shares a-word's slot %d, but its list has other entries", shared["a-word"])
	}
	if shared["a-rate"] != 0 || shared["b-rate"] != 0 {
		t.Errorf("stateful rules share a slot (%d, %d): each counts on its own", shared["a-rate"], shared["b-rate"])
	}
}
