// Package metrics owns modgate's Prometheus collectors (SPEC §7). They are
// registered on a Registerer passed in, never on the global registry, so
// tests and embedders each get their own.
//
// Labels never hold a user id, a message id or message text: rule ids,
// actions, modes, verdicts, reject reasons and a fixed set of trigger names
// are the only label values.
package metrics

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// Verdicts and the reasons a request is rejected, as label values.
var (
	Verdicts      = []string{"pass", "tag", "drop"}
	RejectReasons = []string{"unauthorized", "too_large", "bad_request"}
)

// Triggers are the trigger label values. A trigger outside this list is
// counted as "other": the trigger comes from the request, and an unbounded
// label would let any client create series at will.
var Triggers = []string{
	"before_message", "after_message", "moderation_api",
	"message_sent", "message_edited", "message_deleted",
	"message_delivered", "message_read",
	"message_reaction_added", "message_reaction_removed",
}

// TriggerOther is the trigger label of every trigger not in Triggers.
const TriggerOther = "other"

// DurationBuckets span a fast in-memory evaluation (50µs) to CometChat's
// 2-second budget.
var DurationBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2}

// StateResults are the result label values of modgate_state_operations_total.
var StateResults = []string{"ok", "error", "timeout", "skipped"}

// StateBuckets span a memory store (microseconds) to a Redis at the end of
// its state.timeout.
var StateBuckets = []float64{.00001, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25}

// Metrics holds every collector of the gateway.
type Metrics struct {
	messages       *prometheus.CounterVec
	ruleMatches    *prometheus.CounterVec
	ruleErrors     *prometheus.CounterVec
	evalDuration   *prometheus.HistogramVec
	rejected       *prometheus.CounterVec
	timeouts       prometheus.Counter
	rulesLoaded    prometheus.Gauge
	reloads        *prometheus.CounterVec
	lastReloadOK   prometheus.Gauge
	lastReloadTime prometheus.Gauge
	stateDuration  prometheus.Histogram
	stateBackend   *prometheus.GaugeVec
	strikes        *prometheus.CounterVec
	stateOps       map[string]prometheus.Counter

	// triggers caches each trigger's series, so the per-message path does
	// no label lookups.
	triggers map[string]*TriggerSeries
	rejects  map[string]prometheus.Counter

	mu    sync.Mutex
	rules []RuleInfo // the rules whose series exist now
}

// New creates the collectors and registers them, with the Go and process
// collectors, on reg. version is reported by modgate_build_info.
func New(reg prometheus.Registerer, version string) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_messages_total",
			Help: "Messages evaluated, by trigger and verdict.",
		}, []string{"trigger", "verdict"}),
		ruleMatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_rule_matches_total",
			Help: "Times each rule matched, shadow-mode rules included.",
		}, []string{"rule", "action", "mode"}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_rule_errors_total",
			Help: "Times each rule failed at run time.",
		}, []string{"rule"}),
		evalDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "modgate_evaluation_duration_seconds",
			Help:    "Time to decode and evaluate one message, by trigger.",
			Buckets: DurationBuckets,
		}, []string{"trigger"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_requests_rejected_total",
			Help: "Requests refused before evaluation, by reason.",
		}, []string{"reason"}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "modgate_evaluation_timeouts_total",
			Help: "Messages whose evaluation passed limits.evaluation_timeout and got the on_error answer.",
		}),
		rulesLoaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modgate_rules_loaded",
			Help: "Enabled rules in the rule set being served.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modgate_reloads_total",
			Help: "Rule set loads, the first one included, by result.",
		}, []string{"result"}),
		lastReloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modgate_rules_last_reload_successful",
			Help: "Whether the last attempt to load the rules succeeded (1) or failed (0).",
		}),
		lastReloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modgate_rules_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful rule load.",
		}),
		triggers: make(map[string]*TriggerSeries, len(Triggers)+1),
		rejects:  make(map[string]prometheus.Counter, len(RejectReasons)),
	}
	stateOps := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modgate_state_operations_total",
		Help: "State store operations (one count per message with stateful rules, one per strike write), by result: ok, error, timeout, or skipped while the circuit breaker is open.",
	}, []string{"result"})
	m.stateDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "modgate_state_operation_duration_seconds",
		Help:    "Time of one state store operation, skipped ones excluded.",
		Buckets: StateBuckets,
	})
	m.stateBackend = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "modgate_state_backend_info",
		Help: "A metric with a constant 1 labelled by the state store backend: memory or redis.",
	}, []string{"backend"})
	m.strikes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modgate_strikes_total",
		Help: "Strikes recorded, by the rule that recorded them.",
	}, []string{"rule"})
	m.stateOps = make(map[string]prometheus.Counter, len(StateResults))
	for _, r := range StateResults {
		m.stateOps[r] = stateOps.WithLabelValues(r)
	}
	reg.MustRegister(stateOps, m.stateDuration, m.stateBackend, m.strikes)

	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "modgate_build_info",
		Help: "A metric with a constant 1 labelled by the version modgate was built from.",
	}, []string{"version", "goversion"})
	buildInfo.WithLabelValues(version, runtime.Version()).Set(1)

	reg.MustRegister(m.messages, m.ruleMatches, m.ruleErrors, m.evalDuration, m.rejected, m.timeouts,
		m.rulesLoaded, m.reloads, m.lastReloadOK, m.lastReloadTime, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	for _, t := range append(slices.Clone(Triggers), TriggerOther) {
		ts := &TriggerSeries{duration: m.evalDuration.WithLabelValues(t)}
		for i, v := range Verdicts {
			ts.verdicts[i] = m.messages.WithLabelValues(t, v)
		}
		m.triggers[t] = ts
	}
	for _, r := range RejectReasons {
		m.rejects[r] = m.rejected.WithLabelValues(r)
	}
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	return m
}

