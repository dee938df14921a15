package textfn

import (
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldCase is the one case mapping used everywhere in the package: by
// Normalize, Words and every matcher, on the text and on list entries alike.
// It is simple (rune to rune) Unicode case folding to lower case: upper and
// title case letters map to their lower case, and lower case letters with
// several lower forms collapse to one (ς→σ, ſ→s, ı→i), so that both sides of
// a comparison agree whatever case they were typed in. It never changes the
// number of runes, which Mask relies on.
func foldCase(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if r <= 0xFFFF {
		return rune(block(r).fold[r&0xFF])
	}
	return foldCaseSlow(r)
}

func foldCaseSlow(r rune) rune {
	if l := unicode.ToLower(r); l != r {
		return l
	}
	if unicode.IsLower(r) {
		if u := unicode.ToUpper(r); u != r {
			return unicode.ToLower(u)
		}
	}
	return r
}

// isWordRune reports whether r belongs inside a word: a letter, a number or a
// combining mark (so that "je\u0301rk" is one word). Every other rune is a
// word boundary.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return props(r)&pWord != 0
}

// isSpace reports whether r separates text like a space does.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return props(r)&pSpace != 0
}

// isIgnorable reports whether Normalize deletes r outright: controls other
// than white space, format characters (Cf: zero-width space and joiners, soft
// hyphen, bidi controls, tag characters, BOM), variation selectors and the
// other default-ignorable code points (Hangul fillers, combining grapheme
// joiner). They are invisible, so a reader sees "j\u200berk" as "jerk".
func isIgnorable(r rune) bool {
	if r < utf8.RuneSelf {
		return r < ' ' && !('\t' <= r && r <= '\r') || r == 0x7f
	}
	return props(r)&pIgnore != 0
}

func isIgnorableSlow(r rune) bool {
	if r < utf8.RuneSelf {
		return r < ' ' && !('\t' <= r && r <= '\r') || r == 0x7f
	}
	if 0x80 <= r && r < 0xa0 {
		return r != 0x85 // NEL is white space
	}
	return unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point, unicode.Co, unicode.Cs) ||
		r == utf8.RuneError
}

// Script classes for the confusable policy. Latin is the target of folding;
// the others are the scripts whose letters confusables.txt maps to Latin.
const (
	scriptNone     = iota // not a letter (digits, symbols, punctuation)
	scriptLatin           // Latin letters, and decorated Latin letters that are symbols (🅰, 🇦)
	scriptCyrillic        // Cyrillic
	scriptGreek           // Greek and Coptic
	scriptArmenian        // Armenian
	scriptCherokee        // Cherokee
	scriptOther           // any other script (Devanagari, Hebrew, Han, Lisu, …)
)

// letterScript returns the script class of a letter, or scriptNone for a rune
// that is not a letter. "@" counts as a Latin letter: it always stands for
// "a" ("@$$"). A symbol that is a decorated Latin letter (its fold
// entry f says so) counts as a Latin letter.
func letterScript(r rune) int {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '@' {
			return scriptLatin
		}
		return scriptNone
	}
	return int(props(r) & pScript)
}

func letterScriptSlow(r rune, f *foldEntry) int {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return scriptLatin
		}
		return scriptNone
	}
	if !unicode.IsLetter(r) {
		if f != nil && f.letter {
			return scriptLatin
		}
		return scriptNone
	}
	switch {
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Greek, r), unicode.Is(unicode.Coptic, r):
		return scriptGreek
	case unicode.Is(unicode.Armenian, r):
		return scriptArmenian
	case unicode.Is(unicode.Cherokee, r):
		return scriptCherokee
	}
	return scriptOther
}

// foldEntry says how one non-ASCII rune (in folded case) folds to ASCII: to
// is a short string of ASCII lower-case letters and digits, and letter is
// true when the rune is, or depicts, a letter (so "🇺🇸" counts as letters but
// "×" does not).
type foldEntry struct {
	r      rune
	to     string
	letter bool
}

// lookupFold returns the fold entry of r, or nil. The table is generated
// from Unicode's confusables.txt (see tables_test.go).
func lookupFold(r rune) *foldEntry {
	if r < 0xa0 || props(r)&pFold == 0 {
		return nil
	}
	return lookupFoldSlow(r)
}

func lookupFoldSlow(r rune) *foldEntry {
	if r < 0xa0 {
		return nil
	}
	lo, hi := 0, len(foldTable)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := foldTable[m].r; {
		case c == r:
			return &foldTable[m]
		case c < r:
			lo = m + 1
		default:
			hi = m
		}
	}
	return nil
}

// Rune properties, cached. The unicode package answers each question with a
// binary search over range tables; Normalize asks several per rune, so the
// answers for the Basic Multilingual Plane are computed once per block of
// 256 code points, on first use, and kept.
const (
	pScript = 0x7 // letterScript
	pWord   = 1 << 3
	pSpace  = 1 << 4
	pIgnore = 1 << 5
	pMark   = 1 << 6
	pFold   = 1 << 7 // has a fold table entry
	pLetter = 1 << 8 // unicode.IsLetter
	pDecomp = 1 << 9 // has a compatibility decomposition (not NFKD on its own)
)

type propBlock struct {
	props [256]uint16
	fold  [256]uint16 // foldCaseSlow, which maps the BMP into itself
}

var propBlocks [256]atomic.Pointer[propBlock]

func block(r rune) *propBlock {
	b := propBlocks[r>>8].Load()
	if b == nil {
		b = new(propBlock)
		base := r &^ 0xFF
		for i := range b.props {
			c := base + rune(i)
			b.props[i] = propsSlow(c)
			b.fold[i] = uint16(foldCaseSlow(c))
		}
		propBlocks[r>>8].Store(b)
	}
	return b
}

func props(r rune) uint16 {
	if r <= 0xFFFF {
		return block(r).props[r&0xFF]
	}
	return propsSlow(r)
}

func propsSlow(r rune) uint16 {
	f := lookupFoldSlow(r)
	p := uint16(letterScriptSlow(r, f))
	if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) {
		p |= pWord
	}
	if unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Zs) {
		p |= pSpace
	}
	if isIgnorableSlow(r) {
		p |= pIgnore
	}
	if unicode.IsMark(r) {
		p |= pMark
	}
	if f != nil {
		p |= pFold
	}
	if unicode.IsLetter(r) {
		p |= pLetter
	}
	if !norm.NFKD.IsNormalString(string(r)) {
		p |= pDecomp
	}
	return p
}

// isMark reports whether r is a combining mark.
func isMark(r rune) bool { return r >= utf8.RuneSelf && props(r)&pMark != 0 }

// isLetter reports whether r is a letter.
func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return props(r)&pLetter != 0
}
