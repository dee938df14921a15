package textfn

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// evalCase is one labelled message of testdata/eval.tsv.
type evalCase struct {
	profane  bool
	category string
	text     string
	// heldOut numbers the held-out batch the case is in (0: none): each
	// starts at a "# --- held-out" line and was never used to tune matching.
	heldOut int
}

func readEval(t testing.TB) []evalCase {
	t.Helper()
	f, err := os.Open("testdata/eval.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []evalCase
	heldOut := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "# --- held-out") {
			heldOut++
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || fields[0] != "0" && fields[0] != "1" {
			t.Fatalf("eval.tsv:%d: want label<TAB>category<TAB>text", n)
		}
		cases = append(cases, evalCase{fields[0] == "1", fields[1], fields[2], heldOut})
	}
	return cases
}

// score is a confusion matrix with its examples.
type score struct {
	tp, fp, tn, fn int
	missed, wrong  []string // false negatives, false positives
}

func (s *score) add(c evalCase, got bool) {
	switch {
	case c.profane && got:
		s.tp++
	case c.profane:
		s.fn++
		s.missed = append(s.missed, c.category+": "+c.text)
	case got:
		s.fp++
		s.wrong = append(s.wrong, c.category+": "+c.text)
	default:
		s.tn++
	}
}

func (s *score) accuracy() float64 {
	return float64(s.tp+s.tn) / float64(s.tp+s.tn+s.fp+s.fn)
}
func (s *score) precision() float64 { return float64(s.tp) / float64(max(1, s.tp+s.fp)) }
func (s *score) recall() float64    { return float64(s.tp) / float64(max(1, s.tp+s.fn)) }

func (s *score) String() string {
	return fmt.Sprintf("accuracy %.1f%%, precision %.1f%%, recall %.1f%% (tp %d, fp %d, tn %d, fn %d)",
		100*s.accuracy(), 100*s.precision(), 100*s.recall(), s.tp, s.fp, s.tn, s.fn)
}

// TestEvaluation measures Profane on the hand-labelled evaluation set and
// fails below the floors, which are set a little under the figures reached
// when they were set, so that a change that loses ground shows. The set
// holds known failures on purpose (masks that show one letter, slurs glued
// inside usernames, place names that are profane words): see the lists in
// the log with -v.
func TestEvaluation(t *testing.T) {
	cases := readEval(t)
	if len(cases) < 400 {
		t.Fatalf("the evaluation set has %d cases, want at least 400", len(cases))
	}
	var all score
	var held []score // by batch
	byCat := map[string]*score{}
	for _, c := range cases {
		got := Profane(c.text)
		all.add(c, got)
		if c.heldOut > 0 {
			for len(held) < c.heldOut {
				held = append(held, score{})
			}
			held[c.heldOut-1].add(c, got)
		}
		key := map[bool]string{true: "profane/", false: "innocent/"}[c.profane] + c.category
		if byCat[key] == nil {
			byCat[key] = &score{}
		}
		byCat[key].add(c, got)
	}
	t.Logf("Profane on %d cases: %v", len(cases), &all)
	for i := range held {
		h := &held[i]
		t.Logf("  of which held-out batch %d (%d cases): %v; missed %q, wrongly caught %q",
			i+1, h.tp+h.tn+h.fp+h.fn, h, h.missed, h.wrong)
	}
	keys := make([]string, 0, len(byCat))
	for k := range byCat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := byCat[k]
		t.Logf("  %-22s %3d/%-3d right", k, s.tp+s.tn, s.tp+s.tn+s.fp+s.fn)
	}
	t.Logf("missed: %q", all.missed)
	t.Logf("wrongly caught: %q", all.wrong)
	const (
		minAccuracy  = 0.96 // 96.7% when set
		minPrecision = 0.97 // 97.7%
		minRecall    = 0.94 // 95.5%
	)
	if all.accuracy() < minAccuracy || all.precision() < minPrecision || all.recall() < minRecall {
		t.Errorf("Profane: %v; floors: accuracy %.0f%%, precision %.0f%%, recall %.0f%%\nmissed: %q\nwrongly caught: %q",
			&all, 100*minAccuracy, 100*minPrecision, 100*minRecall, all.missed, all.wrong)
	}
}
