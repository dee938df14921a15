package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/metrics"
	"github.com/modgate/modgate/rules"
)

// load compiles a rule file given as YAML text.
func load(t testing.TB, src string) *rules.RuleSet {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load([]string{path})
	if err != nil {
		t.Fatalf("load rules: %v", err)
	}
	return rs
}

func ids(rs []*rules.Rule) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	msg := func(text string) *rules.Env {
		return &rules.Env{Trigger: "before_message", Text: text, Message: rules.Message{Text: text}}
	}
	tests := []struct {
		name    string
		rules   string
		onError engine.OnError
		env     *rules.Env

		verdict  engine.Verdict
		tags     []string
		fields   []engine.Field
		matched  []string // every matching rule, shadow included
		deciding []string
		errored  []string
	}{
		{
			name:  "no rules pass",
			rules: "rules: []",
			env:   msg("hello"),
		},
		{
			name: "a drop rule drops and stops evaluation",
			rules: `
rules:
  - {id: drop-hello, when: 'text == "hello"', action: drop}
  - {id: tag-all, when: "true", action: tag, tags: [x]}`,
			env:      msg("hello"),
			verdict:  engine.Drop,
			matched:  []string{"drop-hello"},
			deciding: []string{"drop-hello"},
		},
		{
			name: "rules that do not match are passed over",
			rules: `
rules:
  - {id: drop-bye, when: 'text == "bye"', action: drop}`,
			env: msg("hello"),
		},
		{
			name: "an allow rule stops evaluation before a later drop",
			rules: `
rules:
  - {id: allow-all, when: "true", action: allow}
  - {id: drop-all, when: "true", action: drop}`,
			env:     msg("hello"),
			matched: []string{"allow-all"},
		},
		{
			name: "an allow after a tag keeps the tag verdict",
			rules: `
rules:
  - {id: tag-a, when: "true", action: tag, tags: [a]}
  - {id: allow-all, when: "true", action: allow}
  - {id: tag-b, when: "true", action: tag, tags: [b]}`,
			env:      msg("hello"),
			verdict:  engine.Tag,
			tags:     []string{"a"},
			matched:  []string{"tag-a", "allow-all"},
			deciding: []string{"tag-a"},
		},
		{
			name: "tags accumulate without duplicates and a later inject key wins",
			rules: `
rules:
  - id: tag-a
    when: "true"
    action: tag
    tags: [a, b]
    inject: {k: '"first"', only_a: "1"}
  - id: tag-b
    when: "true"
    action: tag
    tags: [b, c]
    inject: {k: '"second"'}`,
			env:      msg("hello"),
			verdict:  engine.Tag,
			tags:     []string{"a", "b", "c"},
			fields:   []engine.Field{{Key: "k", Value: "second"}, {Key: "only_a", Value: 1}},
			matched:  []string{"tag-a", "tag-b"},
			deciding: []string{"tag-a", "tag-b"},
		},
		{
			name: "a drop after tags drops",
			rules: `
rules:
  - {id: tag-a, when: "true", action: tag, tags: [a]}
  - {id: drop-all, when: "true", action: drop}`,
			env:      msg("hello"),
			verdict:  engine.Drop,
			tags:     []string{"a"},
			matched:  []string{"tag-a", "drop-all"},
			deciding: []string{"drop-all"},
		},
		{
			name: "a shadow drop is counted but changes nothing",
			rules: `
rules:
  - {id: shadow-drop, when: "true", action: drop, mode: shadow}
  - {id: tag-a, when: "true", action: tag, tags: [a]}`,
			env:      msg("hello"),
			verdict:  engine.Tag,
			tags:     []string{"a"},
			matched:  []string{"shadow-drop", "tag-a"},
			deciding: []string{"tag-a"},
		},
		{
			name: "a shadow tag adds no tags and a shadow allow does not stop",
			rules: `
rules:
  - {id: shadow-tag, when: "true", action: tag, tags: [a], mode: shadow}
  - {id: shadow-allow, when: "true", action: allow, mode: shadow}
  - {id: drop-all, when: "true", action: drop}`,
			env:      msg("hello"),
			verdict:  engine.Drop,
			matched:  []string{"shadow-tag", "shadow-allow", "drop-all"},
			deciding: []string{"drop-all"},
		},
		{
			name: "disabled rules are skipped entirely",
			rules: `
rules:
  - {id: retired, enabled: false, when: "true", action: drop}`,
			env: msg("hello"),
		},
		{
			name: "a rule limited to before_message does not run for after_message",
			rules: `
rules:
  - {id: before-only, triggers: [before_message], when: "true", action: drop}
  - {id: after-only, triggers: [after_message], when: "true", action: tag, tags: [after]}`,
			env:      &rules.Env{Trigger: "after_message"},
			verdict:  engine.Tag,
			tags:     []string{"after"},
			matched:  []string{"after-only"},
			deciding: []string{"after-only"},
		},
		{
			name: "rules limited to other triggers never run, failing ones included; the others keep their order",
			rules: `
rules:
  - {id: after-broken, triggers: [after_message], when: 'int(message.metadata.level) > 3', action: drop}
  - {id: tag-a, when: 'text contains "x"', action: tag, tags: [a]}
  - {id: after-drop, triggers: [after_message], when: 'text contains "x"', action: drop}
  - {id: before-broken, triggers: [before_message], when: 'int(message.metadata.level) > 3', action: tag, tags: [b]}
  - {id: tag-c, triggers: [before_message, after_message], when: 'text contains "x"', action: tag, tags: [c]}`,
			env: &rules.Env{Trigger: "before_message", Text: "x",
				Message: rules.Message{Text: "x", Metadata: map[string]any{"level": "high"}}},
			verdict:  engine.Tag,
			tags:     []string{"a", "c"},
			matched:  []string{"tag-a", "tag-c"},
			deciding: []string{"tag-a", "tag-c"},
			errored:  []string{"before-broken"},
		},
		{
			name: "the same rules on after_message",
			rules: `
rules:
  - {id: after-broken, triggers: [after_message], when: 'int(message.metadata.level) > 3', action: drop}
  - {id: tag-a, when: 'text contains "x"', action: tag, tags: [a]}
  - {id: after-drop, triggers: [after_message], when: 'text contains "x"', action: drop}
  - {id: before-broken, triggers: [before_message], when: 'int(message.metadata.level) > 3', action: tag, tags: [b]}
  - {id: tag-c, triggers: [before_message, after_message], when: 'text contains "x"', action: tag, tags: [c]}`,
			env: &rules.Env{Trigger: "after_message", Text: "x",
				Message: rules.Message{Text: "x", Metadata: map[string]any{"level": "high"}}},
			verdict:  engine.Drop,
			matched:  []string{"tag-a", "after-drop"},
			deciding: []string{"after-drop"},
			errored:  []string{"after-broken"},
			tags:     []string{"a"},
		},
		{
			name: "copies of conditions that did not match are skipped, the rest of the plan at once",
			rules: `
rules:
  - {id: a1, when: 'text contains "x"', action: tag, tags: [a]}
  - {id: b1, when: 'int(message.metadata.level) > 3', action: tag, tags: [b], mode: shadow}
  - {id: c1, when: 'text contains "y"', action: tag, tags: [c]}
  - {id: a2, when: 'text contains "x"', action: tag, tags: [a2]}
  - {id: b2, when: 'int(message.metadata.level) > 3', action: tag, tags: [b2]}
  - {id: c2, when: 'text contains "y"', action: drop}`,
			env: &rules.Env{Trigger: "before_message", Text: "z", Message: rules.Message{Text: "z", Metadata: map[string]any{"level": 1}}},
		},
		{
			name: "copies of a condition that matched match again, in order",
			rules: `
rules:
  - {id: a1, when: 'text contains "x"', action: tag, tags: [a]}
  - {id: b1, when: 'int(message.metadata.level) > 3', action: tag, tags: [b], mode: shadow}
  - {id: c1, when: 'text contains "y"', action: tag, tags: [c]}
  - {id: a2, when: 'text contains "x"', action: tag, tags: [a2]}
  - {id: b2, when: 'int(message.metadata.level) > 3', action: tag, tags: [b2]}
  - {id: c2, when: 'text contains "y"', action: drop}`,
			env:      &rules.Env{Trigger: "before_message", Text: "x y", Message: rules.Message{Text: "x y", Metadata: map[string]any{"level": 1}}},
			verdict:  engine.Drop,
			tags:     []string{"a", "c", "a2"},
			matched:  []string{"a1", "c1", "a2", "c2"},
			deciding: []string{"c2"},
		},
		{
			name: "copies of a condition that failed fail again, each counted",
			rules: `
rules:
  - {id: a1, when: 'text contains "x"', action: tag, tags: [a]}
  - {id: b1, when: 'int(message.metadata.level) > 3', action: tag, tags: [b], mode: shadow}
  - {id: c1, when: 'text contains "y"', action: tag, tags: [c]}
  - {id: a2, when: 'text contains "x"', action: tag, tags: [a2]}
  - {id: b2, when: 'int(message.metadata.level) > 3', action: tag, tags: [b2]}
  - {id: c2, when: 'text contains "y"', action: drop}`,
			env:      &rules.Env{Trigger: "before_message", Text: "x", Message: rules.Message{Text: "x", Metadata: map[string]any{"level": "high"}}},
			verdict:  engine.Tag,
			tags:     []string{"a", "a2"},
			matched:  []string{"a1", "a2"},
			deciding: []string{"a1", "a2"},
			errored:  []string{"b1", "b2"},
		},
		{
			name: "a failing rule counts as an error and, by default, as not matched",
			rules: `
rules:
  - {id: broken, when: 'int(message.metadata.level) > 3', action: drop}
  - {id: tag-a, when: "true", action: tag, tags: [a]}`,
			env: &rules.Env{Trigger: "before_message",
				Message: rules.Message{Metadata: map[string]any{"level": "high"}}},
			verdict:  engine.Tag,
			tags:     []string{"a"},
			matched:  []string{"tag-a"},
			deciding: []string{"tag-a"},
			errored:  []string{"broken"},
		},
		{
			name: "on_error drop drops when an enforce rule fails",
			rules: `
rules:
  - {id: broken, when: 'int(message.metadata.level) > 3', action: allow}
  - {id: tag-a, when: "true", action: tag, tags: [a]}`,
			onError: engine.OnErrorDrop,
			env: &rules.Env{Trigger: "before_message",
				Message: rules.Message{Metadata: map[string]any{"level": "high"}}},
			verdict:  engine.Drop,
			deciding: []string{"broken"},
			errored:  []string{"broken"},
		},
		{
			name: "on_error drop ignores a failing shadow rule",
			rules: `
rules:
  - {id: broken, when: 'int(message.metadata.level) > 3', action: drop, mode: shadow}`,
			onError: engine.OnErrorDrop,
			env: &rules.Env{Trigger: "before_message",
				Message: rules.Message{Metadata: map[string]any{"level": "high"}}},
			errored: []string{"broken"},
		},
		{
			name: "a failing inject expression leaves its key out",
			rules: `
rules:
  - id: tag-a
    when: "true"
    action: tag
    tags: [a]
    inject: {level: 'int(message.metadata.level)', fine: '"yes"'}`,
			env: &rules.Env{Trigger: "before_message",
				Message: rules.Message{Metadata: map[string]any{"level": "high"}}},
			verdict:  engine.Tag,
			tags:     []string{"a"},
			fields:   []engine.Field{{Key: "fine", Value: "yes"}},
			matched:  []string{"tag-a"},
			deciding: []string{"tag-a"},
			errored:  []string{"tag-a"},
		},
		{
			name: "lists resolve per file and match whole words",
			rules: `
lists:
  banned: [scam, wire me money]
rules:
  - {id: drop-banned, when: 'hasWord(text, lists.banned)', action: drop}`,
			env:      msg("please WIRE me   money now"),
			verdict:  engine.Drop,
			matched:  []string{"drop-banned"},
			deciding: []string{"drop-banned"},
		},
		{
			name: "a list entry inside a longer word does not match",
			rules: `
lists:
  banned: [scam]
rules:
  - {id: drop-banned, when: 'hasWord(text, lists.banned)', action: drop}`,
			env: msg("scampi for dinner"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := load(t, tt.rules)
			var res engine.Result
			engine.New(tt.onError).Evaluate(context.Background(), rs, tt.env, &res)

			if res.Verdict != tt.verdict {
				t.Errorf("verdict = %v, want %v", res.Verdict, tt.verdict)
			}
			want := func(xs []string) []string {
				if xs == nil {
					return []string{}
				}
				return xs
			}
			if got := append([]string{}, res.Tags...); !reflect.DeepEqual(got, want(tt.tags)) {
				t.Errorf("tags = %q, want %q", got, want(tt.tags))
			}
			if len(res.Fields) > 0 || len(tt.fields) > 0 {
				if !reflect.DeepEqual(res.Fields, tt.fields) {
					t.Errorf("fields = %v, want %v", res.Fields, tt.fields)
				}
			}
			if got := ids(res.Matched); !reflect.DeepEqual(got, want(tt.matched)) {
				t.Errorf("matched = %q, want %q", got, want(tt.matched))
			}
			if got := ids(res.Deciding); !reflect.DeepEqual(got, want(tt.deciding)) {
				t.Errorf("deciding = %q, want %q", got, want(tt.deciding))
			}
			errored := []string{}
			for _, e := range res.Errors {
				errored = append(errored, e.Rule.ID)
				if e.Err == nil {
					t.Errorf("rule %s: error without a cause", e.Rule.ID)
				}
			}
			if !reflect.DeepEqual(errored, want(tt.errored)) {
				t.Errorf("errored = %q, want %q", errored, want(tt.errored))
			}
		})
	}
}

