package textfn

import (
	"strings"
	"unicode/utf8"
)

// Masked letters: "f*ck", "sh#t", "n**ga", "mother******". A word of
// letters and mask characters is compared with the single-word entries of
// the list, each mask character standing for one letter. It matches when
// enough of it shows (at least two letters, and no more masked letters than
// shown ones plus one), it fits an entry (with the inflections of word
// entries, or as the start of a word* entry), and it fits no exception.

const maskRune = -1

// maskInner may hide a letter inside a word; maskTrail also at its end.
const (
	maskInner = "*#%-_.?^~+&!"
	maskTrail = "*#"
)

type maskKey struct {
	first rune
	n     int32
}

// maskIndex holds the single-word roots of a list, folded to lower case,
// by first letter and length.
type maskIndex struct {
	runes  []rune  // every root, one after another
	start  []int32 // the root of entry i is runes[start[i]:start[i+1]]
	word   map[maskKey][]int32
	prefix map[rune][]int32
	// infix holds the *word* entries, tried at every offset of a masked
	// word ("bullsh*t"). Lists have few of them; a masked word costs a
	// comparison with each.
	infix []int32
}

func newMaskIndex(entries []Entry) *maskIndex {
	x := &maskIndex{start: make([]int32, len(entries)+1), word: map[maskKey][]int32{}, prefix: map[rune][]int32{}}
	n := 0
	for i, e := range entries {
		x.start[i] = int32(len(x.runes))
		ok := true
		for _, r := range e.Root {
			r = foldCase(r)
			if !isWordRune(r) || isMark(r) {
				ok = false
				break
			}
			x.runes = append(x.runes, r)
		}
		root := x.runes[x.start[i]:]
		if !ok || len(root) < 3 {
			x.runes = x.runes[:x.start[i]]
			continue
		}
		n++
		// An infix root is indexed as a word: "f*ck" reads as the root of
		// *fuck*, as it does in "f*cking".
		if e.Kind == KindInfix {
			x.infix = append(x.infix, int32(i))
		}
		if e.Kind == KindPrefix {
			x.prefix[root[0]] = append(x.prefix[root[0]], int32(i))
			continue
		}
		k := maskKey{root[0], int32(len(root))}
		x.word[k] = append(x.word[k], int32(i))
	}
	x.start[len(entries)] = int32(len(x.runes))
	if n == 0 {
		return nil
	}
	return x
}

func (x *maskIndex) root(e int32) []rune { return x.runes[x.start[e]:x.start[e+1]] }

func (x *maskIndex) bytes() int {
	if x == nil {
		return 0
	}
	n := 4*len(x.runes) + 4*len(x.start) + 4*len(x.infix)
	for _, v := range x.word {
		n += 48 + 4*len(v)
	}
	for _, v := range x.prefix {
		n += 48 + 4*len(v)
	}
	return n
}

// scan finds the masked words of s and reports those that fit an entry.
func (x *maskIndex) scan(sc *scanner) {
	s, b, entries := sc.s, sc.b, sc.m.entries
	if !hasMask(s) {
		return
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(foldCase(r)) {
			i += size
			continue
		}
		// A token: word runes and mask characters, from a word rune on.
		from := i
		b.pat = b.pat[:0]
		ends := b.ends[:0]
		for i < len(s) {
			r, size = utf8.DecodeRuneInString(s[i:])
			f := foldCase(r)
			switch {
			case isWordRune(f):
				b.pat = append(b.pat, f)
			case r < utf8.RuneSelf && strings.IndexByte(maskInner, byte(r)) >= 0:
				b.pat = append(b.pat, maskRune)
			default:
				goto done
			}
			i += size
			ends = append(ends, i)
		}
	done:
		b.ends = ends
		// Mask characters at the end are punctuation, but for * and #.
		k := len(b.pat)
		for k > 0 && b.pat[k-1] == maskRune {
			c := s[ends[k-1]-1]
			if c != '*' && c != '#' {
				k--
				continue
			}
			break
		}
		if k == 0 {
			continue
		}
		pat := b.pat[:k]
		to := ends[k-1]
		shown, hidden := 0, 0
		for _, c := range pat {
			if c == maskRune {
				hidden++
			} else {
				shown++
			}
		}
		if hidden == 0 || shown < 2 || hidden > shown+1 || isMark(pat[0]) {
			continue
		}
		found, except := int32(-1), false
		x.fits(pat, func(e int32) bool {
			if entries[e].Except {
				except = true
				return false
			}
			if found < 0 {
				found = e
			}
			return true
		})
		if found >= 0 && !except {
			sc.found(found, from, to)
			if sc.stop {
				return
			}
		}
	}
}