// TriggerSeries are the series of one trigger.
type TriggerSeries struct {
	verdicts [3]prometheus.Counter
	duration prometheus.Observer
}

// Trigger returns the series of trigger, or of "other" for a trigger not in
// Triggers.
func (m *Metrics) Trigger(trigger string) *TriggerSeries {
	if ts, ok := m.triggers[trigger]; ok {
		return ts
	}
	return m.triggers[TriggerOther]
}

// Observe counts one evaluated message. verdict indexes Verdicts.
func (ts *TriggerSeries) Observe(verdict int, took time.Duration) {
	ts.verdicts[verdict].Inc()
	ts.duration.Observe(took.Seconds())
}

// Rejected counts a request refused for reason, one of RejectReasons.
func (m *Metrics) Rejected(reason string) {
	if c, ok := m.rejects[reason]; ok {
		c.Inc()
	}
}

// EvaluationTimedOut counts a message whose evaluation passed its deadline.
func (m *Metrics) EvaluationTimedOut() { m.timeouts.Inc() }

// RuleInfo names a loaded rule for its series.
type RuleInfo struct {
	ID, Action, Mode string
	// Strikes is set for a rule that records strikes: it gets a
	// modgate_strikes_total series.
	Strikes bool
}

// RuleCounters are the per-rule series of one rule set, indexed like the
// rules given to SetRules.
type RuleCounters struct {
	matches []prometheus.Counter
	errors  []prometheus.Counter
	strikes []prometheus.Counter // nil for rules without strike:
}

// Strike counts a strike recorded by rule i.
func (c *RuleCounters) Strike(i int) {
	if s := c.strikes[i]; s != nil {
		s.Inc()
	}
}

// StateOperation counts one state store operation; result is one of
// StateResults. Skipped operations are not timed: they did not happen.
func (m *Metrics) StateOperation(result string, took time.Duration) {
	if c, ok := m.stateOps[result]; ok {
		c.Inc()
	}
	if result != "skipped" {
		m.stateDuration.Observe(took.Seconds())
	}
}

// SetStateBackend reports the state store backend in use.
func (m *Metrics) SetStateBackend(name string) {
	m.stateBackend.Reset()
	m.stateBackend.WithLabelValues(name).Set(1)
}

// Match counts a match of rule i.
func (c *RuleCounters) Match(i int) { c.matches[i].Inc() }

// Error counts a run-time failure of rule i.
func (c *RuleCounters) Error(i int) { c.errors[i].Inc() }

// Len is the number of rules counted.
func (c *RuleCounters) Len() int { return len(c.matches) }

// Counts reads how often rule i has matched and failed since its series
// were created (a rule kept across reloads keeps its counts). It reads the
// very counters /metrics serves, so the console and Prometheus agree and
// the hot path counts once.
func (c *RuleCounters) Counts(i int) (matches, errors float64) {
	return counterValue(c.matches[i]), counterValue(c.errors[i])
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

// SetRules makes the per-rule series match a newly loaded rule set: series
// of new rules are created at zero, so a dashboard shows a rule before it
// first matches; series of removed rules (or of a rule whose action or mode
// changed) are deleted. Counters of rules that stay keep counting.
func (m *Metrics) SetRules(rules []RuleInfo) *RuleCounters {
	m.mu.Lock()
	defer m.mu.Unlock()
	keepID := make(map[string]bool, len(rules))
	keep := make(map[RuleInfo]bool, len(rules))
	keepStrikes := make(map[string]bool)
	for _, r := range rules {
		keepID[r.ID] = true
		keep[RuleInfo{ID: r.ID, Action: r.Action, Mode: r.Mode}] = true
		if r.Strikes {
			keepStrikes[r.ID] = true
		}
	}
	for _, old := range m.rules {
		if !keep[RuleInfo{ID: old.ID, Action: old.Action, Mode: old.Mode}] {
			m.ruleMatches.DeleteLabelValues(old.ID, old.Action, old.Mode)
		}
		if !keepID[old.ID] {
			m.ruleErrors.DeleteLabelValues(old.ID)
		}
		if old.Strikes && !keepStrikes[old.ID] {
			m.strikes.DeleteLabelValues(old.ID)
		}
	}
	m.rules = slices.Clone(rules)

	c := &RuleCounters{
		matches: make([]prometheus.Counter, len(rules)),
		errors:  make([]prometheus.Counter, len(rules)),
		strikes: make([]prometheus.Counter, len(rules)),
	}
	for i, r := range rules {
		c.matches[i] = m.ruleMatches.WithLabelValues(r.ID, r.Action, r.Mode)
		c.errors[i] = m.ruleErrors.WithLabelValues(r.ID)
		if r.Strikes {
			c.strikes[i] = m.strikes.WithLabelValues(r.ID)
		}
	}
	m.rulesLoaded.Set(float64(len(rules)))
	return c
}

// ReloadSucceeded records a successful load of the rules at t.
func (m *Metrics) ReloadSucceeded(t time.Time) {
	m.reloads.WithLabelValues("success").Inc()
	m.lastReloadOK.Set(1)
	m.lastReloadTime.Set(float64(t.UnixNano()) / 1e9)
}

// ReloadFailed records a failed load; the rules served do not change.
func (m *Metrics) ReloadFailed() {
	m.reloads.WithLabelValues("failure").Inc()
	m.lastReloadOK.Set(0)
}
