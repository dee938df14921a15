package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/server"
)

// running is a gateway served on real listeners, file watcher included.
type running struct {
	*server.Gateway
	reg           *prometheus.Registry
	public, admin string // base URLs
}

// serveDir starts a gateway on loopback for the config at cfgPath, with file
// watching on and a short debounce.
func serveDir(t *testing.T, cfgPath string) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	g := loadGateway(t, cfgPath, reg)
	public, admin, stop := serve(t, g)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	r := &running{Gateway: g, reg: reg, public: public, admin: admin}
	waitFor(t, "the watcher to start", func() bool { return g.Watching() })
	return r
}

func (r *running) answer(t *testing.T, text string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.public+"/webhooks/cometchat", strings.NewReader(message("before_message", text)))
	resp := do(t, req)
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	return resp.body
}

func (r *running) reloads(t *testing.T, result string) float64 {
	t.Helper()
	return counterValue(t, r.reg, "modgate_reloads_total", map[string]string{"result": result})
}

// waitFor polls cond for up to 5 seconds: file events arrive asynchronously.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const (
	dropRule = "rules:\n  - {id: drop-word, when: 'text contains \"%s\"', action: drop}\n"
	dropped  = `{"action":"do_not_propagate"}`
)

// replaceFile writes the way editors and deploy tools do: a new file,
// renamed over the old one.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp~"
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatchReloadsOnChange(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "rules.yaml")
	writeFile(t, rulesPath, "lists:\n  words: {file: words.txt}\nrules:\n  - {id: drop-listed, when: 'hasWord(text, lists.words)', action: drop}\n")
	writeFile(t, filepath.Join(dir, "words.txt"), "alpha\n")
	writeFile(t, filepath.Join(dir, "config.yaml"), "rules: [rules.yaml, 'conf.d/*.yaml']\nreload: {debounce: 20ms}\n")
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "conf.d", "a.yaml"), "rules: []\n")
	r := serveDir(t, filepath.Join(dir, "config.yaml"))

	if got := r.answer(t, "alpha"); got != dropped {
		t.Fatalf("initial rules: alpha answered %s", got)
	}

	// An edit in place of the list file.
	writeFile(t, filepath.Join(dir, "words.txt"), "beta\n")
	waitFor(t, "the list edit", func() bool { return r.answer(t, "beta") == dropped })
	if got := r.answer(t, "alpha"); got != "{}" {
		t.Errorf("alpha after the list edit: %s", got)
	}

	// An editor-style replace of the rule file.
	replaceFile(t, rulesPath, fmt.Sprintf(dropRule, "gamma"))
	waitFor(t, "the replaced rule file", func() bool { return r.answer(t, "gamma") == dropped })

	// A broken edit: refused, counted, and the very same rule set serves.
	good := r.RuleSet()
	failures := r.reloads(t, "failure")
	replaceFile(t, rulesPath, "rules:\n  - {id: drop-word, when: 'text contanes \"delta\"', action: drop}\n")
	waitFor(t, "the broken edit to be refused", func() bool { return r.reloads(t, "failure") == failures+1 })
	if r.RuleSet() != good {
		t.Error("a failed reload replaced the rule set")
	}
	if got := r.answer(t, "gamma"); got != dropped {
		t.Errorf("after the broken edit, gamma answered %s; the last good rules must serve", got)
	}
	if v := counterValue(t, r.reg, "modgate_rules_last_reload_successful", nil); v != 0 {
		t.Errorf("last_reload_successful = %v after a broken edit", v)
	}

	// The fix.
	replaceFile(t, rulesPath, fmt.Sprintf(dropRule, "delta"))
	waitFor(t, "the fix", func() bool { return r.answer(t, "delta") == dropped })
	if v := counterValue(t, r.reg, "modgate_rules_last_reload_successful", nil); v != 1 {
		t.Errorf("last_reload_successful = %v after the fix", v)
	}

	// A new file under a glob of the config.
	writeFile(t, filepath.Join(dir, "conf.d", "b.yaml"), "rules:\n  - {id: drop-epsilon, when: 'text == \"epsilon\"', action: drop}\n")
	waitFor(t, "the new file under conf.d/*.yaml", func() bool { return r.answer(t, "epsilon") == dropped })

	// A deleted rule file is a failed reload, not an empty rule set.
	good = r.RuleSet()
	failures = r.reloads(t, "failure")
	if err := os.Remove(rulesPath); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deletion to be refused", func() bool { return r.reloads(t, "failure") == failures+1 })
	if r.RuleSet() != good || r.answer(t, "delta") != dropped {
		t.Error("deleting a rule file changed the rules being served")
	}

	// Events that change nothing do not reload.
	successes := r.reloads(t, "success")
	writeFile(t, filepath.Join(dir, "conf.d", ".a.yaml.swp"), "editor noise")
	time.Sleep(200 * time.Millisecond)
	if got := r.reloads(t, "success") + r.reloads(t, "failure"); got != successes+failures+1 {
		t.Errorf("an unrelated file reloaded the rules: reloads %v, want %v", got, successes+failures+1)
	}
}

