package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func runCmd(args []string, getenv func(string) string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut, getenv)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd([]string{"version"}, noEnv)
	if code != 0 || !strings.HasPrefix(out, "modgate ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, errOut := runCmd([]string{"frobnicate"}, noEnv); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("got %d %q", code, errOut)
	}
}

func TestCheck(t *testing.T) {
	withPassword := func(k string) string {
		if k == "MODGATE_WEBHOOK_PASSWORD" {
			return "pw"
		}
		return ""
	}
	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		code   int
		stdout string
		stderr []string
	}{
		{
			name:   "the repository's config and starter pack",
			args:   []string{"check", "--config", "../../config.yaml"},
			getenv: withPassword,
			code:   0,
			stdout: "ok: 1 file, 4 rules (0 disabled), 2 lists\n",
		},
		{
			name:   "a config whose password variable is unset",
			args:   []string{"check", "--config", "../../config.yaml"},
			getenv: noEnv,
			code:   1,
			stderr: []string{"../../config.yaml: auth: the password variable MODGATE_WEBHOOK_PASSWORD is unset or empty: set it (e.g. MODGATE_WEBHOOK_PASSWORD=change-me)"},
		},
		{
			name:   "rule files given directly, every error of every file",
			args:   []string{"check", "../../rules/testdata/bad/ids.bad.yaml", "../../rules/testdata/bad/actions.bad.yaml"},
			getenv: noEnv,
			code:   1,
			stderr: []string{
				`../../rules/testdata/bad/ids.bad.yaml:2:5: rule has no id`,
				`../../rules/testdata/bad/ids.bad.yaml:4:9: rule "Bad_ID": id must match [a-z0-9][a-z0-9_-]*`,
				`../../rules/testdata/bad/ids.bad.yaml:10:5: rule "dup": duplicate id, first defined at ../../rules/testdata/bad/ids.bad.yaml:7:5`,
				`../../rules/testdata/bad/actions.bad.yaml:4:13: rule "a": unknown action "block" (want allow, drop or tag)`,
				`../../rules/testdata/bad/actions.bad.yaml:8:11: rule "b": unknown mode "audit" (want enforce or shadow)`,
				`../../rules/testdata/bad/actions.bad.yaml:11:13: rule "c": a tag rule needs tags`,
				`../../rules/testdata/bad/actions.bad.yaml:15:5: rule "d": tags only apply to tag rules, this rule's action is drop`,
				`../../rules/testdata/bad/actions.bad.yaml:16:5: rule "e": rule has no action (want allow, drop or tag)`,
				`../../rules/testdata/bad/actions.bad.yaml:18:5: rule "f": rule has no when expression`,
				`9 errors`,
			},
		},
		{
			name:   "a missing config",
			args:   []string{"check", "--config", "nope.yaml"},
			getenv: noEnv,
			code:   1,
			stderr: []string{"read config: open nope.yaml: no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(tt.args, tt.getenv)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %s)", code, tt.code, errOut)
			}
			if out != tt.stdout {
				t.Errorf("stdout = %q, want %q", out, tt.stdout)
			}
			want := ""
			if len(tt.stderr) > 0 {
				want = strings.Join(tt.stderr, "\n") + "\n"
			}
			if errOut != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
			}
		})
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rules.yaml"), "rules:\n  - {id: a, when: 'sender.rol == 1', action: drop}\n")
	write(t, filepath.Join(dir, "config.yaml"), "rules: [rules.yaml]\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nbogus: 1\n")
	code, _, errOut := runCmd([]string{"serve", "--config", filepath.Join(dir, "config.yaml")}, noEnv)
	if code != 1 || !strings.Contains(errOut, "config.yaml:4: field bogus not found") {
		t.Errorf("unknown config key: exit %d, stderr %q", code, errOut)
	}

	write(t, filepath.Join(dir, "config.yaml"), "rules: [rules.yaml]\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n")
	code, _, errOut = runCmd([]string{"serve", "--config", filepath.Join(dir, "config.yaml")}, noEnv)
	if code != 1 || !strings.Contains(errOut, `rules.yaml:2:27: rule "a": when: type rules.User has no field rol`) {
		t.Errorf("invalid rules: exit %d, stderr %q", code, errOut)
	}
}

