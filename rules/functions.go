package rules

import (
	"slices"

	"github.com/expr-lang/expr"

	"github.com/modgate/modgate/rules/textfn"
)

// listArg returns the list argument of hasWord, hasSubstring and mask as a
// matcher. Named and literal lists arrive prebuilt (see listPatcher); a list
// computed at run time, say from metadata, is matched as it comes.
func listArg(v any) *textfn.Matcher {
	switch l := v.(type) {
	case *textfn.Matcher:
		return l
	case []string:
		return textfn.ListMatcher(l)
	case []any:
		entries := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				entries = append(entries, s)
			}
		}
		return textfn.ListMatcher(entries)
	}
	return textfn.NewMatcher(nil)
}

// memoNames maps the functions of one string whose result is shared by
// all rules evaluating a message to their memoizing twin: the compiler
// rewrites normalize(x) into memo$normalize($env, x), and the result is
// cached in the environment. A twin has its own name because expr cannot
// overload one function with signatures of different lengths.
var memoNames = map[string]string{}

// memoFunction registers fn under name, typed, and its memoizing twin.
func memoFunction[T any](name string, fn func(string) T) []expr.Option {
	twin := "memo$" + name
	memoNames[name] = twin
	impl := memoImpl{id: memoID(name)}
	var vmTwin func(e *Env, s string) any
	switch f := any(fn).(type) {
	case func(string) string:
		impl.s = f
		vmTwin = func(e *Env, s string) any { return e.memoString(impl.id, s, f) }
	case func(string) []string:
		impl.ss = f
		vmTwin = func(e *Env, s string) any { return e.memoStrings(impl.id, s, f) }
	case func(string) bool:
		impl.b = f
		vmTwin = func(e *Env, s string) any { return e.memoBool(impl.id, s, f) }
	default:
		panic("rules: memoFunction " + name + ": no memo table for its result type")
	}
	memoImpls[twin] = impl
	return []expr.Option{
		expr.Function(name,
			func(p ...any) (any, error) { return fn(p[0].(string)), nil },
			new(func(string) T)),
		expr.Function(twin,
			func(p ...any) (any, error) { return vmTwin(p[0].(*Env), p[1].(string)), nil },
			new(func(*Env, string) T)),
	}
}

// functions are the moderation functions of SPEC §6. Each is registered with
// its typed signatures, so expressions are checked against them at load and
// calls go through expr's function path without reflection.
var functions = slices.Concat(
	memoFunction("words", textfn.Words),
	memoFunction("normalize", textfn.Normalize),
	memoFunction("urls", textfn.URLs),
	memoFunction("domains", textfn.Domains),
	memoFunction("emails", textfn.Emails),
	memoFunction("phones", textfn.Phones),
	// SPEC §11: the built-in English dataset, with every tolerance.
	memoFunction("profane", textfn.Profane),
	memoFunction("profanities", textfn.Profanities),
	memoFunction("censor", textfn.Censor),
	[]expr.Option{
		expr.Function("hasWord",
			func(p ...any) (any, error) { return listArg(p[1]).HasWord(p[0].(string)), nil },
			new(func(string, *textfn.Matcher) bool),
			new(func(string, []string) bool),
			new(func(string, []any) bool)),
		expr.Function("hasSubstring",
			func(p ...any) (any, error) { return listArg(p[1]).HasSubstring(p[0].(string)), nil },
			new(func(string, *textfn.Matcher) bool),
			new(func(string, []string) bool),
			new(func(string, []any) bool)),
		expr.Function("mask",
			func(p ...any) (any, error) { return listArg(p[1]).Mask(p[0].(string)), nil },
			new(func(string, *textfn.Matcher) string),
			new(func(string, []string) string),
			new(func(string, []any) string)),
		expr.Function("capsRatio",
			func(p ...any) (any, error) { return textfn.CapsRatio(p[0].(string)), nil },
			new(func(string) float64)),
		expr.Function("emojiCount",
			func(p ...any) (any, error) { return textfn.EmojiCount(p[0].(string)), nil },
			new(func(string) int)),
	},
)
