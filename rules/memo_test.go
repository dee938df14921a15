package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
)

// TestTextFunctionsRunOncePerMessage checks that rules calling the same text
// function on the same input share one computation per message.
func TestTextFunctionsRunOncePerMessage(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range 20 {
		b.WriteString("  - {id: r" + string(rune('a'+i)) + ", when: 'normalize(text) == \"x\" or len(words(text)) > 50 or len(urls(message.text)) > 3', action: drop}\n")
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := Load([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Text: "Hello Wörld https://x.example", Message: Message{Text: "Hello Wörld https://x.example"}}
	var m vm.VM
	for _, r := range rs.Rules {
		if _, err := m.Run(r.Program, env); err != nil {
			t.Fatal(err)
		}
	}
	if env.cache.len() != 3 {
		t.Errorf("%d cached results after 20 rules, want 3 (normalize, words, urls once each): %+v", env.cache.len(), env.cache)
	}
	env.ResetCache()
	if env.cache.len() != 0 {
		t.Error("ResetCache left results behind")
	}
}

func TestMemoizedFunctionErrorsNameTheFunction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte("rules:\n  - {id: a, when: 'normalize(1) == \"\"', action: drop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{path})
	if err == nil || !strings.Contains(err.Error(), "to call normalize") || strings.Contains(err.Error(), "memo$") {
		t.Errorf("error = %v, want one about normalize", err)
	}
}
