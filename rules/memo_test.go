package rules

import (
	"os"
	"path/filepath"
	"reflect"
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

// TestResetForgetsTheMessage checks what an adapter reusing an environment
// relies on: Reset forgets everything of the message, memoized results
// included, and keeps the memory of its slices.
func TestResetForgetsTheMessage(t *testing.T) {
	env := &Env{
		Trigger: "before_message", Text: "hello", Sender: User{UID: "u1"},
		Message: Message{Text: "hello", Mentions: []string{"a", "b"}, Attachments: []Attachment{{URL: "x"}}},
		Context: []ContextMessage{{Text: "earlier"}},
	}
	words := memoID("words")
	env.memoStrings(words, env.Text, func(s string) []string { return []string{s} })
	env.shared = []sharedResult{{gen: env.gen, matched: true}}
	mentions := env.Message.Mentions[:cap(env.Message.Mentions)]

	env.Reset()

	if len(env.Message.Mentions) != 0 || len(env.Message.Attachments) != 0 || len(env.Context) != 0 {
		t.Errorf("Reset kept elements: %+v", env.Message)
	}
	if cap(env.Message.Mentions) != 2 || mentions[0] != "" || mentions[1] != "" {
		t.Errorf("mentions %q (cap %d), want their memory kept and cleared", mentions, cap(env.Message.Mentions))
	}
	if _, ok := env.cache.strs.get(words, "hello"); ok || env.cache.len() != 0 {
		t.Errorf("Reset kept %d memoized results", env.cache.len())
	}
	env.ResetCache() // as the engine does before evaluating
	if env.shared[0].gen == env.gen {
		t.Error("a shared result of the earlier message looks current")
	}
}

// TestResetZeroesTheMessage fills every field of the message, the
// exported fields of Env, and checks that Reset zeroes each one: a field
// added to Env later cannot be forgotten there.
func TestResetZeroesTheMessage(t *testing.T) {
	var env Env
	v := reflect.ValueOf(&env).Elem()
	fill(t, v, "Env")
	env.Reset()
	zeroed(t, v, "Env")
}

// fill sets every exported field under v to a value that is not zero.
func fill(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(t, v.Field(i), path+"."+f.Name)
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), path+"[0]")
		v.Set(s)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	default:
		t.Fatalf("%s: cannot fill a %s; teach fill", path, v.Kind())
	}
}

// zeroed checks that every exported field under v is zero, a slice empty
// (its memory may be kept, cleared).
func zeroed(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				zeroed(t, v.Field(i), path+"."+f.Name)
			}
		}
	case reflect.Slice:
		if v.Len() != 0 {
			t.Errorf("%s has %d elements after Reset", path, v.Len())
		}
		for i := range v.Cap() {
			if !v.Slice(0, v.Cap()).Index(i).IsZero() {
				t.Errorf("%s[%d] is kept after Reset", path, i)
			}
		}
	default:
		if !v.IsZero() {
			t.Errorf("%s = %v after Reset, want zero", path, v)
		}
	}
}
