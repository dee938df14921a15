// Command peers compares modgate's matching with open profanity filters on
// modgate's labelled evaluation set (rules/textfn/testdata/eval.tsv): the
// built-in profane(), the plain-list path hasWord(normalize(text), list)
// with an unmarked third-party list, go-away (Go) and obscenity (npm, whose
// answers run.sh computes with node and passes in a file).
//
// It is a module of its own so that go-away never enters modgate's go.mod.
// Run it through run.sh.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	goaway "github.com/TwiN/go-away"

	"github.com/modgate/modgate/rules/textfn"
)

type evalCase struct {
	profane bool
	text    string
	batch   int // the held-out batch ("# --- held-out" lines) the case is in, 0 for none
}

type score struct{ tp, fp, tn, fn int }

func (s *score) add(want, got bool) {
	switch {
	case want && got:
		s.tp++
	case want:
		s.fn++
	case got:
		s.fp++
	default:
		s.tn++
	}
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(max(1, b)) }

func main() {
	evalPath := flag.String("eval", "../../rules/textfn/testdata/eval.tsv", "the labelled evaluation set")
	listPath := flag.String("list", "", "a JSON array of words: the third-party list for the plain-list path (LDNOOBW en.json)")
	obscenityPath := flag.String("obscenity", "", "obscenity's answers, one 0 or 1 a line in the order of the set")
	flag.Parse()

	cases, err := readEval(*evalPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	type filter struct {
		name string
		fn   func(i int, s string) bool
	}
	filters := []filter{
		{"modgate `profane(text)` (built-in dataset)", func(_ int, s string) bool { return textfn.Profane(s) }},
	}
	if *listPath != "" {
		data, err := os.ReadFile(*listPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var words []string
		if err := json.Unmarshal(data, &words); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// What rules do for hasWord(normalize(text), lists.x): the list's
		// entries normalized, compiled once.
		m, err := textfn.CompileList(words, true)
		if err != nil {
			fmt.Fprintln(os.Stderr, "list:", err)
		}
		filters = append(filters, filter{fmt.Sprintf("modgate `hasWord(normalize(text), list)`, LDNOOBW (%d entries)", len(words)),
			func(_ int, s string) bool { return m.HasWord(textfn.Normalize(s)) }})
	}
	filters = append(filters, filter{"go-away v1.6.13 `IsProfane`", func(_ int, s string) bool { return goaway.IsProfane(s) }})
	if *obscenityPath != "" {
		answers, err := readAnswers(*obscenityPath)
		if err != nil || len(answers) != len(cases) {
			fmt.Fprintf(os.Stderr, "obscenity answers: %v (%d answers, %d cases)\n", err, len(answers), len(cases))
			os.Exit(1)
		}
		filters = append(filters, filter{"obscenity 0.4.6 (English dataset, recommended transformers)", func(i int, _ string) bool { return answers[i] }})
	}

	last := 0
	for _, c := range cases {
		last = max(last, c.batch)
	}
	table := func(title string, keep func(evalCase) bool) {
		n, p := 0, 0
		for _, c := range cases {
			if keep(c) {
				n++
				if c.profane {
					p++
				}
			}
		}
		fmt.Printf("%s: %d cases (%d profane, %d innocent)\n\n", title, n, p, n-p)
		fmt.Println("| filter | accuracy | precision | recall | false positives | false negatives |")
		fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: |")
		for _, f := range filters {
			var s score
			for i, c := range cases {
				if keep(c) {
					s.add(c.profane, f.fn(i, c.text))
				}
			}
			fmt.Printf("| %s | %.1f%% | %.1f%% | %.1f%% | %d | %d |\n", f.name,
				pct(s.tp+s.tn, n), pct(s.tp, s.tp+s.fp), pct(s.tp, s.tp+s.fn), s.fp, s.fn)
		}
		fmt.Println()
	}
	table("the whole set", func(evalCase) bool { return true })
	if last > 0 {
		table(fmt.Sprintf("held-out batch %d only (written last, never used to tune)", last),
			func(c evalCase) bool { return c.batch == last })
	}
}

func count(cases []evalCase, profane bool) int {
	n := 0
	for _, c := range cases {
		if c.profane == profane {
			n++
		}
	}
	return n
}

func readEval(path string) ([]evalCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []evalCase
	batch := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# --- held-out") {
			batch++
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		cases = append(cases, evalCase{fields[0] == "1", fields[2], batch})
	}
	return cases, sc.Err()
}

func readAnswers(path string) ([]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []bool
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		out = append(out, l == "1")
	}
	return out, nil
}
