package ruletest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/rules/ruletest"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  ruletest.Summary
		lines []string // the output, line by line
	}{
		{
			name:  "every kind of case passes",
			files: []string{"testdata/pass.yaml"},
			want:  ruletest.Summary{Passed: 9},
		},
		{
			name:  "anchors, aliases and merge keys work in tests",
			files: []string{"testdata/anchors.yaml"},
			want:  ruletest.Summary{Passed: 4},
		},
		{
			name:  "a tests-only file runs against its rules_files",
			files: []string{"testdata/tests-only.yaml"},
			want:  ruletest.Summary{Passed: 1},
		},
		{
			name:  "each failure is one line saying what was expected and what came out",
			files: []string{"testdata/fail.yaml"},
			want:  ruletest.Summary{Passed: 1, Failed: 4},
			lines: []string{
				`testdata/fail.yaml:8: test "wrong verdict": expected drop, got pass (matched: none)`,
				`testdata/fail.yaml:11: test "wrong tags": expected tags [url], got [link]`,
				`testdata/fail.yaml:15: test "a rule that did not match": expected rule tag-links to match, matched: [drop-banned]`,
				`testdata/fail.yaml:19: test "a failing rule": rule broken failed: invalid operation: int(high) (column 1)`,
			},
		},
		{
			name:  "malformed cases are positioned errors",
			files: []string{"testdata/bad-cases.yaml"},
			want:  ruletest.Summary{Failed: 5},
			lines: []string{
				`testdata/bad-cases.yaml:7:5: test "unknown key": unknown key "expected" (want name, trigger, message, payload, context, expect, tags, rules, sequence)`,
				`testdata/bad-cases.yaml:10:13: test "bad verdict": expect must be pass, tag or drop, got "block"`,
				`testdata/bad-cases.yaml:12:14: test "misspelt field": message: field rol not found in type rules.User`,
				`testdata/bad-cases.yaml:14:5: test "no message": a test case needs a message or a payload`,
				`testdata/bad-cases.yaml:16:5: a test case needs a name`,
			},
		},
		{
			name:  "sequences count on a fake clock",
			files: []string{"testdata/stateful.yaml"},
			want:  ruletest.Summary{Passed: 8},
		},
		{
			name:  "a failing sequence names its step and repeat; bad steps are positioned",
			files: []string{"testdata/sequence-fail.yaml"},
			want:  ruletest.Summary{Failed: 4},
			lines: []string{
				`testdata/sequence-fail.yaml:15:9: test "a bad step": step: unknown key "wait" (want trigger, message, payload, context, expect, tags, rules, repeat, every, after)`,
				`testdata/sequence-fail.yaml:17:5: test "expect outside the steps": expect belongs in the steps of a sequence`,
				`testdata/sequence-fail.yaml:25:17: test "a bad repeat": repeat must be a whole number from 1 to 100000, got "0"`,
				`testdata/sequence-fail.yaml:6: test "the wrong threshold": step 1 (line 8), message 3 of 4: expected pass, got drop (matched: [flood])`,
			},
		},
		{
			name:  "a file with invalid rules fails as a whole",
			files: []string{"../testdata/bad/actions.bad.yaml"},
			want:  ruletest.Summary{Failed: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got := ruletest.Run(tt.files, &out)
			if got != tt.want {
				t.Errorf("summary = %v, want %v; output:\n%s", got, tt.want, out.String())
			}
			if tt.lines != nil {
				want := strings.Join(tt.lines, "\n") + "\n"
				if out.String() != want {
					t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
				}
			}
		})
	}
}

// TestExamplePacks runs the tests shipped with every example rule pack, and
// loads the packs together, as rules: [examples/rules/*.yaml] would: their
// rule ids must not collide.
func TestExamplePacks(t *testing.T) {
	var out bytes.Buffer
	packs := examplePacks(t)
	sum := ruletest.Run(packs, &out)
	if sum.Failed > 0 || sum.Passed < 40 {
		t.Errorf("%v:\n%s", sum, out.String())
	}
	if _, err := rules.Load(packs); err != nil {
		t.Errorf("the example packs do not load together: %v", err)
	}
}
