package textfn

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// The word stream of matching (see appendStream) squeezes every run of one
// letter into one, and records beside each byte how often its letter came
// in a row: "fuuuck" becomes ⟨fuck⟩ with u counted 3. Entries are squeezed
// the same way, and a match must repeat each letter at least as often as the
// entry does, so "asss" matches "ass" but "as" does not.

// wordStreamer writes a squeezed word stream.
type wordStreamer struct {
	dst    []byte
	cnt    *[]uint8
	pos    *[]int32
	inWord bool
	gap    bool // a run of separators is pending
	gapAt  int
	start  bool // something has been written
	last   rune // the last rune written in the current word
	lastAt int  // where its bytes start in dst
}

func (w *wordStreamer) emit(b byte, at int, n uint8) {
	w.dst = append(w.dst, b)
	if w.cnt != nil {
		*w.cnt = append(*w.cnt, n)
	}
	if w.pos != nil {
		*w.pos = append(*w.pos, int32(at))
	}
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
				w.emit(markEnd, at, 1)
				w.inWord = false
			}
			if !w.gap {
				w.gap, w.gapAt = true, at
			}
			continue
		}
		if w.gap {
			if w.start {
				w.emit(' ', w.gapAt, 1)
			}
			w.gap = false
		}
		w.start = true
		if !w.inWord {
			w.emit(markBegin, at, 1)
			w.inWord, w.last = true, -1
		} else if r == w.last && (r < '0' || r > '9') {
			if w.cnt != nil {
				for k := w.lastAt; k < len(w.dst); k++ {
					if (*w.cnt)[k] < 255 {
						(*w.cnt)[k]++
					}
				}
			}
			continue
		}
		w.last, w.lastAt = r, len(w.dst)
		if r < utf8.RuneSelf {
			w.emit(byte(r), at, 1)
			continue
		}
		var buf [utf8.UTFMax]byte
		for _, x := range buf[:utf8.EncodeRune(buf[:], r)] {
			w.emit(x, at, 1)
		}
	}
}

func (w *wordStreamer) finish(end int) []byte {
	if w.inWord {
		w.emit(markEnd, end, 1)
	}
	return w.dst
}

// appendWordStream appends the squeezed word stream of s to dst, the count
// of each byte's letter to *cnt and, if pos is not nil, the offset in s of
// the rune each byte stands for to *pos.
func appendWordStream(dst []byte, cnt *[]uint8, pos *[]int32, s string) []byte {
	w := wordStreamer{dst: dst, cnt: cnt, pos: pos}
	w.add(s, 0)
	return w.finish(len(s))
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
		return en + len(e) + 1, true
	}
	return 0, false
}

// run feeds text through a and reports each checked match. It stops when
// f returns false, and then returns false.
func run(a *automaton, t *refTable, text []byte, cnt []uint8, f func(r *ref, st, keyEnd, en int) bool) bool {
	v := int32(0)
	for i, c := range text {
		v = a.next(v, c)
		for o := a.out[v]; o >= 0; o = a.out[a.fail[o]] {
			st := i + 1 - int(a.depth[o])
			refs := t.of(o)
			for k := range refs {
				if en, ok := t.check(&refs[k], text, cnt, st, i+1); ok && !f(&refs[k], st, i+1, en) {
					return false
				}
			}
		}
	}
	return true
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

// scan finds the matches of m in s and calls f with each one that no
// exception covers, until f returns false. With first, the caller wants to
// know only whether there is a match.
func (m *Matcher) scan(s string, b *scratch, first bool, f func(hit) bool) {
	b.hits, b.exc = b.hits[:0], b.exc[:0]
	stop := false
	add := func(entry int32, from, to int) {
		if stop {
			return
		}
		if m.entries[entry].Except {
			from, to = wordAround(s, from, to)
			b.exc = append(b.exc, span{from, to})
			return
		}
		if m.entries[entry].Kind != KindWord {
			// A word* or *word* match stands for its whole word.
			from, to = wordAround(s, from, to)
		}
		h := hit{entry, int32(from), int32(to)}
		if m.except {
			b.hits = append(b.hits, h)
			return
		}
		if !f(h) {
			stop = true
		}
	}
	onStream := func(text []byte, pos []int32, split int) func(r *ref, st, keyEnd, en int) bool {
		return func(r *ref, st, keyEnd, en int) bool {
			if split > 0 && (st >= split || keyEnd <= split) {
				// A join counts only where the entry's root spans both
				// pieces: "tit in" is not "titin".
				return true
			}
			if from, to, ok := spanOf(s, text, pos, st, en); ok {
				add(r.entry, from, to)
			}
			return !stop
		}
	}
	if m.word != nil {
		b.cnt, b.wordPos = b.cnt[:0], b.wordPos[:0]
		b.word = appendWordStream(b.word[:0], &b.cnt, &b.wordPos, s)
		run(m.word, &m.wordRef, b.word, b.cnt, onStream(b.word, b.wordPos, 0))
		if !stop {
			m.joins(s, b, onStream)
		}
	}
	if m.lit != nil && !stop {
		b.litPos = b.litPos[:0]
		b.lit = appendStream(b.lit[:0], &b.litPos, s, modeLit)
		run(m.lit, &m.litRef, b.lit, nil, onStream(b.lit, b.litPos, 0))
	}
	if m.masked != nil && !stop {
		m.masked.scan(s, b, m.entries, add)
	}
	if !m.except || stop {
		return
	}
	for _, h := range b.hits {
		covered := false
		for _, e := range b.exc {
			if e.start <= int(h.start) && int(h.end) <= e.end {
				covered = true
				break
			}
		}
		if !covered && !f(h) {
			return
		}
	}
}

// joins matches words split unevenly ("fu ck", "bit ch"): two neighbouring
// words of letters, separated by spaces or one joiner, one of them a short
// fragment that is not an English word, are read as one.
func (m *Matcher) joins(s string, b *scratch, onStream func([]byte, []int32, int) func(*ref, int, int, int) bool) {
	text, pos := b.word, b.wordPos
	prevFrom, prevTo, prevFrag, prevOK := 0, 0, false, false
	from := 0
	for i, c := range text {
		switch c {
		case markBegin:
			from = int(pos[i])
		case markEnd:
			to := int(pos[i])
			w := s[from:to]
			ok, frag := lettersOnly(w), isFragment(w)
			if ok && prevOK && (frag || prevFrag) && joinGap(s[prevTo:from]) {
				b.join, b.joinCnt, b.joinPos = b.join[:0], b.joinCnt[:0], b.joinPos[:0]
				ws := wordStreamer{dst: b.join, cnt: &b.joinCnt, pos: &b.joinPos}
				ws.add(s[prevFrom:prevTo], prevFrom)
				split := len(ws.dst)
				ws.add(w, from)
				if len(ws.dst) == split {
					split-- // the second piece began with the first's last letter, squeezed into it
				}
				b.join = ws.finish(to)
				if !run(m.word, &m.wordRef, b.join, b.joinCnt, onStream(b.join, b.joinPos, split)) {
					return
				}
			}
			prevFrom, prevTo, prevFrag, prevOK = from, to, frag, ok
		}
	}
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
	var buf [3]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, common := commonWords[string(buf[:len(w)])]
	return !common
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
