package rules_test

import (
	"fmt"
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
		{"empty.bad.yaml", []string{
			`empty.bad.yaml:1:1: the file holds no rules (it is empty or only comments); write rules: [] if that is intended`,
		}},
		{"comments.bad.yaml", []string{
			`comments.bad.yaml:1:1: the file holds no rules (it is empty or only comments); write rules: [] if that is intended`,
		}},
		{"rules-null.bad.yaml", []string{
			`rules-null.bad.yaml:1:7: rules is empty (a file cut short, or every rule commented out); write rules: [] if that is intended`,
		}},
		{"no-rules.bad.yaml", []string{
			`no-rules.bad.yaml:1:1: the file has no rules key; write rules: [] if it is meant to hold none`,
		}},
		{"multidoc.bad.yaml", []string{
			`multidoc.bad.yaml:6:1: a second YAML document (after ---): a rule file holds one document; merge them, or put the second in a file of its own and list it under rules: in the config`,
		}},
		{"aliases.bad.yaml", []string{
			`aliases.bad.yaml:6:13: alias *loop refers to the node that contains it`,
			`aliases.bad.yaml:6:13: rule "loop": inject must be a mapping of response keys to expressions, got an alias`,
			`aliases.bad.yaml:7:10: a merge key (<<) must name a mapping, got "just-a-string"`,
		}},
		{"entries.bad.yaml", []string{
			`entries.bad.yaml:7:34: rule "c": when: list entry "*x*": too short to be safe (a * entry needs at least 3 letters)`,
			`entries.bad.txt:3:1: list "banned": entry "**": empty root`,
			`entries.bad.txt:4:1: list "banned": entry "!": "!" needs a word after it ("!cockpit")`,
			`entries.bad.txt:6:1: list "banned": entry "*ab*": too short to be safe (a * entry needs at least 3 letters)`,
			`entries.bad.txt:7:1: list "banned": entry "*leading": a leading * needs a trailing one (*word* matches anywhere)`,
			`entries.bad.txt:8:1: list "banned": entry "!": "!" needs a word after it ("!cockpit")`,
			`entries.bad.yaml:3:16: list "inline": entry "*a*": too short to be safe (a * entry needs at least 3 letters)`,
			`entries.bad.yaml:3:23: list "inline": entry "!": "!" needs a word after it ("!cockpit")`,
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

// TestEmptyRuleSetOnPurposeOnly checks that a file says so when it is
// meant to hold no rules: an emptied or truncated file is an error, since
// loading it as "0 rules" would let every message through.
func TestEmptyRuleSetOnPurposeOnly(t *testing.T) {
	for _, src := range []string{"rules: []\n", "# placeholder\nrules: []\n", "lists:\n  a: [x]\nrules: []\n"} {
		if rs := loadText(t, src); len(rs.Rules) != 0 {
			t.Errorf("%q: rules = %d, want 0", src, len(rs.Rules))
		}
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

// TestLoadAnchors checks that anchors, aliases and merge keys work as in
// any YAML tool: a merged mapping's keys apply unless the rule sets them.
func TestLoadAnchors(t *testing.T) {
	rs, err := rules.Load([]string{"testdata/anchors.yaml"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	type got struct {
		ID       string
		Action   rules.Action
		Triggers []string
	}
	var all []got
	for _, r := range rs.Rules {
		all = append(all, got{r.ID, r.Action, r.Triggers})
	}
	want := []got{
		{"staff-exempt", rules.ActionAllow, []string{"before_message"}},
		{"drop-scam", rules.ActionDrop, []string{"before_message"}},
		{"tag-link", rules.ActionTag, []string{"before_message"}},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("rules = %+v, want %+v", all, want)
	}
}

// TestReadListRefusesNonText: before the fix, a UTF-16 or binary list file
// loaded as entries that matched nothing, and a 21 MB binary took 45 s and
// 2.8 GB to load.
func TestReadListRefusesNonText(t *testing.T) {
	dir := t.TempDir()
	utf16 := []byte{0xff, 0xfe}
	for _, r := range "scam\r\nspam\r\n" {
		utf16 = append(utf16, byte(r), 0)
	}
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"utf16.txt", utf16, `utf16.txt: the file is UTF-16 (Notepad calls it "Unicode"); lists must be UTF-8 text: save it as UTF-8`},
		{"utf16be.txt", []byte{0xfe, 0xff, 0, 's', 0, 'c'}, `utf16be.txt: the file is UTF-16`},
		{"nul.txt", []byte("scam\nspam\nab\x00cd\n"), `nul.txt:3: a NUL byte: this is not a text file (binary, or UTF-16 without a byte order mark); lists must be UTF-8 text`},
		{"latin1.txt", []byte("scam\ncaf\xe9\n"), `latin1.txt:2: invalid UTF-8 (byte 0xe9); lists must be UTF-8 text: save the file as UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			entries, err := rules.ReadList(path)
			if err == nil {
				t.Fatalf("ReadList = %q, want an error", entries)
			}
			if got := strings.TrimPrefix(err.Error(), dir+"/"); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error = %s\nwant   %s", got, tt.want)
			}
		})
	}

	t.Run("large binary is refused fast", func(t *testing.T) {
		data := make([]byte, 21<<20)
		for i := range data {
			data[i] = byte(i*7919 + i>>8) // no newlines to speak of, NUL bytes throughout
		}
		path := filepath.Join(dir, "big.bin")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := rules.ReadList(path)
		if err == nil || !strings.Contains(err.Error(), "not a text file") {
			t.Fatalf("err = %v, want a refusal", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("refusing a 21 MB binary took %v", took)
		}
	})

	// The error reaches the rule file's load error, positioned at file:.
	path := filepath.Join(dir, "rules.yaml")
	writeFile(t, dir, "rules.yaml", "lists:\n  banned: {file: utf16.txt}\nrules:\n  - {id: a, when: 'hasWord(text, lists.banned)', action: drop}\n")
	_, err := rules.Load([]string{path})
	if err == nil || !strings.Contains(err.Error(), `rules.yaml:2:18: list "banned": `+dir+`/utf16.txt: the file is UTF-16`) {
		t.Errorf("Load: %v", err)
	}
}

// TestBoundedRewriteCompiles: rewriting built-ins into their bounded twins
// must not turn an expression that type-checks into a load error, whatever
// the types of the arguments (strings, lists, unknown values of payload).
func TestBoundedRewriteCompiles(t *testing.T) {
	rs, err := rules.Load([]string{"testdata/bounded.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) != 23 {
		t.Errorf("%d rules, want 23", len(rs.Rules))
	}
}

// TestLoadRefusesAliasBombs: aliases of aliases in tests: would expand
// exponentially when the test runner re-encodes a case.
func TestLoadRefusesAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules: []\ntests:\n  - name: laughs\n    message:\n      metadata:\n        l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 7; i++ {
		fmt.Fprintf(&b, "        l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	b.WriteString("    expect: pass\n")
	_, err := rules.Load([]string{writeFile(t, t.TempDir(), "rules.yaml", b.String())})
	if err == nil || !strings.Contains(err.Error(), "aliases expand to") {
		t.Errorf("Load: %v, want a refusal", err)
	}
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
