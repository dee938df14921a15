package textfn

// Matcher is a word list compiled once, typically when rules are loaded, so
// that matching a message against it costs about the same whether the list
// has a hundred entries or a hundred thousand: one pass over the message
// through an Aho-Corasick automaton.
//
// A Matcher gives exactly the results of the functions of the same name
// that take a list (HasWord, HasSubstring, Mask). It is safe for concurrent
// use, and the zero Matcher and a nil *Matcher match nothing.
type Matcher struct {
	n    int
	word *automaton // entries of words and spaces, on the modeWord stream
	lit  *automaton // entries with punctuation or symbols, on the modeLit stream
	sub  *automaton // every entry, on the modeSub stream
}

// NewMatcher compiles entries. Matching ignores case (entries and text are
// both folded to lower case) and the amount of white space; blank entries
// are ignored. Entries are not otherwise normalized: to match normalized
// text (HasWord(Normalize(s), …)) write them in normalized form, for
// instance by passing each through Normalize.
func NewMatcher(entries []string) *Matcher {
	var word, lit, sub [][]byte
	for _, e := range entries {
		mode, ok := entryMode(e)
		if !ok {
			continue
		}
		k := appendStream(nil, nil, e, mode)
		if mode == modeWord {
			word = append(word, k)
		} else {
			lit = append(lit, k)
		}
		sub = append(sub, appendStream(nil, nil, e, modeSub))
	}
	m := &Matcher{}
	if len(word) > 0 {
		m.word = newAutomaton(word)
	}
	if len(lit) > 0 {
		m.lit = newAutomaton(lit)
	}
	if len(sub) > 0 {
		m.sub = newAutomaton(sub)
	}
	if m.word != nil {
		m.n += m.word.keys
	}
	if m.lit != nil {
		m.n += m.lit.keys
	}
	return m
}

// Len returns the number of distinct entries in m: blank entries and
// entries that differ only in case or in the amount of white space count
// once.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return m.n
}

// HasWord reports whether some entry of m occurs in s as a whole word or
// phrase, ignoring case; see the package documentation. It does not allocate.
func (m *Matcher) HasWord(s string) bool {
	if m == nil || m.word == nil && m.lit == nil {
		return false
	}
	b := getScratch()
	defer putScratch(b)
	if m.word != nil {
		b.word = appendStream(b.word[:0], nil, s, modeWord)
		if m.word.contains(b.word) {
			return true
		}
	}
	if m.lit != nil {
		b.lit = appendStream(b.lit[:0], nil, s, modeLit)
		if m.lit.contains(b.lit) {
			return true
		}
	}
	return false
}

// HasSubstring reports whether some entry of m occurs anywhere in s,
// ignoring case and the amount of white space.
func (m *Matcher) HasSubstring(s string) bool {
	if m == nil || m.sub == nil {
		return false
	}
	b := getScratch()
	defer putScratch(b)
	b.sub = appendStream(b.sub[:0], nil, s, modeSub)
	return m.sub.contains(b.sub)
}

// Mask returns s with every whole-word or phrase match of an entry of m
// replaced by one asterisk per rune, exactly as the function Mask does.
func (m *Matcher) Mask(s string) string {
	if m == nil || m.word == nil && m.lit == nil {
		return s
	}
	b := getScratch()
	defer putScratch(b)
	var mask []bool
	if m.word != nil {
		b.wordPos = b.wordPos[:0]
		b.word = appendStream(b.word[:0], &b.wordPos, s, modeWord)
		m.word.each(b.word, func(start, end int) {
			mask = markSpan(mask, s, b.word, b.wordPos, start, end)
		})
	}
	if m.lit != nil {
		b.litPos = b.litPos[:0]
		b.lit = appendStream(b.lit[:0], &b.litPos, s, modeLit)
		m.lit.each(b.lit, func(start, end int) {
			mask = markSpan(mask, s, b.lit, b.litPos, start, end)
		})
	}
	return applyMask(s, mask)
}

// bytes returns the approximate memory the matcher holds.
func (m *Matcher) bytes() int {
	n := 0
	for _, a := range []*automaton{m.word, m.lit, m.sub} {
		if a != nil {
			n += a.bytes()
		}
	}
	return n
}
