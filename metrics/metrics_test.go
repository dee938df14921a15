package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/modgate/modgate/metrics"
)

func TestSetRulesCreatesAndDeletesSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "v1")
	c := m.SetRules([]metrics.RuleInfo{
		{ID: "keep", Action: "drop", Mode: "enforce"},
		{ID: "remove", Action: "tag", Mode: "enforce"},
		{ID: "to-shadow", Action: "drop", Mode: "enforce"},
	})
	c.Match(0)
	c.Match(0)
	c.Error(1)

	const header = `
# HELP modgate_rule_matches_total Times each rule matched, shadow-mode rules included.
# TYPE modgate_rule_matches_total counter
`
	want := header + `
modgate_rule_matches_total{action="drop",mode="enforce",rule="keep"} 2
modgate_rule_matches_total{action="drop",mode="enforce",rule="to-shadow"} 0
modgate_rule_matches_total{action="tag",mode="enforce",rule="remove"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "modgate_rule_matches_total"); err != nil {
		t.Errorf("after the first load: %v", err)
	}

	// A reload: one rule removed, one switched to shadow mode, one added.
	c = m.SetRules([]metrics.RuleInfo{
		{ID: "keep", Action: "drop", Mode: "enforce"},
		{ID: "to-shadow", Action: "drop", Mode: "shadow"},
		{ID: "new", Action: "allow", Mode: "enforce"},
	})
	c.Match(1)
	want = header + `
modgate_rule_matches_total{action="allow",mode="enforce",rule="new"} 0
modgate_rule_matches_total{action="drop",mode="enforce",rule="keep"} 2
modgate_rule_matches_total{action="drop",mode="shadow",rule="to-shadow"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "modgate_rule_matches_total"); err != nil {
		t.Errorf("after the reload: %v", err)
	}
	wantErrors := `
# HELP modgate_rule_errors_total Times each rule failed at run time.
# TYPE modgate_rule_errors_total counter
modgate_rule_errors_total{rule="keep"} 0
modgate_rule_errors_total{rule="new"} 0
modgate_rule_errors_total{rule="to-shadow"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantErrors), "modgate_rule_errors_total"); err != nil {
		t.Errorf("error series after the reload: %v", err)
	}
	wantLoaded := `
# HELP modgate_rules_loaded Enabled rules in the rule set being served.
# TYPE modgate_rules_loaded gauge
modgate_rules_loaded 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantLoaded), "modgate_rules_loaded"); err != nil {
		t.Error(err)
	}
}

func TestTriggerLabelIsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "v1")
	m.Trigger("before_message").Observe(2, time.Millisecond)
	m.Trigger("cometchat-uid-1").Observe(0, time.Millisecond) // a client-chosen value
	m.Trigger("").Observe(0, time.Millisecond)
	want := `
# HELP modgate_messages_total Messages evaluated, by trigger and verdict.
# TYPE modgate_messages_total counter
modgate_messages_total{trigger="before_message",verdict="drop"} 1
modgate_messages_total{trigger="other",verdict="pass"} 2
`
	// Only the series that counted something are compared; the others
	// exist at zero.
	got, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	nonZero := 0
	for _, f := range got {
		if f.GetName() != "modgate_messages_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "trigger" && l.GetValue() == "cometchat-uid-1" {
					t.Error("a client-chosen trigger became a label value")
				}
			}
			if s.GetCounter().GetValue() > 0 {
				nonZero++
			}
		}
	}
	if nonZero != 2 {
		t.Errorf("%d non-zero series, want 2:%s", nonZero, want)
	}
}

func TestReloadGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "v1")
	at := time.Unix(1_800_000_000, 0)
	m.ReloadSucceeded(at)
	m.ReloadFailed()
	want := `
# HELP modgate_reloads_total Rule set loads, the first one included, by result.
# TYPE modgate_reloads_total counter
modgate_reloads_total{result="failure"} 1
modgate_reloads_total{result="success"} 1
# HELP modgate_rules_last_reload_success_timestamp_seconds Unix time of the last successful rule load.
# TYPE modgate_rules_last_reload_success_timestamp_seconds gauge
modgate_rules_last_reload_success_timestamp_seconds 1.8e+09
# HELP modgate_rules_last_reload_successful Whether the last attempt to load the rules succeeded (1) or failed (0).
# TYPE modgate_rules_last_reload_successful gauge
modgate_rules_last_reload_successful 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"modgate_reloads_total", "modgate_rules_last_reload_success_timestamp_seconds", "modgate_rules_last_reload_successful"); err != nil {
		t.Error(err)
	}
}

func TestLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "v1")
	m.SetRules([]metrics.RuleInfo{{ID: "r", Action: "drop", Mode: "enforce"}})
	m.Rejected("too_large")
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestRuleCountsReadTheServedCounters: Counts reports what /metrics does,
// and a rule kept by a reload keeps its counts while a changed one restarts.
func TestRuleCountsReadTheServedCounters(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	c := m.SetRules([]metrics.RuleInfo{{ID: "a", Action: "drop", Mode: "enforce"}, {ID: "b", Action: "tag", Mode: "shadow"}})
	c.Match(0)
	c.Match(0)
	c.Error(0)
	c.Match(1)
	if got, want := c.Len(), 2; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	for i, want := range [][2]float64{{2, 1}, {1, 0}} {
		if m, e := c.Counts(i); m != want[0] || e != want[1] {
			t.Errorf("Counts(%d) = %v, %v, want %v", i, m, e, want)
		}
	}
	served := `
# HELP modgate_rule_matches_total Times each rule matched, shadow-mode rules included.
# TYPE modgate_rule_matches_total counter
modgate_rule_matches_total{action="drop",mode="enforce",rule="a"} 2
modgate_rule_matches_total{action="tag",mode="shadow",rule="b"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(served), "modgate_rule_matches_total"); err != nil {
		t.Error(err)
	}
	// b becomes enforce: its match series is new; a is unchanged.
	c2 := m.SetRules([]metrics.RuleInfo{{ID: "b", Action: "tag", Mode: "enforce"}, {ID: "a", Action: "drop", Mode: "enforce"}})
	if m, e := c2.Counts(1); m != 2 || e != 1 {
		t.Errorf("a after reload = %v, %v, want 2, 1", m, e)
	}
	if m, _ := c2.Counts(0); m != 0 {
		t.Errorf("b after its mode changed = %v matches, want 0", m)
	}
}
