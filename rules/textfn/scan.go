package textfn

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// The word stream of matching (see appendStream) squeezes every run of one
// letter into one, and records beside each byte how often its letter came
// in a row: "fuuuck" becomes ⟨fuck⟩ with u counted 3. Entries are squeezed
// the same way, and a match must repeat each letter at least as often as the
// entry does, so "asss" matches "ass" but "as" does not.

// wordStreamer writes a squeezed word stream: the bytes, the count of each
// byte's letter and the offset in the text of the rune each byte stands for.
type wordStreamer struct {
	dst    []byte
	cnt    []uint8
	pos    []int32
	inWord bool
	gap    bool // a run of separators is pending
	gapAt  int
	start  bool // something has been written
	last   rune // the last rune written in the current word
	lastAt int  // where its bytes start in dst
}

func (w *wordStreamer) emit(b byte, at int) {
	w.dst = append(w.dst, b)
	w.cnt = append(w.cnt, 1)
	w.pos = append(w.pos, int32(at))
}

// add streams s, whose offsets are counted from base. Consecutive calls
// without a separator between them continue the same word.
func (w *wordStreamer) add(s string, base int) {
	for i := 0; i < len(s); {
		c := s[i]
		r, size := rune(c), 1
		var word bool
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
				r = rune(c)
			}
			word = 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
			r = foldCase(r)
			word = isWordRune(r)
		}
		at := base + i
		i += size
		if !word {
			if w.inWord {
				w.emit(markEnd, at)
				w.inWord = false
			}
			if !w.gap {
				w.gap, w.gapAt = true, at
			}
			continue
		}
		if w.gap {
			if w.start {
				w.emit(' ', w.gapAt)
			}
			w.gap = false
		}
		w.start = true
		if !w.inWord {
			w.emit(markBegin, at)
			w.inWord, w.last = true, -1
		} else if r == w.last && (r < '0' || r > '9') {
			for k := w.lastAt; k < len(w.dst); k++ {
				if w.cnt[k] < 255 {
					w.cnt[k]++
				}
			}
			continue
		}
		w.last, w.lastAt = r, len(w.dst)
		if r < utf8.RuneSelf {
			w.emit(byte(r), at)
			continue
		}
		var buf [utf8.UTFMax]byte
		for _, x := range buf[:utf8.EncodeRune(buf[:], r)] {
			w.emit(x, at)
		}
	}
}

func (w *wordStreamer) finish(end int) {
	if w.inWord {
		w.emit(markEnd, end)
		w.inWord = false
	}
}

// appendWordStream appends the squeezed word stream of s to dst, the count
// of each byte's letter to cnt and the offset in s of the rune each byte
// stands for to pos.
func appendWordStream(dst []byte, cnt []uint8, pos []int32, s string) ([]byte, []uint8, []int32) {
	w := wordStreamer{dst: dst, cnt: cnt, pos: pos}
	w.add(s, 0)
	w.finish(len(s))
	return w.dst, w.cnt, w.pos
}

// hit is a match of entry in s[start:end].
type hit struct{ entry, start, end int32 }

// Inflections: what may follow a word entry before its word ends. The
// squeezed stream already allows a doubled final consonant (scammer).
var (
	endings  = []string{"", "s", "es", "ed", "er", "ers", "ing", "in", "y"}
	eEndings = []string{"e", "es", "ed", "er", "ers", "ey", "ing", "in", "y"} // rape: rape, rapes, raping, rapey
)