// TestWatchConfigMapSwap lays files out as the kubelet does for a mounted
// ConfigMap, and updates them the way it does: a new timestamped directory,
// and the ..data symlink renamed over to point at it.
func TestWatchConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	version := func(name, word string) {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d, "rules.yaml"), fmt.Sprintf(dropRule, word))
		writeFile(t, filepath.Join(d, "config.yaml"), "rules: [rules.yaml]\nreload: {debounce: 20ms}\n")
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_11_27_10_00_00.1", "first")
	for _, f := range []string{"rules.yaml", "config.yaml"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	r := serveDir(t, filepath.Join(dir, "config.yaml"))
	if got := r.answer(t, "first"); got != dropped {
		t.Fatalf("initial rules: %s", got)
	}
	version("..2026_11_27_10_05_00.2", "second")
	waitFor(t, "the ConfigMap update", func() bool { return r.answer(t, "second") == dropped })
	if got := r.answer(t, "first"); got != "{}" {
		t.Errorf("the old rules still answer: %s", got)
	}
}

// TestReloadUnderLoad sends requests from several goroutines while the rules
// are reloaded 20 times: no request may fail, and each answer must come from
// one whole rule set or the other.
func TestReloadUnderLoad(t *testing.T) {
	// Both versions drop "x"; only version b also tags "y". Half a rule set
	// would show as a missing drop.
	versionA := "rules:\n  - {id: drop-x, when: 'text == \"x\"', action: drop}\n"
	versionB := versionA + "  - {id: tag-y, when: 'text == \"y\"', action: tag, tags: [y]}\n"
	cfgPath := writeGateway(t, versionA, "rules: [rules.yaml]\nreload: {watch: false}\n")
	rulesPath := filepath.Join(filepath.Dir(cfgPath), "rules.yaml")
	g := loadGateway(t, cfgPath, prometheus.NewRegistry())
	ts := httptest.NewServer(g.Handler())
	defer ts.Close()
	srv := ts.URL

	var stop atomic.Bool
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for i := 0; !stop.Load(); i++ {
				text := "x"
				if (i+w)%2 == 1 {
					text = "y"
				}
				resp, err := client.Post(srv+"/webhooks/cometchat", "application/json", strings.NewReader(message("before_message", text)))
				if err != nil {
					failed.Add(1)
					continue
				}
				var body [64]byte
				n, _ := resp.Body.Read(body[:])
				resp.Body.Close()
				got := string(body[:n])
				ok := resp.StatusCode == 200 && (text == "x" && got == dropped || text == "y" && (got == "{}" || got == `{"tags":["y"]}`))
				if !ok {
					failed.Add(1)
					t.Errorf("%q answered %d %s", text, resp.StatusCode, got)
				}
				sent.Add(1)
			}
		}()
	}
	for i := range 20 {
		content := versionA
		if i%2 == 0 {
			content = versionB
		}
		replaceFile(t, rulesPath, content)
		if _, err := g.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 || sent.Load() == 0 {
		t.Errorf("%d of %d requests failed across 20 reloads", failed.Load(), sent.Load())
	}
}

// TestEmptiedRuleFileIsRefused is the editor that truncates a file before
// writing it, and the operator who empties one: before the fix, a watching
// gateway loaded "0 rules" and let every message through, with
// last_reload_successful still 1.
func TestEmptiedRuleFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	writeFile(t, a, fmt.Sprintf(dropRule, "alpha"))
	writeFile(t, b, "rules:\n  - {id: drop-beta, when: 'text contains \"beta\"', action: drop}\n")
	writeFile(t, filepath.Join(dir, "config.yaml"), "rules: [a.yaml, b.yaml]\nreload: {debounce: 20ms}\n")
	r := serveDir(t, filepath.Join(dir, "config.yaml"))

	failures := r.reloads(t, "failure")
	if err := os.Truncate(a, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the emptied file to be refused", func() bool { return r.reloads(t, "failure") > failures })
	for _, word := range []string{"alpha", "beta"} {
		if got := r.answer(t, word); got != dropped {
			t.Errorf("after emptying a.yaml, %s answered %s; the last good rules must serve", word, got)
		}
	}
	if v := counterValue(t, r.reg, "modgate_rules_last_reload_successful", nil); v != 0 {
		t.Errorf("last_reload_successful = %v after an emptied file", v)
	}
	if v := counterValue(t, r.reg, "modgate_rules_loaded", nil); v != 2 {
		t.Errorf("modgate_rules_loaded = %v, want the 2 rules still served", v)
	}
	// The editor's write lands: served again.
	writeFile(t, a, fmt.Sprintf(dropRule, "gamma"))
	waitFor(t, "the written file", func() bool { return r.answer(t, "gamma") == dropped })
}