// hasMask reports whether s may have a masked word: a mask character right
// after a letter or digit, followed by one too or itself a * or #. Most
// messages have none, and cost no more than this look.
func hasMask(s string) bool {
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isMaskByte[c] || !wordByte(s[i-1]) {
			continue
		}
		if c == '*' || c == '#' || i+1 < len(s) && (wordByte(s[i+1]) || isMaskByte[s[i+1]]) {
			return true
		}
	}
	return false
}

var isMaskByte = func() (t [256]bool) {
	for i := 0; i < len(maskInner); i++ {
		t[maskInner[i]] = true
	}
	return t
}()

// wordByte reports whether c may be part of a letter or digit: ASCII ones,
// and any byte of a non-ASCII rune (checked properly later).
func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// fits calls f with every entry pat fits, until f returns false.
func (x *maskIndex) fits(pat []rune, f func(int32) bool) {
	n := len(pat)
	for l := max(3, n-4); l <= n+1; l++ {
		for _, e := range x.word[maskKey{pat[0], int32(l)}] {
			if fitsWord(pat, x.root(e)) && !f(e) {
				return
			}
		}
	}
	for _, e := range x.prefix[pat[0]] {
		if root := x.root(e); len(root) <= n && fitsAt(pat, root) && !f(e) {
			return
		}
	}
	for _, e := range x.infix {
		root := x.root(e)
		for off := 1; off+len(root) <= n; off++ {
			w := pat[off : off+len(root)]
			shown := 0
			for _, c := range w {
				if c != maskRune {
					shown++
				}
			}
			if 2*shown >= len(w) && fitsAt(w, root) {
				if !f(e) {
					return
				}
				break
			}
		}
	}
}

func fitsAt(pat, root []rune) bool {
	for j, c := range root {
		if p := pat[j]; p != maskRune && p != c {
			return false
		}
	}
	return true
}

// fitsWord reports whether pat is root, or root inflected.
func fitsWord(pat, root []rune) bool {
	if len(pat) < len(root)-1 {
		return false
	}
	last := root[len(root)-1]
	for _, e := range endings {
		if fitsForm(pat, root, 0, e) ||
			e != "" && last < utf8.RuneSelf && isConsonant(byte(last)) && fitsForm(pat, root, last, e) {
			return true
		}
	}
	if last == 'e' {
		for _, e := range eEndings {
			if e[0] != 'e' && fitsForm(pat, root[:len(root)-1], 0, e) {
				return true
			}
		}
	}
	return false
}

// fitsForm reports whether pat is root, then double (if not 0), then ending.
func fitsForm(pat, root []rune, double rune, ending string) bool {
	n := len(root) + len(ending)
	if double != 0 {
		n++
	}
	if n != len(pat) || !fitsAt(pat, root) {
		return false
	}
	k := len(root)
	if double != 0 {
		if p := pat[k]; p != maskRune && p != double {
			return false
		}
		k++
	}
	for j := 0; j < len(ending); j++ {
		if p := pat[k+j]; p != maskRune && p != rune(ending[j]) {
			return false
		}
	}
	return true
}

func isConsonant(c byte) bool {
	return 'a' <= c && c <= 'z' && strings.IndexByte("aeiou", c) < 0
}