// check verifies ref r found at text[st:en]: the letters repeat as often as
// the entry's do, and a word entry ends there or after an inflection. It
// returns the end of the match.
func (t *refTable) check(r *ref, text []byte, cnt []uint8, st, en int) (int, bool) {
	if cnt != nil {
		for _, q := range t.req[r.reqAt : r.reqAt+int32(r.nreq)] {
			if cnt[st+int(q.off)] < q.n {
				return 0, false
			}
		}
	}
	if r.flags&fEnd == 0 {
		return en, true
	}
	list := endings
	switch {
	case r.flags&fExact != 0:
		list = endings[:1]
	case r.flags&fEDrop != 0:
		list = eEndings
	}
	rest := text[en:]
	for _, e := range list {
		if len(rest) <= len(e) || rest[len(e)] != markEnd || !bytes.HasPrefix(rest, []byte(e)) {
			continue
		}
		if r.flags&fEDrop != 0 && e[0] != 'e' && cnt[st+int(r.lastAt)] != r.lastCnt {
			continue // rapping is not raping
		}
		if cnt != nil && stretchedS(e, cnt[en:]) {
			continue // a plural s is never stretched: assess is not ass + es
		}
		return en + len(e) + 1, true
	}
	return 0, false
}

// stretchedS reports whether an s of ending e repeats, cnt being the
// counts of the ending's letters.
func stretchedS(e string, cnt []uint8) bool {
	for j := 0; j < len(e); j++ {
		if e[j] == 's' && cnt[j] > 1 {
			return true
		}
	}
	return false
}

// scanner is the state of one scan of a text: where its matches go.
type scanner struct {
	m       *Matcher
	s       string
	b       *scratch
	first   bool // one hit is enough and no exception can undo it
	stop    bool
	joining bool // matching two words read as one
	// While joining: whether entries (a fragment was joined) and exceptions
	// (the words were glued by a joiner, not spaced) count.
	joinHits, joinExcept bool
}

// found records that entry matches s[from:to].
func (sc *scanner) found(entry int32, from, to int) {
	e := &sc.m.entries[entry]
	if sc.joining && (e.Except && (!sc.joinExcept || e.Kind != KindWord) || !e.Except && !sc.joinHits) {
		// Reading two spaced words as one is a guess; it excuses nothing
		// ("cum in" is not the exception "cumin"). Two glued words that
		// are no fragment are read as one only to find exceptions, and
		// only whole-word ones: "shuttle_cock" is !shuttlecock, but
		// "shit_and" is no !*shita*.
		return
	}
	if e.Except {
		from, to = wordAround(sc.s, from, to)
		sc.b.exc = append(sc.b.exc, span{from, to})
		return
	}
	if e.Kind != KindWord {
		// A word* or *word* match stands for its whole word.
		from, to = wordAround(sc.s, from, to)
	}
	sc.b.hits = append(sc.b.hits, hit{entry, int32(from), int32(to)})
	if sc.first {
		sc.stop = true
	}
}

// run feeds a stream through automaton a and records each checked match.
// With split > 0 the stream is two words joined, and only matches whose
// root spans both count: "tit in" is not "titin".
func (sc *scanner) run(a *automaton, t *refTable, text []byte, cnt []uint8, pos []int32, split int) {
	v := int32(0)
	denseOf, dense, fail, out := a.denseOf, a.dense, a.fail, a.out
	for i, c := range text {
		for {
			var n int32
			if int(v) < len(denseOf) && denseOf[v] >= 0 {
				n = dense[int(denseOf[v])<<8|int(c)]
			} else {
				n = a.child(v, c)
			}
			if n >= 0 {
				v = n
				break
			}
			if v == 0 {
				break
			}
			v = fail[v]
		}
		for o := out[v]; o >= 0; o = out[fail[o]] {
			st := i + 1 - int(a.depth[o])
			if split > 0 && (st >= split || i+1 <= split) {
				continue
			}
			refs := t.of(o)
			for k := range refs {
				en, ok := t.check(&refs[k], text, cnt, st, i+1)
				if !ok {
					continue
				}
				if from, to, ok := spanOf(sc.s, text, pos, st, en); ok {
					sc.found(refs[k].entry, from, to)
					if sc.stop {
						return
					}
				}
			}
		}
	}
}

