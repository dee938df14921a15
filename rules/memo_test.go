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
	if len(env.cache) != 3 {
		t.Errorf("%d cached results after 20 rules, want 3 (normalize, words, urls once each): %+v", len(env.cache), env.cache)
	}
	env.ResetCache()
	if len(env.cache) != 0 {
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

// TestResetKeepsScratchSpaceNotTheMessage checks what an adapter reusing an
// environment relies on: Reset forgets everything of the message, memoized
// results included, and keeps the memory of its slices and scratch space.
func TestResetKeepsScratchSpaceNotTheMessage(t *testing.T) {
	env := &Env{
		Trigger: "before_message", Text: "hello", Sender: User{UID: "u1"},
		Message: Message{Text: "hello", Mentions: []string{"a", "b"}, Attachments: []Attachment{{URL: "x"}}},
		Context: []ContextMessage{{Text: "earlier"}},
	}
	env.memo("words", env.Text, func(s string) any { return []string{s} })
	env.shared = []sharedResult{{gen: env.gen, matched: true}}
	env.timer = newDeadlineTimer()
	timer, mentions := env.timer, env.Message.Mentions[:cap(env.Message.Mentions)]

	env.Reset()

	if env.Trigger != "" || env.Text != "" || env.Sender.UID != "" || env.Message.Text != "" {
		t.Errorf("Reset kept message fields: %+v", env)
	}
	if len(env.Message.Mentions) != 0 || len(env.Message.Attachments) != 0 || len(env.Context) != 0 {
		t.Errorf("Reset kept elements: %+v", env.Message)
	}
	if cap(env.Message.Mentions) != 2 || mentions[0] != "" || mentions[1] != "" {
		t.Errorf("mentions %q (cap %d), want their memory kept and cleared", mentions, cap(env.Message.Mentions))
	}
	if len(env.cache) != 0 || cap(env.cache) == 0 {
		t.Errorf("cache len %d cap %d, want emptied and kept", len(env.cache), cap(env.cache))
	}
	if env.timer != timer {
		t.Error("Reset dropped the deadline timer")
	}
	env.ResetCache() // as the engine does before evaluating
	if env.shared[0].gen == env.gen {
		t.Error("a shared result of the earlier message looks current")
	}
}
