package server

import (
	"bytes"
	"embed"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server/cometchat"
)

// The moderators' console (SPEC §13): a page at GET / on the admin listener
// and the JSON API under /api/v1 it is built on. Everything it shows comes
// from state the gateway keeps anyway (the live rule set, the per-rule
// counters /metrics serves, the reload outcome) plus one bounded ring of
// recent decisions.

//go:embed console
var consoleFiles embed.FS

// consoleAssets are the page's files with their content types. They are
// read once: the binary holds them, there is nothing to build or fetch.
var consoleAssets = func() map[string]consoleAsset {
	types := map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"style.css":  "text/css; charset=utf-8",
	}
	m := make(map[string]consoleAsset, len(types))
	for name, ct := range types {
		b, err := consoleFiles.ReadFile("console/" + name)
		if err != nil {
			panic("console asset missing from the binary: " + name)
		}
		m[name] = consoleAsset{contentType: ct, body: b}
	}
	return m
}()

type consoleAsset struct {
	contentType string
	body        []byte
}

// rateEvery is how often the rule counters are sampled for the recent
// rate (a variable for the browser test only).
var rateEvery = 10 * time.Second

// consoleCSP allows the page its own script, style and API and nothing
// else: no inline script, no request to another origin.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Console defaults.
const (
	// DefaultRecentDecisions is how many decisions the console's ring keeps.
	DefaultRecentDecisions = 1000
	// defaultDecisionsLimit is what GET /api/v1/decisions returns without
	// ?limit=.
	defaultDecisionsLimit = 100
	// rateSamples is how many intervals of rateEvery each rule's
	// recent-rate history keeps: 5 minutes.
	rateSamples = 30
	// maxKeptString bounds each string a ring entry keeps (uids, text), so
	// that the ring's memory is bounded by its length, not by what clients
	// send.
	maxKeptString = 256
	maxKeptText   = 1024
)

func (g *Gateway) routeConsole(e *echo.Echo) {
	e.GET("/", g.serveAsset("index.html"))
	e.GET("/console/app.js", g.serveAsset("app.js"))
	e.GET("/console/style.css", g.serveAsset("style.css"))
	api := map[string]string{}
	route := func(method, path string, h echo.HandlerFunc) {
		e.Add(method, path, h)
		api[path] = method
	}
	route(http.MethodGet, "/api/v1/rules", g.handleAPIRules)
	route(http.MethodGet, "/api/v1/decisions", g.handleAPIDecisions)
	route(http.MethodPost, "/api/v1/eval", g.handleAPIEval)
	route(http.MethodGet, "/api/v1/status", g.handleAPIStatus)
	// Any other request under /api answers as JSON, naming what was asked
	// for, rather than echo's bare "Not Found".
	e.Any("/api/*", func(c echo.Context) error {
		path := c.Request().URL.Path
		if m, ok := api[path]; ok {
			c.Response().Header().Set(echo.HeaderAllow, m)
			return echo.NewHTTPError(http.StatusMethodNotAllowed, path+" answers "+m+" only")
		}
		return echo.NewHTTPError(http.StatusNotFound, "no such API endpoint: "+c.Request().Method+" "+path)
	})
}

func (g *Gateway) serveAsset(name string) echo.HandlerFunc {
	a := consoleAssets[name]
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, a.contentType, a.body)
	}
}

// apiRule is one row of GET /api/v1/rules.
type apiRule struct {
	ID          string     `json:"id"`
	Action      string     `json:"action"`
	Mode        string     `json:"mode"`
	File        string     `json:"file"`
	Line        int        `json:"line"`
	Description string     `json:"description,omitempty"`
	Triggers    []string   `json:"triggers,omitempty"`
	Matches     float64    `json:"matches"`
	Errors      float64    `json:"errors"`
	Recent      recentRate `json:"recent"`
}

// recentRate is a rule's matches and errors per sample interval, oldest
// first, over the last few minutes.
type recentRate struct {
	EverySeconds float64   `json:"every_seconds"`
	Matches      []float64 `json:"matches"`
	Errors       []float64 `json:"errors"`
}

func (g *Gateway) handleAPIRules(c echo.Context) error {
	l := g.live.Load()
	out := make([]apiRule, len(l.rules.Rules))
	for i, r := range l.rules.Rules {
		m, e := l.counters.Counts(i)
		out[i] = apiRule{
			ID: r.ID, Action: string(r.Action), Mode: string(r.Mode), File: r.File, Line: r.Line,
			Description: r.Description, Triggers: r.Triggers, Matches: m, Errors: e,
			Recent: g.rates.recent(r.ID),
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (g *Gateway) handleAPIDecisions(c echo.Context) error {
	limit := defaultDecisionsLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, "limit must be a positive integer, got "+strconv.Quote(s))
		}
		limit = n
	}
	if g.recent == nil {
		return c.JSON(http.StatusOK, []apiDecision{})
	}
	return c.JSON(http.StatusOK, g.recent.latest(limit))
}

