package textfn

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// DatasetPath is where the built-in dataset lives in the repository, for
// error messages and reviewers.
const DatasetPath = "rules/textfn/data/profanity-en.txt"

//go:embed data/profanity-en.txt
var datasetText string

var dataset struct {
	once      sync.Once
	m         *Matcher
	canonical map[string]string // normalized root -> canonical spelling, for respellings
	err       error
}

// Dataset returns the built-in English profanity dataset, compiled for
// matching normalized text, and the problems found in it (each an
// *EntryError whose Index is the line number, from 1): a malformed entry
// is left out and reported, never fatal.
func Dataset() (*Matcher, error) {
	dataset.once.Do(func() {
		entries, lines := ParseListText(datasetText)
		m, err := CompileList(entries, true)
		canonical, cerrs := canonicalSpellings(datasetText)
		errs := cerrs
		for _, e := range joined(err) {
			var ee *EntryError
			if errors.As(e, &ee) {
				ee.Index = lines[ee.Index]
			}
			errs = append(errs, e)
		}
		if !utf8.ValidString(datasetText) {
			errs = append(errs, fmt.Errorf("%s is not UTF-8 text", DatasetPath))
		}
		dataset.m, dataset.canonical, dataset.err = m, canonical, errors.Join(errs...)
	})
	return dataset.m, dataset.err
}

// canonicalSpellings reads the canonical spellings of a dataset's
// respellings: an entry followed by a comment that starts with "=" names
// it ("phuck  # = fuck"). The comment keeps the file a plain list for every
// other reader. It maps each such entry's normalized root to the spelling.
func canonicalSpellings(text string) (map[string]string, []error) {
	out := map[string]string{}
	var errs []error
	for n, line := range strings.Split(strings.TrimPrefix(text, "\ufeff"), "\n") {
		i := strings.IndexByte(line, '#')
		if i < 0 {
			continue
		}
		spec, ok := strings.CutPrefix(strings.TrimSpace(line[i+1:]), "=")
		entry := strings.TrimSpace(line[:i])
		if !ok || entry == "" {
			continue
		}
		e, err := ParseEntry(entry)
		canon := Normalize(strings.TrimSpace(spec))
		switch {
		case err != nil:
			continue // reported by CompileList
		case e.Except:
			errs = append(errs, fmt.Errorf("%s:%d: an exception has no canonical spelling", DatasetPath, n+1))
		case canon == "":
			errs = append(errs, fmt.Errorf("%s:%d: empty canonical spelling after \"# =\"", DatasetPath, n+1))
		default:
			root := Normalize(e.Root)
			if prev, dup := out[root]; dup && prev != canon {
				errs = append(errs, fmt.Errorf("%s:%d: %q is spelled %q here and %q before", DatasetPath, n+1, root, canon, prev))
			}
			out[root] = canon
		}
	}
	return out, errs
}

func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// ParseListText splits the text of a list file into entries: one a line,
// '#' starting a comment, surrounding space trimmed, blank lines skipped. It
// returns the line number (from 1) of each entry beside it.
func ParseListText(text string) (entries []string, lines []int) {
	text = strings.TrimPrefix(text, "\ufeff")
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			entries = append(entries, line)
			lines = append(lines, n+1)
		}
	}
	return entries, lines
}

// Profane reports whether s contains a word or phrase of the built-in
// dataset, with every tolerance of matching, once normalized.
func Profane(s string) bool {
	m, _ := Dataset()
	return m.HasWord(Normalize(s))
}

// Profanities returns the entries of the built-in dataset found in s, in
// canonical spelling (a respelling such as "phuck" reads as "fuck"), in
// order of appearance, each once.
func Profanities(s string) []string {
	m, _ := Dataset()
	canonical := dataset.canonical
	return m.matches(Normalize(s), func(e int32) string {
		root := m.entries[e].Root
		if c, ok := canonical[root]; ok {
			return c
		}
		return root
	})
}

// Censor returns s with each match of the built-in dataset replaced by one
// "*" per rune. Matching sees s normalized; a match is mapped back to the
// runes of s word by word, so "f.u.c.k" and "sh1t" are starred as written.
func Censor(s string) string {
	m, _ := Dataset()
	return censor(m, s)
}

// censor masks the matches of m in Normalize(s) on s. Normalize changes the
// length of text, so the matches are found chunk by chunk (a chunk is a run
// of non-space characters): each chunk that matches on its own is masked
// where it matches (or whole, when normalizing changed its length), then
// each run of two to eight chunks that matches only together ("f u c k",
// "fu ck", "kill yourself") is masked whole.
func censor(m *Matcher, s string) string {
	if m.empty() || !m.HasWord(Normalize(s)) {
		return s
	}
	type chunk struct{ from, to int }
	var chunks []chunk
	start := -1
	for i, r := range s {
		if isSpace(r) {
			if start >= 0 {
				chunks = append(chunks, chunk{start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		chunks = append(chunks, chunk{start, len(s)})
	}
	mask := make([]bool, len(s))
	masked := make([]bool, len(chunks))
	markAll := func(c chunk) {
		for i := c.from; i < c.to; i++ {
			mask[i] = true
		}
	}
	for k, c := range chunks {
		w := s[c.from:c.to]
		n := Normalize(w)
		if !m.HasWord(n) {
			continue
		}
		masked[k] = true
		mn := m.Mask(n)
		if utf8.RuneCountInString(n) != utf8.RuneCountInString(w) {
			markAll(c)
			continue
		}
		// Normalizing kept the runes in place (case, leetspeak, look-alikes):
		// mask the same runes of the original.
		mr := []rune(mn)
		j := 0
		for i := range w {
			if mr[j] == '*' {
				_, size := utf8.DecodeRuneInString(w[i:])
				for b := 0; b < size; b++ {
					mask[c.from+i+b] = true
				}
			}
			j++
		}
	}
	for size := 2; size <= 8; size++ {
		for k := 0; k+size <= len(chunks); k++ {
			skip := false
			for _, done := range masked[k : k+size] {
				skip = skip || done
			}
			if skip || !m.HasWord(Normalize(s[chunks[k].from:chunks[k+size-1].to])) {
				continue
			}
			end := k + size
			// A spaced-out word goes on as long as single letters follow
			// ("f u c k": "f u c" already reads as fuc).
			for end < len(chunks) && !masked[end] && utf8.RuneCountInString(s[chunks[end].from:chunks[end].to]) == 1 &&
				utf8.RuneCountInString(s[chunks[end-1].from:chunks[end-1].to]) == 1 {
				end++
			}
			for x := k; x < end; x++ {
				masked[x] = true
				markAll(chunks[x])
			}
		}
	}
	return applyMask(s, mask)
}
