package rules_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate/rules"
)

func TestLoadGood(t *testing.T) {
	rs, err := rules.Load([]string{"testdata/good.yaml"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var got []string
	for _, r := range rs.Rules {
		got = append(got, r.ID)
	}
	want := []string{"staff-exempt", "drop-banned", "tag-links", "trial", "only-before", "uses-payload"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %q, want %q (in file order, disabled ones left out)", got, want)
	}
	for i, r := range rs.Rules {
		if r.Index != i {
			t.Errorf("rule %s: Index = %d, want %d", r.ID, r.Index, i)
		}
	}
	byID := map[string]*rules.Rule{}
	for _, r := range rs.Rules {
		byID[r.ID] = r
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"disabled", rs.Disabled, 1},
		{"lists", rs.Lists, 2},
		{"list files", rs.ListFiles, []string{filepath.Join("testdata", "lists", "banned.txt")}},
		{"needs payload", rs.NeedsPayload, true},
		{"staff-exempt action", byID["staff-exempt"].Action, rules.ActionAllow},
		{"staff-exempt description", byID["staff-exempt"].Description, "staff are never filtered"},
		{"default mode", byID["drop-banned"].Mode, rules.ModeEnforce},
		{"default confidence", byID["staff-exempt"].Confidence, 1.0},
		{"confidence", byID["drop-banned"].Confidence, 0.9},
		{"tags deduplicated", byID["tag-links"].Tags, []string{"link", "url"}},
		{"inject keys in order", []string{byID["tag-links"].Inject[0].Key, byID["tag-links"].Inject[1].Key}, []string{"words", "sender_uid"}},
		{"shadow mode", byID["trial"].Mode, rules.ModeShadow},
		{"block scalar expression", byID["trial"].When, `text matches "(?i)free\\s+crypto"`},
		{"triggers", byID["only-before"].Triggers, []string{"before_message"}},
		{"position", [2]any{byID["tag-links"].File, byID["tag-links"].Line}, [2]any{"testdata/good.yaml", 15}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestLoadPayloadOnlyWhenUsed(t *testing.T) {
	rs := loadText(t, `
rules:
  - {id: a, when: 'text == "x"', action: drop}`)
	if rs.NeedsPayload {
		t.Error("NeedsPayload = true for rules that never mention payload")
	}
}

// TestLoadBad pins the exact message of every kind of mistake in a rule
// file: what operators read when a reload fails.
func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"yaml-syntax.bad.yaml", []string{
			`yaml-syntax.bad.yaml:3:1: invalid YAML: found unexpected end of stream`,
		}},
		{"unknown-keys.bad.yaml", []string{
			`unknown-keys.bad.yaml:1:1: unknown key "rulez" (want lists, rules, tests or rules_files)`,
			`unknown-keys.bad.yaml:6:5: rule "a": unknown key "severity"`,
		}},
		{"ids.bad.yaml", []string{
			`ids.bad.yaml:2:5: rule has no id`,
			`ids.bad.yaml:4:9: rule "Bad_ID": id must match [a-z0-9][a-z0-9_-]*`,
			`ids.bad.yaml:10:5: rule "dup": duplicate id, first defined at testdata/bad/ids.bad.yaml:7:5`,
		}},
		{"actions.bad.yaml", []string{
			`actions.bad.yaml:4:13: rule "a": unknown action "block" (want allow, drop or tag)`,
			`actions.bad.yaml:8:11: rule "b": unknown mode "audit" (want enforce or shadow)`,
			`actions.bad.yaml:11:13: rule "c": a tag rule needs tags`,
			`actions.bad.yaml:15:5: rule "d": tags only apply to tag rules, this rule's action is drop`,
			`actions.bad.yaml:16:5: rule "e": rule has no action (want allow, drop or tag)`,
			`actions.bad.yaml:18:5: rule "f": rule has no when expression`,
		}},
		{"expressions.bad.yaml", []string{
			`expressions.bad.yaml:3:18: rule "misspelt": when: type rules.User has no field rol`,
			`expressions.bad.yaml:6:11: rule "not-bool": when: expected bool, but got int`,
			`expressions.bad.yaml:9:31: rule "unknown-list": when: unknown list "nope" (this file defines: no lists)`,
			`expressions.bad.yaml:12:23: rule "syntax": when: unexpected token EOF`,
			`expressions.bad.yaml:17:15: rule "block": when: type rules.Message has no field typo`,
			// expr loses errors inside function arguments when a patcher
			// runs; modgate checks the unpatched expression first.
			`expressions.bad.yaml:20:19: rule "unknown-in-call": when: unknown name txt`,
		}},
		{"comment-trap.bad.yaml", []string{
			`comment-trap.bad.yaml:3:37: rule "hashtag": when: unexpected token EOF (the expression was cut short at "#})": in YAML a space followed by # starts a comment; quote the expression or use a block scalar, when: >-)`,
		}},
		{"inject.bad.yaml", []string{
			`inject.bad.yaml:7:7: rule "a": inject: the key tags is reserved for the rule's tags`,
			`inject.bad.yaml:8:7: rule "a": inject: the key action is reserved (CometChat reads it as the drop instruction)`,
			`inject.bad.yaml:9:11: rule "a": inject ok: unknown name unknown_name`,
			`inject.bad.yaml:14:17: rule "b": confidence must be a number from 0 to 1`,
		}},
		{"missing-list.bad.yaml", []string{
			`missing-list.bad.yaml:3:11: list "banned": cannot read testdata/bad/no-such-list.txt: no such file`,
		}},
		{"lists.bad.yaml", []string{
			`lists.bad.yaml:2:3: list name "bad-name" must be an identifier ([A-Za-z_][A-Za-z0-9_]*) so that lists.bad-name works in expressions`,
			`lists.bad.yaml:3:10: list "nums": entries must be non-empty strings, got a list`,
			`lists.bad.yaml:4:10: list "other": want a list of strings or {file: PATH}, got "x"`,
			`lists.bad.yaml:7:19: rule "bare": when: lists must be used as lists.NAME`,
			`lists.bad.yaml:10:31: rule "dynamic": when: lists must be named in the expression (lists.NAME)`,
		}},
		{"state.bad.yaml", []string{
			`state.bad.yaml:3:32: rule "window-expr": when: rate: the window must be a literal duration such as "30s", "10m" or "24h", not an expression`,
			`state.bad.yaml:6:28: rule "window-bad": when: rate: window "a minute" is not a duration above zero (e.g. "30s", "10m", "24h")`,
			`state.bad.yaml:9:40: rule "closure": when: rate: the key uses the closure variable #, which exists only inside the expression; a key may use only the message (trigger, message, sender, receiver, text, ...), so that it can be counted before the rules run`,
			`state.bad.yaml:12:36: rule "let-var": when: rate: the key uses the variable k, which exists only inside the expression; a key may use only the message (trigger, message, sender, receiver, text, ...), so that it can be counted before the rules run`,
			`state.bad.yaml:15:24: rule "key-type": when: cannot use int as argument (type string) to call rate `,
			`state.bad.yaml:20:5: rule "strike-allow": strike only applies to drop and tag rules: an allow rule never decides against a sender`,
			`state.bad.yaml:24:36: rule "strike-zero": strike: for must be a duration above zero, such as 24h or 30m, got "0s"`,
			`state.bad.yaml:28:13: rule "strike-shape": strike: key is missing (the expression strikes are counted under, such as sender.uid)`,
			`state.bad.yaml:28:23: rule "strike-shape": strike: unknown key "until" (want key and for)`,
			`state.bad.yaml:32:26: rule "strike-key": strike key: type rules.User has no field uidd`,
		}},
		{"shape.bad.yaml", []string{
			`shape.bad.yaml:2:3: rules must be a list, got a mapping`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			rs, err := rules.Load([]string{path})
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			if rs != nil {
				t.Error("Load returned a rule set along with errors")
			}
			var got []string
			for _, e := range rules.Errors(err) {
				got = append(got, strings.TrimPrefix(e.Error(), "testdata/bad/"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestLoadReportsEveryFile checks that one broken file does not hide the
// problems of the next, and that ids must be unique across files.
func TestLoadReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "rules:\n  - {id: same, when: 'true', action: drop}\n")
	b := writeFile(t, dir, "b.yaml", "rules:\n  - {id: same, when: 'true', action: drop}\n  - {id: c, when: 'nope', action: drop}\n")
	_, err := rules.Load([]string{a, b, filepath.Join(dir, "missing.yaml")})
	got := []string{}
	for _, e := range rules.Errors(err) {
		got = append(got, strings.ReplaceAll(e.Error(), dir+"/", ""))
	}
	want := []string{
		`b.yaml:2:5: rule "same": duplicate id, first defined at a.yaml:2:5`,
		`b.yaml:3:20: rule "c": when: unknown name nope`,
		`missing.yaml: cannot read missing.yaml: no such file`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReadList(t *testing.T) {
	got, err := rules.ReadList("testdata/lists/banned.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"scam", "wire me money"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadList = %q, want %q", got, want)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.yaml", "")
	writeFile(t, dir, "a.yaml", "")
	writeFile(t, dir, "z.yaml", "")
	got, err := rules.Resolve(dir, []string{"z.yaml", "*.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "z.yaml"), filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve = %q, want %q (listed order, globs sorted, no repeats)", got, want)
	}
	if _, err := rules.Resolve(dir, []string{"conf.d/*.yaml"}); err == nil {
		t.Error("a glob matching nothing resolved without error")
	}
}

func TestEmptyFileHasNoRules(t *testing.T) {
	rs := loadText(t, "# nothing yet\n")
	if len(rs.Rules) != 0 {
		t.Errorf("rules = %d, want 0", len(rs.Rules))
	}
}

// FuzzLoad feeds arbitrary rule files to the loader: it may reject them, but
// must never panic, and a rule set it accepts must be complete.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(seeds, bad...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		path := writeFile(t, dir, "rules.yaml", src)
		rs, err := rules.Load([]string{path})
		if err != nil {
			for _, e := range rules.Errors(err) {
				if !strings.HasPrefix(e.Error(), path) {
					t.Errorf("error not prefixed with the file: %v", e)
				}
			}
			return
		}
		for _, r := range rs.Rules {
			if r.Program == nil || r.ID == "" || r.Action == "" {
				t.Errorf("accepted an incomplete rule: %+v", r)
			}
		}
	})
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadText(t testing.TB, src string) *rules.RuleSet {
	t.Helper()
	rs, err := rules.Load([]string{writeFile(t, t.TempDir(), "rules.yaml", src)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return rs
}

// TestStateCalls: the compiler lifts every rate, distinct and strikes call
// of the enabled rules into RuleSet.State, with its window, and leaves the
// calls of disabled rules out.
func TestStateCalls(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "rules.yaml", `
rules:
  - id: a
    when: rate("f:" + sender.uid, "1m") > 3 or distinct(sender.uid, receiver.uid, "10m") > 2
    action: drop
    strike: {key: sender.uid, for: 24h}
  - id: off
    enabled: false
    when: rate(sender.uid, "5s") > 1
    action: drop
  - id: b
    triggers: [message_edited]
    when: strikes(sender.uid) > 0
    action: tag
    tags: [x]
    inject:
      edits: rate("e:" + sender.uid, "1h")
  - id: plain
    when: text contains "rate"
    action: drop
`)
	rs, err := rules.Load([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	if !rs.Stateful {
		t.Error("not stateful")
	}
	type call struct {
		kind   rules.StateKind
		window time.Duration
		rule   string
		value  bool
	}
	var got []call
	for _, c := range rs.State {
		got = append(got, call{c.Kind, c.Window, c.Rule.ID, c.Value != nil})
	}
	want := []call{
		{rules.StateRate, time.Minute, "a", false},
		{rules.StateDistinct, 10 * time.Minute, "a", true},
		{rules.StateStrikes, 0, "b", false},
		{rules.StateRate, time.Hour, "b", false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("state calls\n got %+v\nwant %+v", got, want)
	}
	if s := rs.Rules[0].Strike; s == nil || s.For != 24*time.Hour || s.KeySource != "sender.uid" {
		t.Errorf("strike %+v", s)
	}
	if !rs.Rules[1].CountsOn("message_edited") || rs.Rules[1].CountsOn("before_message") || !rs.Rules[0].CountsOn("moderation_api") || rs.Rules[0].CountsOn("after_message") {
		t.Error("CountsOn: rules count on their triggers, or on the interception paths by default")
	}

	stateless, err := rules.Load([]string{writeFile(t, dir, "plain.yaml", "rules: [{id: p, when: 'text contains \"x\"', action: drop}]")})
	if err != nil {
		t.Fatal(err)
	}
	if stateless.Stateful || len(stateless.State) != 0 {
		t.Error("a rule set without stateful functions is marked stateful")
	}
}