// apiEval is the answer of POST /api/v1/eval.
type apiEval struct {
	// Kind is the shape the body was read as: webhook or moderation.
	Kind    string        `json:"kind"`
	Trigger string        `json:"trigger"`
	Verdict string        `json:"verdict"`
	Matched []apiMatched  `json:"matched"`
	Errors  []apiRuleFail `json:"errors"`
	// Response is the exact body the gateway would answer CometChat.
	Response jsonRaw `json:"response"`
}

type apiMatched struct {
	ID       string `json:"id"`
	Action   string `json:"action"`
	Mode     string `json:"mode"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Deciding bool   `json:"deciding"`
}

type apiRuleFail struct {
	Rule  string `json:"rule"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// jsonRaw is a JSON value written as is.
type jsonRaw []byte

// MarshalJSON returns the value itself.
func (r jsonRaw) MarshalJSON() ([]byte, error) { return r, nil }

// handleAPIEval evaluates a pasted request against the live rules, as the
// webhook endpoints would, without counting it anywhere: trying a message
// must not show up as traffic in the metrics, the decisions or the log.
func (g *Gateway) handleAPIEval(c echo.Context) error {
	matchTag, err := parseMatch(c)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	body, err := g.readConsoleBody(c.Request())
	if err != nil {
		return err
	}
	// The same test as modgate eval: only a Custom API request has
	// contextMessages.
	moderation := bytes.Contains(body, []byte(`"contextMessages"`))
	decode, kind := cometchat.DecodeWebhook, "webhook"
	if moderation {
		decode, kind = cometchat.DecodeModeration, "moderation"
	}
	l := g.live.Load()
	var env rules.Env
	if err := decode(body, &env, l.rules.NeedsPayload); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	var res engine.Result
	l.engine.Preview(c.Request().Context(), l.rules, &env, &res)
	var out []byte
	if moderation {
		out = ModerationResponse(nil, &res, matchTag)
	} else {
		out = WebhookResponse(nil, env.Trigger, &res)
	}
	a := apiEval{
		Kind: kind, Trigger: env.Trigger, Verdict: res.Verdict.String(),
		Matched: make([]apiMatched, len(res.Matched)), Errors: make([]apiRuleFail, len(res.Errors)),
		Response: out,
	}
	for i, r := range res.Matched {
		a.Matched[i] = apiMatched{ID: r.ID, Action: string(r.Action), Mode: string(r.Mode), File: r.File, Line: r.Line,
			Deciding: isDeciding(&res, r)}
	}
	for i, e := range res.Errors {
		a.Errors[i] = apiRuleFail{Rule: e.Rule.ID, File: e.Rule.File, Line: e.Rule.Line, Error: e.Err.Error()}
	}
	return c.JSON(http.StatusOK, a)
}

// readConsoleBody reads a body with the webhook endpoints' limit and their
// error messages, but counts nothing: a moderator's paste is not a rejected
// CometChat request.
func (g *Gateway) readConsoleBody(r *http.Request) ([]byte, error) {
	limit := g.cfg.Limits.MaxBodyBytes
	tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		"body is larger than limits.max_body_bytes ("+strconv.FormatInt(limit, 10)+" bytes)")
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "cannot read body: "+err.Error())
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}

func isDeciding(res *engine.Result, r *rules.Rule) bool {
	for _, d := range res.Deciding {
		if d == r {
			return true
		}
	}
	return false
}

// StateStatus describes the state store (SPEC §10) for the console.
type StateStatus struct {
	// Backend is memory or redis.
	Backend string `json:"backend"`
	// Healthy is false while the circuit breaker is open: the store failed
	// repeatedly and is not asked until its cool-down passes.
	Healthy bool `json:"healthy"`
	// Detail says what an unhealthy store means for moderation; it holds
	// no address or secret.
	Detail string `json:"detail,omitempty"`
}

// apiStatus is the answer of GET /api/v1/status.
type apiStatus struct {
	Version       string        `json:"version"`
	Started       time.Time     `json:"started"`
	RulesLoaded   int           `json:"rules_loaded"`
	RulesDisabled int           `json:"rules_disabled"`
	RuleFiles     []string      `json:"rule_files"`
	Lists         int           `json:"lists"`
	OnError       string        `json:"on_error"`
	Watching      bool          `json:"watching"`
	DecisionLog   bool          `json:"decision_log"`
	IncludeText   bool          `json:"include_text"`
	LastReload    *reloadStatus `json:"last_reload"`
	LastSuccess   *time.Time    `json:"last_success,omitempty"`
	// State is the state store's status; absent until a store is wired in.
	State *StateStatus `json:"state"`
}

