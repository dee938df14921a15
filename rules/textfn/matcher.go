package textfn

import (
	"hash/maphash"
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
	m := &Matcher{entries: make([]Entry, 0, len(entries))}
	// Keys are written one after another into arenas rather than each into
	// a slice of its own: a list of 100,000 entries is then a handful of
	// allocations, not several hundred thousand. A key's slice is capped,
	// so that later appends never write into it, and stays valid when an
	// arena grows.
	size := 0
	for _, e := range entries {
		size += len(e.Root) + 3
	}
	keyArena := make([]byte, 0, size)
	subArena := make([]byte, 0, size)
	seen := dedup{first: make(map[uint64]int32, len(entries)), more: map[uint64][]int32{}}
	var words, lits []keyed
	var subs [][]byte
	var wreq []reqPair
	var cnt []uint8
	var pos []int32
	var id, kbuf []byte
	cut := func(arena []byte, from int) []byte { return arena[from:len(arena):len(arena)] }
	for _, e := range entries {
		mode, ok := entryMode(e.Root)
		if !ok {
			continue
		}
		id = entryID(id[:0], e, mode)
		if !seen.add(id, int32(len(m.entries)), m.entries) {
			if !e.Except && e.sub != "" {
				// " ass" and "ass" are one entry, but not one substring.
				at := len(subArena)
				subArena = appendStream(subArena, nil, e.sub, modeSub)
				subs = append(subs, cut(subArena, at))
			}
			continue
		}
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
			at := len(subArena)
			subArena = appendStream(subArena, nil, sub, modeSub)
			subs = append(subs, cut(subArena, at))
		}
		if mode == modeLit {
			lits = append(lits, keyed{appendStream(nil, nil, e.Root, modeLit), ref{entry: idx, flags: flags, reqAt: -1}})
			continue
		}
		// The stream's bytes, counts and offsets are parallel: stream into
		// scratch, then copy the key into the arena.
		kbuf, cnt, pos = appendWordStream(kbuf[:0], cnt[:0], pos[:0], e.Root)
		at := len(keyArena)
		keyArena = append(keyArena, kbuf[:len(kbuf)-1]...) // without the final markEnd
		k := keyArena[at:]
		cnt = cnt[:len(cnt)-1]
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
				keyArena, k, cnt = keyArena[:len(keyArena)-1], k[:n-1], cnt[:n-1]
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
		words = append(words, keyed{k[:len(k):len(k)], r})
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

// entryID is what makes two entries one: kind, exception and stream.
func entryID(dst []byte, e Entry, mode streamMode) []byte {
	return appendStream(append(dst, byte(e.Kind), boolByte(e.Except)), nil, e.Root, mode)
}

// dedup is the set of entries already compiled, by the 64-bit hash of
// their entryID rather than by the ID itself: a list of 100,000 entries
// costs no string per entry. A hash seen before is checked against the
// entries that have it.
type dedup struct {
	first map[uint64]int32   // hash -> the entry that has it
	more  map[uint64][]int32 // hash -> further entries with it (a collision)
	buf   []byte
}

var dedupSeed = maphash.MakeSeed()

// add records that entry idx (about to be appended to entries, which holds
// the entries recorded so far) has ID id, and reports whether no earlier
// entry has that ID; if one has, idx is not recorded.
func (d *dedup) add(id []byte, idx int32, entries []Entry) bool {
	return d.addHashed(id, maphash.Bytes(dedupSeed, id), idx, entries)
}

// addHashed is add with the hash h of id given.
func (d *dedup) addHashed(id []byte, h uint64, idx int32, entries []Entry) bool {
	j, taken := d.first[h]
	if !taken {
		d.first[h] = idx
		return true
	}
	for _, j := range append([]int32{j}, d.more[h]...) {
		mode, _ := entryMode(entries[j].Root)
		d.buf = entryID(d.buf[:0], entries[j], mode)
		if string(d.buf) == string(id) {
			return false
		}
	}
	d.more[h] = append(d.more[h], idx)
	return true
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
	a, node := newAutomatonNodes(keys)
	// Group the refs by node, in order of node and, within a node, of
	// entry: a counting sort, linear in the number of keys.
	t := refTable{node: make([]int32, len(a.label))}
	for i := range t.node {
		t.node[i] = -1
	}
	per := make([]int32, len(a.label)+1)
	for _, v := range node {
		per[v+1]++
	}
	for v := 1; v < len(per); v++ {
		per[v] += per[v-1]
	}
	t.refs = make([]ref, len(ks))
	for i, v := range node {
		t.refs[per[v]] = ks[i].r
		per[v]++
	}
	// per[v] is now the end of v's refs; the start is where v-1's end.
	t.start = make([]int32, 0, a.keys+1)
	prevEnd := int32(0)
	for v := range t.node {
		if per[v] > prevEnd {
			t.node[v] = int32(len(t.start))
			t.start = append(t.start, prevEnd)
		}
		prevEnd = per[v]
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
	return m.matches(s, func(e int32) string { return m.entries[e].Root })
}

// matches returns name(e) for the entries e found in s, as Matches does.
func (m *Matcher) matches(s string, name func(int32) string) []string {
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
		if r := name(h.entry); !slices.Contains(out, r) {
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