// TestResultReuse checks that a Result reused from a pool carries nothing
// over from the message before.
func TestResultReuse(t *testing.T) {
	rs := load(t, `
rules:
  - {id: tag-x, when: 'text == "x"', action: tag, tags: [x], inject: {k: "1"}}`)
	e := engine.New(engine.OnErrorPass)
	var res engine.Result
	e.Evaluate(context.Background(), rs, &rules.Env{Text: "x"}, &res)
	if res.Verdict != engine.Tag {
		t.Fatalf("first verdict = %v, want tag", res.Verdict)
	}
	e.Evaluate(context.Background(), rs, &rules.Env{Text: "y"}, &res)
	if res.Verdict != engine.Pass || len(res.Tags)+len(res.Fields)+len(res.Matched)+len(res.Deciding) != 0 {
		t.Fatalf("second result = %+v, want an empty pass", res)
	}
}

// TestVerdictNamesMatchMetrics pins the verdict order metrics relies on.
func TestVerdictNamesMatchMetrics(t *testing.T) {
	for i, name := range metrics.Verdicts {
		if got := engine.Verdict(i).String(); got != name {
			t.Errorf("Verdict(%d) = %q, metrics.Verdicts[%d] = %q", i, got, i, name)
		}
	}
}

func TestParseOnError(t *testing.T) {
	for in, want := range map[string]engine.OnError{"": engine.OnErrorPass, "pass": engine.OnErrorPass, "drop": engine.OnErrorDrop} {
		if got, err := engine.ParseOnError(in); err != nil || got != want {
			t.Errorf("ParseOnError(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := engine.ParseOnError("ignore"); err == nil {
		t.Error("ParseOnError(ignore) succeeded, want an error")
	}
}

// TestNormalizedListMatching checks that a list used against normalized
// text is normalized too, whatever the list's spelling.
func TestNormalizedListMatching(t *testing.T) {
	rs := load(t, `
lists:
  banned: [jérk, "!jerky", "FREE crypto"]
rules:
  - {id: named, when: 'hasWord(normalize(text), lists.banned)', action: drop}
  - {id: inline, when: 'hasWord(normalize(text), ["Idiot"])', action: tag, tags: [x]}`)
	e := engine.New(engine.OnErrorPass)
	for text, want := range map[string]engine.Verdict{
		"what a j3rk":              engine.Drop,
		"what a јerk":              engine.Drop, // Cyrillic ј
		"get f.r.e.e crypto now":   engine.Drop,
		"jerky is a snack":         engine.Pass, // an exception: -y is an inflection
		"jeeerks, all of them":     engine.Drop,
		"you 1d10t":                engine.Tag,
		"hello there":              engine.Pass,
		"ｊｅｒｋ in fullwidth":        engine.Drop,
		"a jerk\u200b with spaces": engine.Drop,
	} {
		var res engine.Result
		env := &rules.Env{Trigger: "before_message", Text: text}
		e.Evaluate(context.Background(), rs, env, &res)
		if res.Verdict != want {
			t.Errorf("%q: verdict %v, want %v", text, res.Verdict, want)
		}
	}
}
