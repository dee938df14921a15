package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server/cometchat"
)

// vmOnly returns a copy of rs whose rules all run on expr's VM, sharing
// nothing: what the fast path and shared conditions must agree with.
func vmOnly(rs *rules.RuleSet) *rules.RuleSet {
	out := *rs
	out.Rules = make([]*rules.Rule, len(rs.Rules))
	for i, r := range rs.Rules {
		c := *r
		c.Fast, c.Shared = nil, 0
		out.Rules[i] = &c
	}
	return &out
}

// TestFastRuleSetsAgree evaluates whole rule sets, the benchmark's 104
// rules (thirteen conditions shared eight times) and every example pack,
// on every fixture and on texts that make their rules match, once as
// loaded and once on the VM alone: verdicts, matched and deciding rules,
// tags, fields and errors must be the same, in the same order (SPEC §5).
func TestFastRuleSetsAgree(t *testing.T) {
	files, _ := filepath.Glob("../examples/rules/*.yaml")
	files = append(files, "../bench/rules/realistic104.yaml", "../bench/rules/realistic13.yaml")
	var bodies [][]byte
	paths, _ := filepath.Glob("../server/testdata/*.json")
	texts := []string{"", "hello", "WIRE ME MONEY", "a total scam", "see https://x.example", "FREE CRYPTO NOW!!", "you idiot", "call 555-0100 or mail a@b.example"}
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, body)
		var doc map[string]any
		if json.Unmarshal(body, &doc) != nil {
			continue
		}
		data, _ := doc["data"].(map[string]any)
		inner, _ := data["data"].(map[string]any)
		if inner == nil {
			continue
		}
		for _, text := range texts {
			inner["text"] = text
			b, _ := json.Marshal(doc)
			bodies = append(bodies, b)
		}
	}
	e := engine.New(engine.OnErrorPass)
	compared, fastMatched := 0, 0
	sets := [][]string{{"../bench/rules/realistic13.yaml", "../bench/rules/realistic104.yaml"}} // conditions shared across files
	for _, f := range files {
		sets = append(sets, []string{f})
	}
	for _, set := range sets {
		file := strings.Join(set, "+")
		rs, err := rules.Load(set)
		if err != nil {
			t.Fatal(err)
		}
		plain := vmOnly(rs)
		for i, body := range bodies {
			var env rules.Env
			if err := cometchat.DecodeWebhook(body, &env, rs.NeedsPayload); err != nil {
				if err := cometchat.DecodeModeration(body, &env, rs.NeedsPayload); err != nil {
					continue
				}
			}
			var got, want engine.Result
			e.Preview(context.Background(), rs, &env, &got)
			e.Preview(context.Background(), plain, &env, &want)
			if g, w := summary(&got), summary(&want); g != w {
				t.Errorf("%s, message %d (text %q):\n fast %s\n VM   %s", filepath.Base(file), i, env.Text, g, w)
			}
			compared++
			if len(got.Matched) > 0 {
				fastMatched++
			}
		}
	}
	if fastMatched < 20 {
		t.Errorf("only %d evaluations matched a rule: the corpus tests too little", fastMatched)
	}
	t.Logf("%d evaluations compared, %d with a match", compared, fastMatched)
}

func summary(r *engine.Result) string {
	ids := func(rs []*rules.Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	var errs []string
	for _, e := range r.Errors {
		errs = append(errs, e.Rule.ID)
	}
	fields := slices.Clone(r.Fields)
	return fmt.Sprintf("verdict %v matched %v deciding %v tags %v fields %v errors %v stopped %v",
		r.Verdict, ids(r.Matched), ids(r.Deciding), r.Tags, fields, errs, r.Stopped)
}
