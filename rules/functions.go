package rules

import (
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
		return textfn.NewMatcher(l)
	case []any:
		entries := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				entries = append(entries, s)
			}
		}
		return textfn.NewMatcher(entries)
	}
	return textfn.NewMatcher(nil)
}

// functions are the moderation functions of SPEC §6. Each is registered with
// its typed signatures, so expressions are checked against them at load and
// calls go through expr's function path without reflection.
var functions = []expr.Option{
	expr.Function("words",
		func(p ...any) (any, error) { return textfn.Words(p[0].(string)), nil },
		new(func(string) []string)),
	expr.Function("normalize",
		func(p ...any) (any, error) { return textfn.Normalize(p[0].(string)), nil },
		new(func(string) string)),
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
	expr.Function("urls",
		func(p ...any) (any, error) { return textfn.URLs(p[0].(string)), nil },
		new(func(string) []string)),
	expr.Function("domains",
		func(p ...any) (any, error) { return textfn.Domains(p[0].(string)), nil },
		new(func(string) []string)),
	expr.Function("emails",
		func(p ...any) (any, error) { return textfn.Emails(p[0].(string)), nil },
		new(func(string) []string)),
	expr.Function("phones",
		func(p ...any) (any, error) { return textfn.Phones(p[0].(string)), nil },
		new(func(string) []string)),
	expr.Function("capsRatio",
		func(p ...any) (any, error) { return textfn.CapsRatio(p[0].(string)), nil },
		new(func(string) float64)),
	expr.Function("emojiCount",
		func(p ...any) (any, error) { return textfn.EmojiCount(p[0].(string)), nil },
		new(func(string) int)),
}