// spanOf maps the stream bytes text[st:en] back to a span of s: pos holds
// the offset of the rune each byte stands for, and a squeezed letter stands
// for its whole run.
func spanOf(s string, text []byte, pos []int32, st, en int) (int, int, bool) {
	for st < en && text[st] >= markBegin {
		st++
	}
	for en > st && text[en-1] >= markBegin {
		en--
	}
	if st >= en {
		return 0, 0, false
	}
	from, last := int(pos[st]), int(pos[en-1])
	r, size := utf8.DecodeRuneInString(s[last:])
	r = foldCase(r)
	end := last + size
	for end < len(s) {
		x, n := utf8.DecodeRuneInString(s[end:])
		if foldCase(x) != r {
			break
		}
		end += n
	}
	return from, end, true
}

// wordAround widens s[start:end] to the whole words it touches.
func wordAround(s string, start, end int) (int, int) {
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:start])
		if !isWordRune(foldCase(r)) {
			break
		}
		start -= n
	}
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if !isWordRune(foldCase(r)) {
			break
		}
		end += n
	}
	return start, end
}

// scan finds the matches of m in s and leaves in b.hits those that no
// exception covers. With first, the caller wants to know only whether there
// is one.
func (m *Matcher) scan(s string, b *scratch, first bool) {
	b.hits, b.exc = b.hits[:0], b.exc[:0]
	sc := scanner{m: m, s: s, b: b, first: first && !m.except}
	if m.word != nil {
		b.word, b.cnt, b.wordPos = appendWordStream(b.word[:0], b.cnt[:0], b.wordPos[:0], s)
		sc.run(m.word, &m.wordRef, b.word, b.cnt, b.wordPos, 0)
		if !sc.stop {
			sc.joins()
		}
	}
	if m.lit != nil && !sc.stop {
		b.litPos = b.litPos[:0]
		b.lit = appendStream(b.lit[:0], &b.litPos, s, modeLit)
		sc.run(m.lit, &m.litRef, b.lit, nil, b.litPos, 0)
	}
	if m.masked != nil && !sc.stop {
		m.masked.scan(&sc)
	}
	if len(b.exc) == 0 {
		return
	}
	// A hit is covered when an exception starts at or before it and ends at
	// or after it: sweep both in order of start, keeping the furthest end.
	slices.SortFunc(b.hits, func(x, y hit) int { return int(x.start - y.start) })
	slices.SortFunc(b.exc, func(x, y span) int { return x.start - y.start })
	k, reach := 0, -1
	kept := b.hits[:0]
	for _, h := range b.hits {
		for ; k < len(b.exc) && b.exc[k].start <= int(h.start); k++ {
			reach = max(reach, b.exc[k].end)
		}
		if reach < int(h.end) {
			kept = append(kept, h)
		}
	}
	b.hits = kept
}

// joins matches words split unevenly ("fu ck", "bit ch"): two neighbouring
// words of letters, separated by spaces or one joiner, one of them a short
// fragment that is not an English word, are read as one.
func (sc *scanner) joins() {
	s, b := sc.s, sc.b
	text, pos := b.word, b.wordPos
	prevBegin, prevEnd, prevFrom, prevTo, prevFrag, havePrev := 0, 0, 0, 0, false, false
	// The stream is ⟨word⟩ ⟨word⟩ …: each word from markBegin to markEnd,
	// one space between words; 0xFE and 0xFF occur in no UTF-8 text.
	for begin := 0; begin < len(text); {
		// Words are short: a plain loop beats bytes.IndexByte here.
		end := begin + 1
		for end < len(text) && text[end] != markEnd {
			end++
		}
		if end == len(text) {
			return
		}
		from, to := int(pos[begin]), int(pos[end])
		w := s[from:to]
		gap := ""
		if havePrev {
			gap = s[prevTo:from]
		}
		// The tail of a contraction ("it's", "don't", "we'll") belongs to
		// the word before it: "it's hit" is not "shit".
		tail := havePrev && isApostrophe(gap) && isContractionTail(w)
		frag := !tail && isFragment(w)
		// Two words glued by one joiner ("shuttle_cock") are read as one
		// for exceptions only: the compound may be an innocent word.
		glued := havePrev && sc.m.except && gluedGap(gap)
		if (frag || prevFrag || glued) && havePrev && joinGap(gap) && lettersOnly(w) && lettersOnly(s[prevFrom:prevTo]) {
			split := sc.joinStream(prevBegin, prevEnd, begin, end)
			sc.joining, sc.joinHits, sc.joinExcept = true, frag || prevFrag, glued
			sc.run(sc.m.word, &sc.m.wordRef, b.join, b.joinCnt, b.joinPos, split)
			sc.joining = false
			if sc.stop {
				return
			}
		}
		prevBegin, prevEnd, prevFrom, prevTo, prevFrag, havePrev = begin, end, from, to, frag, true
		begin = end + 2 // past markEnd and the space
	}
}

