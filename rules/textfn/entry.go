package textfn

import (
	"errors"
	"fmt"
	"strings"
)

// EntryKind says how a list entry matches.
type EntryKind uint8

const (
	// KindWord matches the whole word or phrase, with the tolerances of the
	// package documentation (stretched letters, inflections, masked letters,
	// uneven splits): "wank".
	KindWord EntryKind = iota
	// KindPrefix matches any word starting with the root: "wank*".
	KindPrefix
	// KindInfix matches the root anywhere, even inside other words: "*wank*".
	KindInfix
)

// Entry is one parsed list entry.
type Entry struct {
	Root   string    // what is matched, without the syntax marks
	Kind   EntryKind // how it matches
	Except bool      // "!root": this never matches, even where another entry occurs in it
	// sub is what HasSubstring looks for: a plain entry as written, spaces
	// at its ends included (" ass" needs a space before it).
	sub string
}

// String writes e back in list syntax.
func (e Entry) String() string {
	s := e.Root
	switch e.Kind {
	case KindPrefix:
		s += "*"
	case KindInfix:
		s = "*" + s + "*"
	}
	if e.Except {
		s = "!" + s
	}
	return s
}

// minWildRoot is the shortest root, in letters and digits, that a prefix or
// infix entry may have: "*as*" or "fu*" would match half the dictionary.
const minWildRoot = 3

// errBlank is returned by ParseEntry for an entry of nothing but space,
// which lists skip.
var errBlank = errors.New("blank entry")

// ParseEntry parses one list entry: "word" (or a phrase, or a literal such as
// "a$$"), "word*", "*word*" and "!" before any of them for an exception. A
// blank entry is an error that list readers treat as "skip".
func ParseEntry(s string) (Entry, error) {
	s = strings.TrimFunc(s, isSpace)
	if s == "" {
		return Entry{}, errBlank
	}
	var e Entry
	if strings.HasPrefix(s, "!") && len(s) > 1 && !isSymbolRun(s) {
		e.Except = true
		s = strings.TrimFunc(s[1:], isSpace)
	} else if s == "!" {
		return Entry{}, errors.New(`"!" needs a word after it ("!cockpit")`)
	}
	lead, trail := strings.HasPrefix(s, "*"), strings.HasSuffix(s, "*")
	switch {
	case lead && trail && len(s) >= 2:
		e.Kind, s = KindInfix, s[1:len(s)-1]
	case trail:
		e.Kind, s = KindPrefix, s[:len(s)-1]
	case lead:
		return Entry{}, errors.New("a leading * needs a trailing one (*word* matches anywhere)")
	}
	s = strings.TrimFunc(s, isSpace)
	if e.Kind != KindWord {
		if s == "" || strings.Trim(s, "*") == "" {
			return Entry{}, errors.New("empty root")
		}
		if strings.HasPrefix(s, "*") || strings.HasSuffix(s, "*") {
			return Entry{}, errors.New("one * at each end at most")
		}
		if mode, _ := entryMode(s); mode != modeWord {
			return Entry{}, errors.New("the root of a * entry must be letters, digits and spaces")
		}
		letters := 0
		for _, r := range s {
			if isWordRune(foldCase(r)) && !isMark(r) {
				letters++
			}
		}
		if letters < minWildRoot {
			return Entry{}, fmt.Errorf("too short to be safe (a * entry needs at least %d letters)", minWildRoot)
		}
	}
	if s == "" {
		return Entry{}, errors.New(`"!" needs a word after it ("!cockpit")`)
	}
	e.Root = s
	return e, nil
}

// isSymbolRun reports whether s is made of "!" and other non-word runes
// only ("!!!"), a literal entry rather than an exception.
func isSymbolRun(s string) bool {
	for _, r := range s {
		if isWordRune(foldCase(r)) || r == '*' {
			return false
		}
	}
	return true
}

// EntryError is a malformed entry of a list: Index is its position among
// the entries given to CompileList.
type EntryError struct {
	Index int
	Entry string
	Err   error
}

func (e *EntryError) Error() string { return e.Err.Error() }
func (e *EntryError) Unwrap() error { return e.Err }

// CompileList parses entries and compiles them into a Matcher. With
// normalize, each root is passed through Normalize first, for matching
// normalized text. Every malformed entry is reported, as an *EntryError, in
// the joined error; the Matcher then holds the well-formed ones.
func CompileList(entries []string, normalize bool) (*Matcher, error) {
	parsed := make([]Entry, 0, len(entries))
	var errs []error
	for i, s := range entries {
		e, err := ParseEntry(s)
		if errors.Is(err, errBlank) {
			continue
		}
		if err != nil {
			errs = append(errs, &EntryError{Index: i, Entry: s, Err: err})
			continue
		}
		if normalize {
			e.Root = Normalize(e.Root)
			if e.Root == "" {
				continue
			}
		} else if e.Kind == KindWord && !e.Except {
			e.sub = s
		}
		parsed = append(parsed, e)
	}
	return newMatcher(parsed), errors.Join(errs...)
}
