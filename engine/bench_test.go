package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
)

const benchText = "Hey team, the north loop trail is muddy today. Bring boots and see https://trails.example/north for the map!"

func benchEnv() *rules.Env {
	return &rules.Env{Trigger: "before_message", Text: benchText, Message: rules.Message{Text: benchText}}
}

// word returns a distinct letters-only word for i, so generated list
// entries never match the benchmark text by accident.
func word(i int) string {
	var b strings.Builder
	b.WriteString("zq")
	for {
		b.WriteByte(byte('a' + i%26))
		i /= 26
		if i == 0 {
			return b.String()
		}
	}
}

func evaluate(b *testing.B, rs *rules.RuleSet) {
	b.Helper()
	e := engine.New(engine.OnErrorPass)
	env := benchEnv()
	var res engine.Result
	b.ReportAllocs()
	for b.Loop() {
		e.Evaluate(context.Background(), rs, env, &res)
	}
	if res.Verdict != engine.Pass {
		b.Fatalf("verdict %v, want pass: the benchmark must evaluate every rule", res.Verdict)
	}
}

// BenchmarkHasWordListSize compares a named list of 100 entries with one of
// 100,000: the matcher is built at load, so the per-message cost should not
// grow with the list.
func BenchmarkHasWordListSize(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			var list strings.Builder
			for i := range n {
				list.WriteString(word(i))
				list.WriteByte('\n')
			}
			if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(list.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			rs := load(b, "lists:\n  big: {file: "+filepath.Join(dir, "big.txt")+"}\n"+
				"rules:\n  - {id: big, when: 'hasWord(normalize(text), lists.big)', action: drop}\n")
			evaluate(b, rs)
		})
	}
}

// BenchmarkNormalizeShared compares one rule calling normalize(text) with
// twenty: the text is normalized once per message either way.
func BenchmarkNormalizeShared(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			var src strings.Builder
			src.WriteString("rules:\n")
			for i := range n {
				fmt.Fprintf(&src, "  - {id: r%d, when: 'normalize(text) contains \"%s\"', action: drop}\n", i, word(i))
			}
			evaluate(b, load(b, src.String()))
		})
	}
}

// BenchmarkLoadBigList measures loading a rule file with a 100,000-entry
// list: parse, read the list, build the matcher, compile.
func BenchmarkLoadBigList(b *testing.B) {
	dir := b.TempDir()
	var list strings.Builder
	for i := range 100_000 {
		list.WriteString(word(i))
		list.WriteByte('\n')
	}
	listPath := filepath.Join(dir, "big.txt")
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(listPath, []byte(list.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(rulesPath, []byte("lists:\n  big: {file: big.txt}\nrules:\n  - {id: big, when: 'hasWord(normalize(text), lists.big)', action: drop}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rules.Load([]string{rulesPath}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoundedRules measures what the evaluation bounds cost on the hot
// path: a deadline checked between rules and in every loop iteration, and
// string functions charged to the memory budget.
func BenchmarkBoundedRules(b *testing.B) {
	entries := make([]string, 1000)
	for i := range entries {
		entries[i] = word(i)
	}
	for _, bc := range []struct{ name, when string }{
		{"loop over 1000 entries", `any(lists.words, {text contains #})`},
		{"lower and concat", `lower(text) + "!" == "x"`},
		{"plain", `text == "x" || sender.role == "moderator"`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "rules.yaml")
			src := fmt.Sprintf("lists:\n  words: [%s]\nrules:\n  - {id: r, when: '%s', action: drop}\n", strings.Join(entries, ", "), bc.when)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				b.Fatal(err)
			}
			rs, err := rules.Load([]string{path})
			if err != nil {
				b.Fatal(err)
			}
			e := engine.New(engine.OnErrorPass, engine.WithTimeout(500*time.Millisecond))
			env := benchEnv()
			var res engine.Result
			b.ReportAllocs()
			for b.Loop() {
				e.Evaluate(context.Background(), rs, env, &res)
			}
			if res.Verdict != engine.Pass || len(res.Errors) > 0 {
				b.Fatalf("verdict %v, errors %v", res.Verdict, res.Errors)
			}
		})
	}
}
