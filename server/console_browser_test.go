package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/server"
)

// browserRules have a rule of each kind, one that never matches, one that
// fails, and a tag whose text is markup, which the page must show as text.
const browserRules = `
rules:
  - id: drop-scam
    when: text contains "scam"
    action: drop
  - id: tag-links
    when: text contains "https://"
    action: tag
    tags: ["<script>window.__xss = 'tag'</script>"]
  - id: shadow-shouting
    when: text contains "!!!"
    action: drop
    mode: shadow
  - id: level-check
    when: message.metadata.level != nil and int(message.metadata.level) > 3
    action: drop
  - id: never-matches
    when: text == "a phrase nobody types"
    action: drop
`

// xssUID is a sender uid that would run script if the page inserted it as
// HTML.
const xssUID = `<img src=x onerror="window.__xss='uid'">`

// chromium finds the browser: on CI a missing browser fails the test, since
// .ci/run installs it; elsewhere the test is skipped.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: .ci/run installs Debian's chromium package for this test")
	}
	t.Skip("chromium is not installed (apt-get install chromium); on CI this test fails instead")
	return ""
}

// screenshotDir is where screenshots go: $MODGATE_SCREENSHOT_DIR, or the
// test's temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("MODGATE_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestConsoleInBrowser starts a gateway, sends it a drop and a tag, and
// uses the console in headless Chromium as a moderator would.
func TestConsoleInBrowser(t *testing.T) {
	exe := chromium(t)
	server.SetRateEvery(t, 250*time.Millisecond)
	cfgPath := writeGateway(t, browserRules, fmt.Sprintf(`
rules: [rules.yaml]
admin_auth: {username: %s, password: %s}
`, adminUser, adminPassword))
	rulesPath := filepath.Join(filepath.Dir(cfgPath), "rules.yaml")
	g := loadGateway(t, cfgPath, prometheus.NewRegistry())
	public, admin, stop := serve(t, g)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	send := func(sender, text string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, public+"/webhooks/cometchat", strings.NewReader(messageFrom(sender, text)))
		if r := do(t, req); r.status != 200 {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
	}
	send(xssUID, "what a scam")
	send("u-tagged", "see https://example.com")
	send("u-calm", "hello there") // a pass: not in the decisions
	levelFails := `{"trigger":"before_message","data":{"sender":"u-level","receiver":"guid-7","receiverType":"group","data":{"text":"x","metadata":{"level":"high"}}}}`
	req, _ := http.NewRequest(http.MethodPost, public+"/webhooks/cometchat", strings.NewReader(levelFails))
	if r := do(t, req); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // as root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	waitJS := func(what, expr string, timeout time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))); err != nil {
			t.Fatalf("wait for %s: %v", what, err)
		}
	}
	call := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	creds := base64.StdEncoding.EncodeToString([]byte(adminUser + ":" + adminPassword))
	call("start the browser", chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	call("enable the network domain", err)
	_, err = chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": "Basic " + creds}})
	call("send the admin credentials", err)
	call("open the console", chromedp.Do(ctx,
		chromedp.Navigate(admin+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#rules tbody tr[data-rule="never-matches"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#decisions tbody tr`)),
	))

	// The rule table: every rule in evaluation order, with what it is.
	order := eval(`[...document.querySelectorAll("#rules tbody tr")].map(r => r.dataset.rule).join(" ")`)
	if want := "drop-scam tag-links shadow-shouting level-check never-matches"; order != want {
		t.Errorf("rule rows %q, want %q", order, want)
	}
	rulesText := text(`#rules tbody`)
	for _, want := range []string{"drop-scam", "rules.yaml:3", "shadow-shouting", "shadow", "never matched", "failing", "rules.yaml:14"} {
		if !strings.Contains(rulesText, want) {
			t.Errorf("rule table lacks %q:\n%s", want, rulesText)
		}
	}
	if r := text(`#rules tbody tr[data-rule="level-check"]`); !strings.Contains(r, "failing") {
		t.Errorf("the failing rule's row %q is not marked failing", r)
	}
	if r := text(`#rules tbody tr[data-rule="never-matches"]`); !strings.Contains(r, "never matched") {
		t.Errorf("the unmatched rule's row %q is not marked", r)
	}
	if r := text(`#rules tbody tr[data-rule="shadow-shouting"]`); !strings.Contains(r, "shadow") {
		t.Errorf("the shadow rule's row %q does not say shadow", r)
	}
	if s := text(`#rules-summary`); !strings.Contains(s, "5 rules") || !strings.Contains(s, "1 in shadow mode") || !strings.Contains(s, "1 failing") {
		t.Errorf("summary %q", s)
	}
	if p := text(`#reload-pill`); !strings.Contains(p, "rules loaded") {
		t.Errorf("reload pill %q", p)
	}

	// The decisions: the drop and the tag, newest first, uid and tag as text.
	decisionsText := text(`#decisions tbody`)
	if strings.Contains(decisionsText, "u-calm") {
		t.Errorf("a passed message is listed:\n%s", decisionsText)
	}
	if i, j := strings.Index(decisionsText, "u-tagged"), strings.Index(decisionsText, xssUID); i < 0 || j < 0 || i > j {
		t.Errorf("decisions want the tag above the drop, with the uid %q as text:\n%s", xssUID, decisionsText)
	}
	if !strings.Contains(decisionsText, "<script>window.__xss = 'tag'</script>") || !strings.Contains(decisionsText, "guid-7") {
		t.Errorf("decisions lack the tag text or the conversation:\n%s", decisionsText)
	}

	// A new drop shows up by itself.
	send("u-late", "late scam")
	waitJS("the new drop", `[...document.querySelectorAll("#decisions tbody tr")].some(r => r.textContent.includes("u-late"))`, 10*time.Second)
	if first := text(`#decisions tbody tr:first-child`); !strings.Contains(first, "u-late") || !strings.Contains(first, "drop") {
		t.Errorf("newest decision row %q, want u-late's drop", first)
	}

	// Traffic for the sparklines: a few sample intervals of drops.
	for i := range 6 {
		send(fmt.Sprint("u-burst-", i), "scam scam")
		time.Sleep(150 * time.Millisecond)
	}
	waitJS("a sparkline", `document.querySelectorAll('#rules tr[data-rule="drop-scam"] svg.spark rect').length > 0`, 10*time.Second)
	// The counts follow: 8 drops by drop-scam so far.
	waitJS("the burst in the decisions", `document.querySelector("#decisions tbody tr:first-child").textContent.includes("u-burst-5")`, 10*time.Second)
	waitJS("the match count", `document.querySelector('#rules tr[data-rule="drop-scam"] td.matches').textContent === "8"`, 10*time.Second)

	// Try a message: plain text, then a whole envelope, then garbage.
	tryIt := func(input string) (verdict, matched, response, heading string) {
		t.Helper()
		call("try "+input, chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`document.getElementById("try-verdict").textContent = ""`),
			chromedp.SetValue(chromedp.ID("try-input"), input),
			chromedp.Click(chromedp.ID("try-button")),
		))
		waitJS("a verdict", `document.getElementById("try-verdict").textContent !== ""`, 10*time.Second)
		return text("#try-verdict"), text("#try-matched"), text("#try-response"), text("#try-response-h")
	}
	if v, m, r, _ := tryIt("is this a scam?"); v != "drop" || !strings.Contains(m, "drop-scam") || r != `{"action":"do_not_propagate"}` {
		t.Errorf("try plain text: verdict %q matched %q response %q", v, m, r)
	}
	if v, m, r, _ := tryIt(messageFrom("u-try", "look!!! https://x.io")); v != "tag" || !strings.Contains(m, "tag-links") ||
		!strings.Contains(m, "shadow-shouting") || !strings.Contains(m, "does not change the answer") ||
		r != `{"tags":["<script>window.__xss = 'tag'</script>"]}` {
		t.Errorf("try an envelope: verdict %q matched %q response %q", v, m, r)
	}
	if v, _, r, h := tryIt(`{"trigger": "before_message"`); !strings.Contains(v, "400") || !strings.Contains(r, "not valid JSON") || !strings.Contains(h, "400") {
		t.Errorf("try bad JSON: verdict %q response %q heading %q", v, r, h)
	}
	if v, m, r, _ := tryIt("is this a scam?"); v != "drop" || !strings.Contains(m, "drop-scam") || r != `{"action":"do_not_propagate"}` {
		t.Errorf("try plain text again: verdict %q matched %q response %q", v, m, r)
	}

	// Nothing the page showed ran as script or became markup.
	if x := eval(`String(window.__xss)`); x != "undefined" {
		t.Errorf("data ran as script: window.__xss = %v", x)
	}
	if n := eval(`document.querySelectorAll("main img, main script").length`); n != float64(0) {
		t.Errorf("%v elements injected from data", n)
	}

	dir := screenshotDir(t)
	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		call("screenshot "+name, err)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	media := func(scheme string) {
		t.Helper()
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		call("prefers-color-scheme: "+scheme, err)
	}
	shoot("console-light.png")
	media("dark")
	if bg := eval(`getComputedStyle(document.body).backgroundColor`); bg == "rgb(247, 247, 245)" {
		t.Errorf("dark mode keeps the light background %v", bg)
	}
	shoot("console-dark.png")
	media("light")

	// On a phone the page fits the width; wide tables scroll inside their
	// section.
	_, err = chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true})
	call("phone size", err)
	time.Sleep(300 * time.Millisecond)
	over := eval(`[...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + "." + e.className).slice(0, 5).join(" ")`)
	if over != "" || eval(`document.documentElement.scrollWidth > window.innerWidth + 1`) != false {
		t.Errorf("the page is wider than a 390 px phone screen: %v", over)
	}
	shoot("console-phone.png")
	_, err = chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	call("desktop size", err)

	// A broken edit: the page says the reload failed, where, and that the
	// old rules still serve.
	writeFile(t, rulesPath, browserRules+"  - id: typo\n    when: sender.rol == \"x\"\n    action: drop\n")
	if _, err := g.Reload(); err == nil {
		t.Fatal("a rule with a typo reloaded")
	}
	waitJS("the failed reload", `document.getElementById("reload-pill").textContent.includes("FAILED")`, 15*time.Second)
	errorsText := text(`#reload-error-list`)
	wantPos := fmt.Sprintf("rules.yaml:%d:", strings.Count(browserRules, "\n")+2)
	if !strings.Contains(errorsText, wantPos) || !strings.Contains(errorsText, "typo") {
		t.Errorf("reload errors %q, want %s and the rule id", errorsText, wantPos)
	}
	if s := text(`#status`); !strings.Contains(s, "still serving") {
		t.Errorf("status %q does not say the old rules still serve", s)
	}
	shoot("console-reload-failed.png")

	// Everything the page loaded came from the admin listener.
	loaded := eval(`performance.getEntriesByType("resource").map(e => e.name)`)
	list, _ := loaded.([]any)
	if len(list) < 3 {
		t.Errorf("resources loaded: %v, want the script, the style and the API", loaded)
	}
	for _, u := range list {
		if s, _ := u.(string); !strings.HasPrefix(s, admin+"/") {
			t.Errorf("the page requested %v, outside the admin listener", u)
		}
	}
}
