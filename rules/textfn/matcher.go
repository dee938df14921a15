package textfn

import (
	"slices"
	"unicode/utf8"
)

// Matcher is a word list compiled once, typically when rules are loaded, so
// that matching a message against it costs about the same whether the list
// has a hundred entries or a hundred thousand: one pass over the message
// through an Aho-Corasick automaton.
//
// A Matcher gives exactly the results of the functions of the same name
// that take a list (HasWord, HasSubstring, Mask). It is safe for concurrent
// use, and the zero Matcher and a nil *Matcher match nothing.
type Matcher struct {
	n       int
	entries []Entry
	word    *automaton // word, prefix, infix entries and their exceptions, on the squeezed word stream
	wordRef refTable
	lit     *automaton // literal entries ("a$$", "f*ck"), on the modeLit stream
	litRef  refTable
	sub     *automaton // the roots of all entries but exceptions, on the modeSub stream
	masked  *maskIndex // single-word roots, for words with masked letters
	except  bool       // some entry is an exception
}

// ref is one entry ending at an automaton node.
type ref struct {
	entry   int32
	flags   uint8
	nreq    uint8 // requirements req[reqAt:reqAt+nreq]
	reqAt   int32
	lastAt  int16 // key offset of the root's last kept rune (fEDrop)
	lastCnt uint8 // and how often the root repeats it
}

const (
	fEnd    = 1 << iota // a word entry: the word must end here, or after an inflection
	fEDrop              // the key lacks the root's final "e" (rape: raping, raped)
	fExcept             // an exception
	fExact              // a word entry without inflections (exceptions: "!bitche" is not "!bitches")
)

// reqPair says that the letter at key offset off repeats at least n times
// in the root ("ass": s twice), so the squeezed text must repeat it as often.
type reqPair struct {
	off uint16
	n   uint8
}

// refTable attaches refs to the terminal nodes of an automaton.
type refTable struct {
	node  []int32 // per node: index into start, or -1
	start []int32 // the refs of terminal k are refs[start[k]:start[k+1]]
	refs  []ref
	req   []reqPair
}

func (t *refTable) of(v int32) []ref {
	k := t.node[v]
	if k < 0 {
		return nil
	}
	return t.refs[t.start[k]:t.start[k+1]]
}

// NewMatcher compiles entries, in the list syntax of the package
// documentation ("word", "word*", "*word*", "!word"); malformed entries are
// left out (CompileList reports them). Matching ignores case and the amount
// of white space; blank entries are ignored. Entries are not otherwise
// normalized: to match normalized text (HasWord(Normalize(s), …)) write them
// in normalized form, or use CompileList with normalize.
func NewMatcher(entries []string) *Matcher {
	m, _ := CompileList(entries, false)
	return m
}

type keyed struct {
	key []byte
	r   ref
}

