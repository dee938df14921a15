package rules

import (
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