// joinStream writes to b.join the stream of the two words of b.word at
// [b0, e0] and [b1, e1] (markBegin to markEnd) read as one word, as the
// wordStreamer would write it: copied, not streamed again. It returns the
// offset where the second word's letters begin.
func (sc *scanner) joinStream(b0, e0, b1, e1 int) int {
	b := sc.b
	text, cnt, pos := b.word, b.cnt, b.wordPos
	dst := append(b.join[:0], text[b0:e0]...)
	dc := append(b.joinCnt[:0], cnt[b0:e0]...)
	dp := append(b.joinPos[:0], pos[b0:e0]...)
	split := len(dst)
	// The second word's first rune squeezes into the first's last rune
	// when they are the same letter ("fuc ck").
	last := e0 - 1
	for last > b0+1 && !utf8.RuneStart(text[last]) {
		last--
	}
	n := e0 - last
	from := b1 + 1
	if n > 0 && from+n <= e1 && bytes.Equal(text[last:e0], text[from:from+n]) {
		for k := split - n; k < split; k++ {
			dc[k] = uint8(min(255, int(dc[k])+int(cnt[from])))
		}
		from += n
		if from == e1 {
			split-- // the second word was that one letter only
		}
	}
	dst = append(dst, text[from:e1+1]...)
	dc = append(dc, cnt[from:e1+1]...)
	dp = append(dp, pos[from:e1+1]...)
	b.join, b.joinCnt, b.joinPos = dst, dc, dp
	return split
}

// gluedGap reports whether g is one joiner other than a space.
func gluedGap(g string) bool {
	if g == "" || g[0] == ' ' {
		return false
	}
	r, n := utf8.DecodeRuneInString(g)
	return n == len(g) && isJoiner(r)
}

// isApostrophe reports whether g is one apostrophe, typed or typographic.
func isApostrophe(g string) bool {
	return g == "'" || g == "\u2019" || g == "\u02bc"
}

// isContractionTail reports whether w ends an English contraction after
// its apostrophe: it's, don't, I'd, I'm, we'll, you're, they've.
func isContractionTail(w string) bool {
	switch strings.ToLower(w) {
	case "s", "t", "d", "m", "ll", "re", "ve":
		return true
	}
	return false
}

func lettersOnly(w string) bool {
	for _, r := range w {
		if r < utf8.RuneSelf && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') || r >= utf8.RuneSelf && !isWordRune(foldCase(r)) {
			return false
		}
	}
	return w != ""
}

// isFragment reports whether w is one to three letters that are not a
// common English word: "ck" in "fu ck", "ch" in "bit ch", but not "is" in
// "pen is".
func isFragment(w string) bool {
	if len(w) > 3 {
		return false
	}
	k, ok := shortIndex(w)
	if !ok {
		return true // not ASCII letters, so in no common word
	}
	return commonBits[k/64]&(1<<(k%64)) == 0
}

// joinGap reports whether g may split a word: spaces, or one joiner.
func joinGap(g string) bool {
	if g == "" {
		return false
	}
	if strings.Trim(g, " ") == "" {
		return true
	}
	r, n := utf8.DecodeRuneInString(g)
	return n == len(g) && r != ' ' && isJoiner(r)
}