func newMatcher(entries []Entry) *Matcher {
	m := &Matcher{}
	seen := make(map[string]struct{}, len(entries))
	var words, lits []keyed
	var subs [][]byte
	var wreq []reqPair
	var cnt []uint8
	for _, e := range entries {
		mode, ok := entryMode(e.Root)
		if !ok {
			continue
		}
		id := string(appendStream([]byte{byte(e.Kind), boolByte(e.Except)}, nil, e.Root, mode))
		if _, dup := seen[id]; dup {
			if !e.Except && e.sub != "" {
				// " ass" and "ass" are one entry, but not one substring.
				subs = append(subs, appendStream(nil, nil, e.sub, modeSub))
			}
			continue
		}
		seen[id] = struct{}{}
		idx := int32(len(m.entries))
		m.entries = append(m.entries, e)
		var flags uint8
		if e.Except {
			flags |= fExcept
			m.except = true
		} else {
			sub := e.Root
			if e.sub != "" {
				sub = e.sub
			}
			subs = append(subs, appendStream(nil, nil, sub, modeSub))
		}
		if mode == modeLit {
			lits = append(lits, keyed{appendStream(nil, nil, e.Root, modeLit), ref{entry: idx, flags: flags, reqAt: -1}})
			continue
		}
		var k []byte
		k, cnt, _ = appendWordStream(nil, cnt[:0], nil, e.Root)
		k, cnt = k[:len(k)-1], cnt[:len(cnt)-1] // the final markEnd
		r := ref{entry: idx, flags: flags, reqAt: int32(len(wreq))}
		switch e.Kind {
		case KindWord:
			r.flags |= fEnd
			if e.Except {
				r.flags |= fExact
				break
			}
			// A single final e goes, so that raping and raped follow rape.
			if n := len(k); n >= 3 && n < 1<<15 && k[n-1] == 'e' && cnt[n-1] == 1 && isASCIILetter(k[n-2]) && isASCIILetter(k[n-3]) {
				k, cnt = k[:n-1], cnt[:n-1]
				r.flags |= fEDrop
				r.lastAt, r.lastCnt = int16(n-2), cnt[n-2]
			}
		case KindInfix:
			k, cnt = k[1:], cnt[1:]
		}
		for i := 0; i < len(k) && i < 1<<16 && r.nreq < 255; i++ {
			if cnt[i] > 1 && utf8.RuneStart(k[i]) {
				wreq = append(wreq, reqPair{uint16(i), cnt[i]})
				r.nreq++
			}
		}
		words = append(words, keyed{k, r})
	}
	m.n = len(m.entries)
	if len(words) > 0 {
		m.word, m.wordRef = buildTable(words)
		m.wordRef.req = wreq
	}
	if len(lits) > 0 {
		m.lit, m.litRef = buildTable(lits)
	}
	if len(subs) > 0 {
		m.sub = newAutomaton(subs)
	}
	m.masked = newMaskIndex(m.entries)
	return m
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' }

// buildTable builds the automaton of the keys and attaches their refs.
func buildTable(ks []keyed) (*automaton, refTable) {
	keys := make([][]byte, len(ks))
	for i := range ks {
		keys[i] = ks[i].key
	}
	a := newAutomaton(keys) // sorts keys, a copy of the slice headers
	node := make([]int32, len(ks))
	for i := range ks {
		v := int32(0)
		for _, c := range ks[i].key {
			v = a.child(v, c)
		}
		node[i] = v
	}
	order := make([]int, len(ks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return int(node[x] - node[y]) })
	t := refTable{node: make([]int32, len(a.label))}
	for i := range t.node {
		t.node[i] = -1
	}
	t.refs = make([]ref, 0, len(ks))
	for _, i := range order {
		v := node[i]
		if t.node[v] < 0 {
			t.node[v] = int32(len(t.start))
			t.start = append(t.start, int32(len(t.refs)))
		}
		t.refs = append(t.refs, ks[i].r)
	}
	t.start = append(t.start, int32(len(t.refs)))
	return a, t
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

// Entries returns the entries of m, as parsed, without duplicates.
func (m *Matcher) Entries() []Entry {
	if m == nil {
		return nil
	}
	return slices.Clone(m.entries)
}

// HasWord reports whether some entry of m occurs in s as a whole word or
// phrase, ignoring case, with the tolerances of the package documentation.
func (m *Matcher) HasWord(s string) bool {
	if m.empty() {
		return false
	}
	b := getScratch()
	defer putScratch(b)
	m.scan(s, b, true)
	return len(b.hits) > 0
}

// Matches returns the roots of the entries found in s (exceptions aside),
// in order of appearance, each once.
func (m *Matcher) Matches(s string) []string {
	out := []string{}
	if m.empty() {
		return out
	}
	b := getScratch()
	defer putScratch(b)
	m.scan(s, b, false)
	hs := b.hits
	// One entry per stretch of text: where several entries match the same
	// words ("f*ck" fits fuck and fvck), the longest match wins, then the
	// entry listed first.
	slices.SortStableFunc(hs, func(x, y hit) int {
		if x.start != y.start {
			return int(x.start - y.start)
		}
		if x.end != y.end {
			return int(y.end - x.end)
		}
		return int(x.entry - y.entry)
	})
	end := int32(-1)
	for _, h := range hs {
		if h.end <= end {
			continue
		}
		end = h.end
		if r := m.entries[h.entry].Root; !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func (m *Matcher) empty() bool { return m == nil || m.word == nil && m.lit == nil }

// HasSubstring reports whether the root of some entry of m (exceptions
// aside) occurs anywhere in s, ignoring case and the amount of white space.
func (m *Matcher) HasSubstring(s string) bool {
	if m == nil || m.sub == nil {
		return false
	}
	b := getScratch()
	defer putScratch(b)
	b.sub = appendStream(b.sub[:0], nil, s, modeSub)
	return m.sub.contains(b.sub)
}

// Mask returns s with every match of an entry of m replaced by one asterisk
// per rune, exactly as the function Mask does.
func (m *Matcher) Mask(s string) string {
	if m.empty() {
		return s
	}
	b := getScratch()
	defer putScratch(b)
	m.scan(s, b, false)
	if len(b.hits) == 0 {
		return s
	}
	mask := make([]bool, len(s))
	for _, h := range b.hits {
		for i := h.start; i < h.end; i++ {
			mask[i] = true
		}
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
	for _, t := range []*refTable{&m.wordRef, &m.litRef} {
		n += 4*(len(t.node)+len(t.start)) + 16*len(t.refs) + 4*len(t.req)
	}
	return n + m.masked.bytes()
}