// TestServe runs the gateway in-process the way a user does: start, call
// the webhook, edit the rules and send SIGHUP, then SIGTERM.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "rules.yaml")
	write(t, rulesPath, "rules:\n  - {id: drop-scam, when: 'text contains \"scam\"', action: drop}\n")
	pub, adm := freeAddr(t), freeAddr(t)
	write(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`
listen: %s
admin_listen: %s
rules: [rules.yaml]
auth: {username: cometchat, password_env: MODGATE_WEBHOOK_PASSWORD}
log: {level: warn}
`, pub, adm))
	getenv := func(k string) string {
		if k == "MODGATE_WEBHOOK_PASSWORD" {
			return "change-me"
		}
		return ""
	}
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run([]string{"serve", "--config", filepath.Join(dir, "config.yaml")}, io.Discard, &stderr, getenv)
	}()
	waitReady(t, "http://"+adm+"/readyz")

	post := func(text string) string {
		body := fmt.Sprintf(`{"trigger":"before_message","data":{"data":{"text":%q}}}`, text)
		req, _ := http.NewRequest(http.MethodPost, "http://"+pub+"/webhooks/cometchat", strings.NewReader(body))
		req.SetBasicAuth("cometchat", "change-me")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := post("a scam"); got != `{"action":"do_not_propagate"}` {
		t.Fatalf("before reload: %s", got)
	}

	write(t, rulesPath, "rules:\n  - {id: drop-spam, when: 'text contains \"spam\"', action: drop}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for post("spam") != `{"action":"do_not_propagate"}` {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the rules")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := post("a scam"); got != `{}` {
		t.Errorf("after reload: %s", got)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGTERM, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	// Generous: under -race on a busy 2-core machine a start that builds a
	// large list's matcher takes seconds.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTestCommand(t *testing.T) {
	code, out, _ := runCmd([]string{"test", "../../rules/ruletest/testdata/fail.yaml"}, noEnv)
	if code != 1 || !strings.HasSuffix(out, "1 passed, 4 failed\n") {
		t.Errorf("failing tests: exit %d, output:\n%s", code, out)
	}
	files, _ := filepath.Glob("../../examples/rules/*.yaml")
	code, out, _ = runCmd(append([]string{"test"}, files...), noEnv)
	if code != 0 || !strings.HasSuffix(out, " 0 failed\n") {
		t.Errorf("example packs: exit %d, output:\n%s", code, out)
	}
	if code, _, _ := runCmd([]string{"test"}, noEnv); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
}

func TestEval(t *testing.T) {
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	write(t, rulesFile, `
lists:
  banned: [scam]
rules:
  - {id: shadow-all, when: "true", action: tag, tags: [x], mode: shadow}
  - {id: broken, when: 'int(message.metadata.level) > 1', action: drop}
  - {id: drop-banned, when: 'hasWord(text, lists.banned)', action: drop, confidence: 0.9}
`)
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string
	}{
		{
			name:  "a webhook from stdin",
			args:  []string{"eval", "--rules", rulesFile, "-"},
			stdin: `{"trigger":"before_message","data":{"data":{"text":"a scam","metadata":{"level":"high"}}}}`,
			want: "trigger:  before_message\n" +
				"verdict:  drop\n" +
				"matched:  shadow-all (tag, shadow) " + rulesFile + ":5\n" +
				"          drop-banned (drop, enforce) " + rulesFile + ":7\n" +
				"error:    broken: invalid operation: int(high) (column 1)\n" +
				`response: {"action":"do_not_propagate"}` + "\n",
		},
		{
			name: "a Custom API request from a file",
			args: []string{"eval", "--rules", rulesFile, "../../server/testdata/moderation_docs_example.json"},
			want: "trigger:  moderation_api\n" +
				"verdict:  pass\n" +
				"matched:  shadow-all (tag, shadow) " + rulesFile + ":5\n" +
				"error:    broken: reflect: call of reflect.Value.Type on zero Value (column 1)\n" +
				`response: {"isMatchingCondition":false,"confidence":0,"reason":""}` + "\n",
		},
		{
			name:  "a request the gateway would refuse",
			args:  []string{"eval", "--rules", rulesFile},
			stdin: `[]`,
			code:  1,
		},
		{
			name: "no rules",
			args: []string{"eval", "x.json"},
			code: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := eval(tt.args[1:], strings.NewReader(tt.stdin), &out, &errOut)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, errOut.String())
			}
			if tt.want != "" && out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

// TestSIGHUPDuringSlowStart: a start that loads a large list takes
// seconds. Before the fix, a SIGHUP in that window killed the process
// silently (the signal's default action; here it would end the test
// binary). Now the signal is caught from the start and handled as a reload
// once the gateway runs.
func TestSIGHUPDuringSlowStart(t *testing.T) {
	dir := t.TempDir()
	var list strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&list, "entry number %d\n", i)
	}
	write(t, filepath.Join(dir, "big.txt"), list.String())
	write(t, filepath.Join(dir, "rules.yaml"), "lists:\n  big: {file: big.txt}\nrules:\n  - {id: big, when: 'hasWord(text, lists.big)', action: drop}\n")
	pub, adm := freeAddr(t), freeAddr(t)
	write(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf("listen: %s\nadmin_listen: %s\nrules: [rules.yaml]\nreload: {watch: false}\nlog: {level: info}\n", pub, adm))
	done := make(chan int, 1)
	stderr := &lockedBuffer{}
	go func() {
		done <- run([]string{"serve", "--config", filepath.Join(dir, "config.yaml")}, io.Discard, stderr, noEnv)
	}()
	// While the list loads and its matcher is built.
	time.Sleep(20 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The signal must have come during the start, else this proves nothing.
	if resp, err := http.Get("http://" + adm + "/readyz"); err == nil {
		resp.Body.Close()
		t.Fatal("the gateway was already serving when SIGHUP was sent: the start must take longer for this test")
	}
	waitReady(t, "http://"+adm+"/readyz")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "reloading on SIGHUP") {
		if time.Now().After(deadline) {
			t.Fatalf("the SIGHUP sent during start was not handled once running; log:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d; log:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
