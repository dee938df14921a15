package server

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/metrics"
	"github.com/modgate/modgate/rules"
)

// liveOf is a rule set of the given ids with fresh counters.
func liveOf(m *metrics.Metrics, mode string, ids ...string) *live {
	rs := &rules.RuleSet{}
	infos := make([]metrics.RuleInfo, len(ids))
	for i, id := range ids {
		rs.Rules = append(rs.Rules, &rules.Rule{ID: id, Index: i})
		infos[i] = metrics.RuleInfo{ID: id, Action: "drop", Mode: mode}
	}
	return &live{rules: rs, counters: m.SetRules(infos)}
}

func TestRateHistory(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	l := liveOf(m, "enforce", "a", "b")
	h := newRateHistory()
	bump := func(l *live, i, matches, errors int) {
		for range matches {
			l.counters.Match(i)
		}
		for range errors {
			l.counters.Error(i)
		}
	}
	h.sample(l)
	if r := h.recent("a"); len(r.Matches) != 0 || r.EverySeconds != 10 {
		t.Fatalf("one sample: %+v, want no interval yet", r)
	}
	bump(l, 0, 3, 1)
	h.sample(l)
	bump(l, 0, 5, 0)
	bump(l, 1, 2, 0)
	h.sample(l)
	if r := h.recent("a"); fmt.Sprint(r.Matches, r.Errors) != "[3 5] [1 0]" {
		t.Errorf("a: %v %v, want [3 5] [1 0]", r.Matches, r.Errors)
	}
	if r := h.recent("b"); fmt.Sprint(r.Matches) != "[0 2]" {
		t.Errorf("b: %v, want [0 2]", r.Matches)
	}
	if r := h.recent("nope"); r.Matches == nil || len(r.Matches) != 0 {
		t.Errorf("unknown rule: %+v, want empty lists (JSON [])", r)
	}

	// The ring keeps the last rateSamples intervals.
	for i := range rateSamples + 5 {
		bump(l, 0, i, 0)
		h.sample(l)
	}
	r := h.recent("a")
	if len(r.Matches) != rateSamples || r.Matches[rateSamples-1] != rateSamples+4 || r.Matches[0] != 5 {
		t.Errorf("after a wrap: %d intervals %v", len(r.Matches), r.Matches)
	}

	// A reload that changes a's mode recreates its series from zero, and
	// drops b: a restarts, b is forgotten.
	l2 := liveOf(m, "shadow", "a")
	bump(l2, 0, 2, 0)
	h.sample(l2)
	if r := h.recent("a"); r.Matches[len(r.Matches)-1] != 2 {
		t.Errorf("after a reset: last interval %v, want 2", r.Matches[len(r.Matches)-1])
	}
	if _, ok := h.samples["b"]; ok {
		t.Error("a removed rule's samples are kept")
	}
}

func TestKeepBoundsStrings(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefghij…"},
		{strings.Repeat("é", 10), 5, "éé…"}, // é is 2 bytes: never cut inside a rune
	} {
		got := keep(tt.in, tt.max)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("keep(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// TestRecentDecisionsConcurrent: writers and readers at once keep the
// ring consistent (run with -race).
func TestRecentDecisionsConcurrent(t *testing.T) {
	d := newRecentDecisions(8, false)
	rule := &rules.Rule{ID: "r", Action: rules.ActionDrop, Mode: rules.ModeEnforce}
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				env := &rules.Env{Trigger: "before_message", Sender: rules.User{UID: fmt.Sprint("w", w, "-", i)}}
				d.record(env, &engine.Result{Verdict: engine.Drop, Matched: []*rules.Rule{rule}, Deciding: []*rules.Rule{rule}})
			}
		}()
	}
	for range 200 {
		for _, dec := range d.latest(8) {
			if dec.Verdict != "drop" || len(dec.Rules) != 1 || !strings.HasPrefix(dec.Sender, "w") {
				t.Fatalf("torn decision %+v", dec)
			}
		}
	}
	for range 4 {
		<-done
	}
	if got := d.latest(100); len(got) != 8 || d.seq.Load() != 2000 {
		t.Errorf("%d kept of %d, want 8 of 2000", len(got), d.seq.Load())
	}
}

// BenchmarkRecordDecision is what keeping one drop costs the hot path: in
// the console's ring, and in the decision log (to a file), for comparison.
func BenchmarkRecordDecision(b *testing.B) {
	drop := &rules.Rule{ID: "drop-banned", Action: rules.ActionDrop, Mode: rules.ModeEnforce}
	shadow := &rules.Rule{ID: "shadow-links", Action: rules.ActionTag, Mode: rules.ModeShadow}
	env := &rules.Env{Trigger: "before_message", AppID: "app", Text: "wire me money",
		Message: rules.Message{ID: "4711"}, Sender: rules.User{UID: "cometchat-uid-5"},
		Receiver: rules.Receiver{UID: "cometchat-guid-1", EntityType: "group"}}
	res := &engine.Result{Verdict: engine.Drop, Matched: []*rules.Rule{shadow, drop}, Deciding: []*rules.Rule{drop}}
	b.Run("console-ring", func(b *testing.B) {
		d := newRecentDecisions(DefaultRecentDecisions, false)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				d.record(env, res)
			}
		})
	})
	b.Run("decision-log", func(b *testing.B) {
		l, err := openDecisionLog(DecisionLogConfig{Enabled: true, Path: filepath.Join(b.TempDir(), "d.log")})
		if err != nil {
			b.Fatal(err)
		}
		defer l.close()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.record(env, res, time.Microsecond)
			}
		})
	})
}
