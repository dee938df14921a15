package textfn

import (
	"unicode/utf8"
	"unsafe"
)

// wordClass classes the bytes for the words of Words: 0 an ASCII
// boundary, wordFolded a letter or digit that folding leaves as it is,
// wordUpper an upper-case ASCII letter, wordMulti a byte of a multi-byte
// rune, which the rune path decodes.
var wordClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = wordFolded
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = wordFolded
		t[c-'a'+'A'] = wordUpper
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = wordMulti
	}
	return t
}()

const (
	wordFolded = 1 << iota
	wordUpper
	wordMulti
	wordASCII = wordFolded | wordUpper
)

// nextWord finds the first word of s at or after byte i, as Words defines
// words. It returns where scanning resumes, and the word: either s[from:to],
// when s spells it folded already (the common case of lower-case ASCII,
// which costs a table lookup a byte), or, when folded is set, its folded
// form appended to buf. ok is false when no word is left.
//
// Words and the fast path's scans of words(x) (package rules) both read
// words through nextWord, so that they cannot disagree about one.
func nextWord(s string, i int, buf []byte) (from, to, next int, out []byte, folded, ok bool) {
	// Skip to the first rune inside a word.
	for i < len(s) {
		k := wordClass[s[i]]
		if k&wordASCII != 0 {
			break
		}
		if k == 0 {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(foldCase(r)) {
			break
		}
		i += size
	}
	if i >= len(s) {
		return 0, 0, i, buf, false, false
	}
	start := i
	// The ASCII path: letters and digits, and apostrophes between them.
	// A multi-byte rune inside the word sends it to the rune path.
	var seen uint8
	for i < len(s) {
		k := wordClass[s[i]]
		if k&wordASCII != 0 {
			seen |= k
			i++
			continue
		}
		if k == wordMulti {
			return runeWord(s, start, buf)
		}
		if s[i] == '\'' && i+1 < len(s) {
			n := wordClass[s[i+1]]
			if n == wordMulti {
				return runeWord(s, start, buf) // a word rune or not: the rune path knows
			}
			if n != 0 {
				seen |= n
				i += 2
				continue
			}
		}
		break // a boundary, or an apostrophe not followed by a word character
	}
	if seen&wordUpper == 0 {
		return start, i, i, buf, false, true
	}
	if cap(buf) == 0 {
		buf = make([]byte, 0, len(s)-start)
	}
	for j := start; j < i; j++ {
		c := s[j]
		if wordClass[c] == wordUpper {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return 0, 0, i, buf, true, true
}

// runeWord reads the word starting at s[i], rune by rune, folding it into
// buf.
func runeWord(s string, i int, buf []byte) (from, to, next int, out []byte, folded, ok bool) {
	if cap(buf) == 0 {
		// The first word to fold: room for the rest of the text, so
		// that the words after it need not grow the buffer.
		buf = make([]byte, 0, len(s)-i)
	}
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		r = foldCase(r)
		if isWordRune(r) {
			buf = utf8.AppendRune(buf, r)
			i += size
			continue
		}
		if (r == '\'' || r == '’') && i+size < len(s) {
			// inside a word only if a word character follows
			if next, _ := utf8.DecodeRuneInString(s[i+size:]); isWordRune(foldCase(next)) {
				buf = append(buf, '\'')
				i += size
				continue
			}
		}
		break
	}
	return 0, 0, i, buf, true, true
}

// Words returns the words of s, lower-cased: the maximal runs of letters,
// digits and combining marks. An apostrophe (' or ’) between two letters
// stays inside the word, as a plain "'": Words("Don’t stop") is
// ["don't", "stop"]. The result is never nil.
//
// A word s spells in lower case already is a substring of s; the others
// share one buffer, so that a text costs one or two allocations.
func Words(s string) []string {
	type cut struct {
		from, to int
		folded   bool // in buf, not s
	}
	var cutsBuf [32]cut
	cuts := cutsBuf[:0]
	var buf []byte
	for i := 0; i < len(s); {
		n := len(buf)
		from, to, next, out, folded, ok := nextWord(s, i, buf)
		if !ok {
			break
		}
		buf, i = out, next
		if folded {
			from, to = n, len(buf)
		}
		cuts = append(cuts, cut{from, to, folded})
	}
	// buf is not written again: its bytes can back the words.
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	words := make([]string, len(cuts))
	for k, c := range cuts {
		if c.folded {
			words[k] = all[c.from:c.to]
		} else {
			words[k] = s[c.from:c.to]
		}
	}
	return words
}

// WordScanner reads the words of a string one at a time, exactly as Words
// returns them, without allocating once its buffer has grown: a loop over
// the words that stops early, or probes a set with each, need not build
// the list. The zero value is ready for Reset.
type WordScanner struct {
	s   string
	i   int
	buf []byte
}

// Reset starts reading the words of s.
func (w *WordScanner) Reset(s string) {
	w.s, w.i = s, 0
	w.buf = w.buf[:0]
}

// Next returns the next word, or false when there is none. The word is
// valid until the next call of Next or Reset.
func (w *WordScanner) Next() (string, bool) {
	from, to, next, out, folded, ok := nextWord(w.s, w.i, w.buf[:0])
	w.i, w.buf = next, out
	if !ok {
		return "", false
	}
	if folded {
		return unsafe.String(unsafe.SliceData(out), len(out)), true
	}
	return w.s[from:to], true
}