// TestReloadToNoRulesIsRefused: a reload that would leave no enabled rule
// is refused unless every file says rules: [].
func TestReloadToNoRulesIsRefused(t *testing.T) {
	cfgPath := writeGateway(t, fmt.Sprintf(dropRule, "alpha"), "rules: [rules.yaml]\nreload: {watch: false}\n")
	rulesPath := filepath.Join(filepath.Dir(cfgPath), "rules.yaml")
	g := loadGateway(t, cfgPath, prometheus.NewRegistry())

	writeFile(t, rulesPath, "rules:\n  - {id: drop-word, when: 'true', action: drop, enabled: false}\n")
	_, err := g.Reload()
	if err == nil || !strings.Contains(err.Error(), "no enabled rule") {
		t.Fatalf("reload to every rule disabled: err = %v, want a refusal", err)
	}
	if n := len(g.RuleSet().Rules); n != 1 {
		t.Errorf("rules served after the refusal: %d, want 1", n)
	}
	writeFile(t, rulesPath, "rules: []\n")
	if _, err := g.Reload(); err != nil {
		t.Errorf("reload to rules: [] (on purpose): %v", err)
	}
}

// TestWatchNoSpuriousReload: before the fix, the fingerprint taken at start
// left out the list files, so the first unrelated event in a watched
// directory reloaded the rules; and the decision log beside the config
// kept the debounce from ever ending.
func TestWatchNoSpuriousReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "words.txt"), "alpha\n")
	writeFile(t, filepath.Join(dir, "rules.yaml"), "lists:\n  words: {file: words.txt}\nrules:\n  - {id: drop-listed, when: 'hasWord(text, lists.words)', action: drop}\n")
	writeFile(t, filepath.Join(dir, "config.yaml"), "rules: [rules.yaml]\nreload: {debounce: 20ms}\ndecision_log: {enabled: true, path: "+filepath.Join(dir, "decisions.jsonl")+"}\n")
	r := serveDir(t, filepath.Join(dir, "config.yaml"))

	writeFile(t, filepath.Join(dir, "notes.txt"), "unrelated")
	for range 20 {
		r.answer(t, "alpha") // a decision log line each
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if got := r.reloads(t, "success"); got != 1 {
		t.Errorf("%v successful loads, want 1 (the start): an unrelated event reloaded the rules", got)
	}
	// A real change still reloads while the decision log keeps growing.
	writeFile(t, filepath.Join(dir, "words.txt"), "beta\n")
	waitFor(t, "the list edit", func() bool { return r.answer(t, "beta") == dropped })
}

// TestReloadOutlastingWriteTimeout: before the fix, POST /-/reload got an
// empty reply when the reload took longer than timeouts.write.
func TestReloadOutlastingWriteTimeout(t *testing.T) {
	dir := t.TempDir()
	var list strings.Builder
	for i := range 300000 {
		fmt.Fprintf(&list, "entry number %d\n", i)
	}
	writeFile(t, filepath.Join(dir, "big.txt"), list.String())
	writeFile(t, filepath.Join(dir, "rules.yaml"), "lists:\n  big: {file: big.txt}\nrules:\n  - {id: big, when: 'hasWord(text, lists.big)', action: drop}\n")
	writeFile(t, filepath.Join(dir, "config.yaml"), "rules: [rules.yaml]\nreload: {watch: false}\ntimeouts: {write: 50ms}\n")
	g := loadGateway(t, filepath.Join(dir, "config.yaml"), prometheus.NewRegistry())
	_, admin, stop := serve(t, g)
	t.Cleanup(func() { _ = stop() })

	start := time.Now()
	resp, err := http.Post(admin+"/-/reload", "", nil)
	if err != nil {
		t.Fatalf("POST /-/reload: %v (after %v)", err, time.Since(start))
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.Status != "success" {
		t.Errorf("answer %d %+v (%v)", resp.StatusCode, body, err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Logf("the reload took %v, less than the write timeout: the test proves nothing on this machine", took)
	}
}