// reloadStatus is the outcome of the last reload attempt.
type reloadStatus struct {
	Time   time.Time     `json:"time"`
	Result string        `json:"result"` // success or failure
	Took   string        `json:"took"`
	Errors []reloadError `json:"errors"`
}

// reloadError is one problem of a failed reload, with its position when it
// is a rule file's.
type reloadError struct {
	Error  string `json:"error"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// noteReload keeps the outcome of a reload attempt for the status API.
// reload calls it with reloadMu held.
func (g *Gateway) noteReload(at time.Time, took time.Duration, err error) {
	st := &reloadStatus{Time: at, Result: "success", Took: took.String(), Errors: []reloadError{}}
	if err != nil {
		st.Result = "failure"
		for _, e := range rules.Errors(err) {
			re := reloadError{Error: e.Error()}
			var pe *rules.Error
			if errors.As(e, &pe) {
				re.File, re.Line, re.Column, re.Rule = pe.File, pe.Line, pe.Column, pe.Rule
			}
			st.Errors = append(st.Errors, re)
		}
	} else {
		t := at
		g.lastSuccess.Store(&t)
	}
	g.lastReload.Store(st)
}

func (g *Gateway) handleAPIStatus(c echo.Context) error {
	l := g.live.Load()
	st := apiStatus{
		Version:       g.version,
		Started:       g.started,
		RulesLoaded:   len(l.rules.Rules),
		RulesDisabled: l.rules.Disabled,
		RuleFiles:     l.rules.Files,
		Lists:         l.rules.Lists,
		OnError:       g.cfg.OnError,
		Watching:      g.Watching(),
		DecisionLog:   g.cfg.DecisionLog.Enabled,
		IncludeText:   g.cfg.DecisionLog.IncludeText,
		LastReload:    g.lastReload.Load(),
		LastSuccess:   g.lastSuccess.Load(),
	}
	st.State = &StateStatus{Backend: g.store.Backend(), Healthy: !g.store.Open()}
	if !st.State.Healthy {
		st.State.Detail = "the store failed repeatedly: stateful rules fail open until it answers again"
	}
	return c.JSON(http.StatusOK, st)
}

// apiDecision is one entry of GET /api/v1/decisions.
type apiDecision struct {
	Time         time.Time      `json:"time"`
	Trigger      string         `json:"trigger"`
	Verdict      string         `json:"verdict"`
	Rules        []decidingRule `json:"rules"`
	Tags         []string       `json:"tags,omitempty"`
	Sender       string         `json:"sender"`
	Receiver     string         `json:"receiver"`
	ReceiverType string         `json:"receiver_type"`
	Message      string         `json:"message"`
	// Text is present only with decision_log.include_text.
	Text *string `json:"text,omitempty"`
}

// decidingRule is a matched rule of a decision; Deciding marks the rules
// that made the verdict (the others are shadow rules or tag rules that an
// enforced drop overrode).
type decidingRule struct {
	ID       string `json:"id"`
	Action   string `json:"action"`
	Mode     string `json:"mode"`
	Deciding bool   `json:"deciding"`
}

// recentDecisions is the console's ring of the last non-pass decisions.
// Writers take a sequence number from one atomic counter and lock only
// their slot, so concurrent requests do not queue on one lock. A slot's
// slices are reused when the ring comes round, so that recording a
// decision does not allocate once the ring is warm.
type recentDecisions struct {
	includeText bool
	seq         atomic.Uint64 // decisions recorded so far
	buf         []recentEntry
}

type recentEntry struct {
	mu  sync.Mutex
	seq uint64 // which decision the slot holds; 0 when none yet

	time                                                   time.Time
	trigger, sender, receiver, receiverType, message, text string
	verdict                                                engine.Verdict
	rules                                                  []decidingRule
	tags                                                   []string
}

func newRecentDecisions(size int, includeText bool) *recentDecisions {
	return &recentDecisions{includeText: includeText, buf: make([]recentEntry, size)}
}

// record keeps a decision that is not a pass. It runs on the hot path: an
// atomic add, one uncontended lock, copies of a few string headers, no
// allocation once the ring is warm (except when a string must be cut to
// its bound).
func (d *recentDecisions) record(env *rules.Env, res *engine.Result) {
	if res.Verdict == engine.Pass {
		return
	}
	now := time.Now()
	id := env.Message.ID
	if id == "" {
		id = env.Message.MUID
	}
	seq := d.seq.Add(1)
	e := &d.buf[(seq-1)%uint64(len(d.buf))]
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seq > seq {
		return // a writer that came round the whole ring meanwhile wrote a newer one
	}
	e.seq = seq
	e.time = now
	e.trigger = keep(env.Trigger, maxKeptString)
	e.sender = keep(env.Sender.UID, maxKeptString)
	e.receiver = keep(env.Receiver.UID, maxKeptString)
	e.receiverType = keep(env.Receiver.EntityType, maxKeptString)
	e.message = keep(id, maxKeptString)
	e.text = ""
	if d.includeText {
		e.text = keep(env.Text, maxKeptText)
	}
	e.verdict = res.Verdict
	e.rules = e.rules[:0]
	for _, r := range res.Matched {
		e.rules = append(e.rules, decidingRule{ID: r.ID, Action: string(r.Action), Mode: string(r.Mode), Deciding: isDeciding(res, r)})
	}
	e.tags = append(e.tags[:0], res.Tags...)
}

// latest returns up to limit decisions, newest first. A decision whose
// writer has not finished yet is left out; the next poll shows it.
func (d *recentDecisions) latest(limit int) []apiDecision {
	total := d.seq.Load()
	n := min(uint64(limit), total, uint64(len(d.buf)))
	out := make([]apiDecision, 0, n)
	for seq := total; seq > total-n; seq-- {
		e := &d.buf[(seq-1)%uint64(len(d.buf))]
		e.mu.Lock()
		if e.seq == seq {
			a := apiDecision{
				Time: e.time, Trigger: e.trigger, Verdict: e.verdict.String(),
				Rules: append([]decidingRule{}, e.rules...), Sender: e.sender, Receiver: e.receiver,
				ReceiverType: e.receiverType, Message: e.message,
			}
			if len(e.tags) > 0 {
				a.Tags = append([]string(nil), e.tags...)
			}
			if d.includeText {
				t := e.text
				a.Text = &t
			}
			out = append(out, a)
		}
		e.mu.Unlock()
	}
	return out
}

// keep returns s, or a copy of its first max bytes (cut at a rune
// boundary) so that the ring does not pin a large string.
func keep(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut]) + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// rateHistory samples every rule's counters at a fixed interval, off the
// hot path, so the console can show a recent rate without the request path
// counting anything twice.
type rateHistory struct {
	mu      sync.Mutex
	samples map[string]*rateSamplesOf // by rule id
}

// rateSamplesOf is a ring of one rule's cumulative counts.
type rateSamplesOf struct {
	matches, errors [rateSamples + 1]float64
	n, next         int
}

func newRateHistory() *rateHistory {
	return &rateHistory{samples: map[string]*rateSamplesOf{}}
}

// sample records the counts of the rules being served now and forgets
// rules that are gone.
func (h *rateHistory) sample(l *live) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := make(map[string]bool, len(l.rules.Rules))
	for i, r := range l.rules.Rules {
		seen[r.ID] = true
		s := h.samples[r.ID]
		if s == nil {
			s = new(rateSamplesOf)
			h.samples[r.ID] = s
		}
		s.matches[s.next], s.errors[s.next] = l.counters.Counts(i)
		s.next = (s.next + 1) % len(s.matches)
		s.n = min(s.n+1, len(s.matches))
	}
	for id := range h.samples {
		if !seen[id] {
			delete(h.samples, id)
		}
	}
}

// recent returns the rule's counts per interval between samples, oldest
// first. A counter that went down (its series was recreated by a reload
// that changed the rule's action or mode) counts as a fresh start.
func (h *rateHistory) recent(id string) recentRate {
	r := recentRate{EverySeconds: rateEvery.Seconds(), Matches: []float64{}, Errors: []float64{}}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.samples[id]
	if s == nil {
		return r
	}
	size := len(s.matches)
	first := (s.next - s.n + size) % size
	for k := 1; k < s.n; k++ {
		prev, cur := (first+k-1)%size, (first+k)%size
		r.Matches = append(r.Matches, delta(s.matches[prev], s.matches[cur]))
		r.Errors = append(r.Errors, delta(s.errors[prev], s.errors[cur]))
	}
	return r
}

func delta(prev, cur float64) float64 {
	if cur < prev {
		return cur
	}
	return cur - prev
}

// sampleRates samples the rule counters every rateEvery until done closes.
func (g *Gateway) sampleRates(done <-chan struct{}) {
	t := time.NewTicker(rateEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if l := g.live.Load(); l != nil {
				g.rates.sample(l)
			}
		}
	}
}
