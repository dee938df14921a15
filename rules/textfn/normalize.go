package textfn

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s as a filter should see it. The package documentation
// lists every step and what is deliberately left alone. Normalize is
// idempotent (Normalize(Normalize(s)) == Normalize(s)), never panics, and
// always returns valid UTF-8 in NFC.
func Normalize(s string) string {
	n := normPool.Get().(*normalizer)
	out := n.normalize(s)
	n.reset()
	normPool.Put(n)
	return out
}

var normPool = sync.Pool{New: func() any { return new(normalizer) }}

// normalizer holds the scratch buffers of one Normalize call, pooled so that
// a call allocates little more than its result.
type normalizer struct {
	rs      []rune // prepared runes: folded case, ignorables and stray marks gone
	spans   []span // the tokens of rs
	toks    []rune // the final tokens, single letters glued, one after another
	items   []item // the final tokens and the gaps before them
	out     []rune // the result being built
	fold    []rune // a token after confusable folding
	genuine uint8  // scripts that the text really is written in (bit per script class)
	tail    int    // where the text after the last token starts in rs
	slow    bool   // tests: take the general path even for ASCII input
	keep    bool   // fold nothing: the text has no Latin word and several words
	ascii   bool   // s was all ASCII
	text    []byte // UTF-8 of out
	seg     []byte // a piece of text to put in NFC
	iter    norm.Iter
}

// isJamo reports whether r is a conjoining Hangul jamo.
func isJamo(r rune) bool {
	return 0x1100 <= r && r <= 0x11FF || 0xA960 <= r && r <= 0xA97F || 0xD7B0 <= r && r <= 0xD7FF
}

type span struct{ start, end int }

// item is a final token (toks[tok.start:tok.end]) with the gap before it
// (rs[gap.start:gap.end]).
type item struct{ gap, tok span }

// maxPooled bounds the buffers kept in the pool so that one huge message
// does not pin its memory for ever.
const maxPooled = 64 << 10

func (n *normalizer) reset() {
	if cap(n.rs) > maxPooled || cap(n.out) > maxPooled || cap(n.text) > maxPooled || cap(n.toks) > maxPooled ||
		cap(n.spans) > maxPooled || cap(n.items) > maxPooled || cap(n.fold) > maxPooled || cap(n.seg) > maxPooled {
		*n = normalizer{}
	}
}

func (n *normalizer) normalize(s string) string {
	n.prepare(s)
	n.tokenize()
	n.group()
	n.genuine, n.keep = 0, false
	if !n.ascii {
		n.context()
	}
	n.out = n.out[:0]
	for _, it := range n.items {
		n.emitGap(n.rs[it.gap.start:it.gap.end])
		n.emitToken(n.toks[it.tok.start:it.tok.end])
	}
	n.emitGap(n.rs[n.tail:])
	if k := len(n.out); k > 0 && n.out[k-1] == ' ' {
		n.out = n.out[:k-1]
	}
	// Encode, putting each letter with its kept marks (and each run of
	// Hangul jamo) in NFC: they may compose, and marks need canonical order.
	// Nothing else can change under NFC, so only those pieces go through it.
	n.text = n.text[:0]
	for i := 0; i < len(n.out); {
		r := n.out[i]
		j := i + 1
		if r >= utf8.RuneSelf {
			for j < len(n.out) && (isMark(n.out[j]) || isJamo(r) && isJamo(n.out[j])) {
				j++
			}
		}
		if j == i+1 {
			n.text = utf8.AppendRune(n.text, r)
			i++
			continue
		}
		n.seg = n.seg[:0]
		for _, c := range n.out[i:j] {
			n.seg = utf8.AppendRune(n.seg, c)
		}
		n.iter.Init(norm.NFC, n.seg)
		for !n.iter.Done() {
			n.text = append(n.text, n.iter.Next()...)
		}
		i = j
	}
	return string(n.text)
}

// prepare fills n.rs with the runes of s in compatibility-decomposed form
// (NFKD), case folded, with ignorable runes dropped, every kind of white
// space turned into ' ' and the combining marks of Latin letters and of
// non-letters removed (see stripsMarks).
func (n *normalizer) prepare(s string) {
	n.rs = n.rs[:0]
	n.ascii = true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n.ascii = false
			break
		}
	}
	if n.ascii && !n.slow {
		for i := 0; i < len(s); i++ {
			c := rune(s[i])
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case '\t' <= c && c <= '\r':
				c = ' '
			case c < ' ' || c == 0x7f:
				continue
			}
			n.rs = append(n.rs, c)
		}
		return
	}
	strip := true // marks at the very start have no base: drop them
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n.addRune(r, &strip, true)
		i += size
	}
}

// addRune appends r to n.rs as prepare describes. NFKD is applied rune by
// rune: that leaves the combining marks of one base in input order rather
// than canonical order, which only matters for the marks Normalize keeps,
// and those are put in canonical order by the final NFC.
func (n *normalizer) addRune(r rune, strip *bool, decompose bool) {
	if r >= utf8.RuneSelf && decompose {
		switch {
		case hangulBase <= r && r < hangulBase+hangulCount:
			// Hangul syllables decompose by arithmetic (the norm package's
			// Properties.Decomposition does not cover them).
			k := r - hangulBase
			n.addRune(0x1100+k/(21*28), strip, false)
			n.addRune(0x1161+k%(21*28)/28, strip, false)
			if t := k % 28; t != 0 {
				n.addRune(0x11A7+t, strip, false)
			}
			return
		case props(r)&pDecomp != 0:
			var b [utf8.UTFMax]byte
			d := norm.NFKD.PropertiesString(string(b[:utf8.EncodeRune(b[:], r)])).Decomposition()
			for len(d) > 0 {
				x, size := utf8.DecodeRune(d)
				n.addRune(x, strip, false)
				d = d[size:]
			}
			return
		}
	}
	switch {
	case isSpace(r):
		n.rs = append(n.rs, ' ')
		*strip = true
		return
	case isIgnorable(r):
		return
	case isMark(r):
		if !*strip {
			n.rs = append(n.rs, r)
		}
		return
	}
	c := foldCase(r)
	if c != r && c >= utf8.RuneSelf && props(c)&pDecomp != 0 {
		// A case mapping whose result decomposes further.
		n.addRune(c, strip, true)
		return
	}
	n.rs = append(n.rs, c)
	*strip = stripsMarks(c)
}

const (
	hangulBase  = 0xAC00
	hangulCount = 11172
)

// stripsMarks reports whether combining marks after r are diacritics to
// remove: they are after Latin letters, digits, symbols and punctuation.
// Marks on the letters of other scripts stay: they are part of the spelling
// (Devanagari vowel signs, Hebrew points, Greek tonos, Cyrillic й), and they
// go only when their letter is folded to Latin.
func stripsMarks(r rune) bool {
	return letterScript(r) <= scriptLatin
}

// context works out which scripts the text is genuinely written in, from
// the tokens that have no Latin letter (tokens with one are folded whatever
// the context). A script is genuine when such a token has one of its
// letters that has no Latin look-alike ("привет") or that carries an accent
// of the script's own spelling ("κόσμε", "ещё"). And when no token has a
// Latin letter but several have letters, the text is in other scripts and
// nothing is folded ("γεια σου", "это сор"). Folding never changes what this
// finds, which keeps Normalize idempotent.
func (n *normalizer) context() {
	latin, lettered := 0, 0
	for _, it := range n.items {
		t := n.toks[it.tok.start:it.tok.end]
		hasLatin, hasLetter := false, false
		for _, r := range t {
			switch sc := letterScript(r); sc {
			case scriptNone:
			case scriptLatin:
				hasLatin, hasLetter = true, true
			default:
				hasLetter = true
			}
		}
		if hasLetter {
			lettered++
		}
		if hasLatin {
			latin++
			continue
		}
		for i, r := range t {
			sc := letterScript(r)
			if sc <= scriptLatin {
				continue
			}
			if n.genuine&(1<<sc) == 0 && (props(r)&pFold == 0 || i+1 < len(t) && isMark(t[i+1]) && composes(r, t[i+1])) {
				n.genuine |= 1 << sc
			}
		}
	}
	n.keep = latin == 0 && lettered >= 2
}

// composes reports whether letter r and mark m make one precomposed
// character, as the accents of a script's own spelling do (ό, ё, й).
func composes(r, m rune) bool {
	var b [2 * utf8.UTFMax]byte
	k := utf8.EncodeRune(b[:], r)
	k += utf8.EncodeRune(b[k:], m)
	c := norm.NFC.Bytes(b[:k])
	_, size := utf8.DecodeRune(c)
	return size == len(c)
}

// isLeet reports whether r is a symbol that stands for a letter in
// leetspeak.
func isLeet(r rune) bool {
	switch r {
	case '@', '$', '!', '|', '€', '¡', '§':
		return true
	}
	return false
}

// isTokenRune reports whether r is part of a token: a letter, digit or mark,
// a leetspeak symbol, or a symbol with a Latin look-alike ("∪", "🅰").
func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isWordRune(r) || isLeet(r)
	}
	return isLeet(r) || props(r)&(pWord|pFold) != 0
}

func (n *normalizer) tokenize() {
	n.spans = n.spans[:0]
	start := -1
	for i, r := range n.rs {
		if isTokenRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			n.spans = append(n.spans, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		n.spans = append(n.spans, span{start, len(n.rs)})
	}
}

// single reports whether token t is one character (a base rune and its
// marks), and whether that character is a letter.
func single(t []rune) (ok, letter bool) {
	base := rune(-1)
	for _, r := range t {
		if isMark(r) {
			continue
		}
		if base >= 0 {
			return false, false
		}
		base = r
	}
	if base < 0 {
		return false, false
	}
	return true, letterScript(base) != scriptNone
}

// isJoiner reports whether r may separate the letters of a spaced-out word
// ("f.r.e.e", "f-r-e-e", "f*r*e*e", "f r e e").
func isJoiner(r rune) bool {
	switch r {
	case ' ', '.', '-', '_', '*', '~', '+', '/', '\\', '=', '#', '^', '`', '\'', '"', ':',
		'·', '•', '‧', '∙', '⋅', '・', '‐', '‑', '‒', '–', '—', '―':
		return true
	}
	return false
}

// joinerGap reports whether g can separate two letters of a spaced-out word:
// only joiners, at most three of them once runs of spaces count as one.
func joinerGap(g []rune) bool {
	k := 0
	for i, r := range g {
		if !isJoiner(r) {
			return false
		}
		if r == ' ' && i > 0 && g[i-1] == ' ' {
			continue
		}
		k++
	}
	return 1 <= k && k <= 3
}

// sameGapKind reports whether gaps a and b are the same once runs of
// spaces count as one, so that in "f.r.e.e c.r.y.p.t.o" the space ends the
// first word and "e.g. i.e." is not glued into one.
func sameGapKind(a, b []rune) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] != b[j] {
			return false
		}
		if a[i] == ' ' {
			for i < len(a) && a[i] == ' ' {
				i++
			}
			for j < len(b) && b[j] == ' ' {
				j++
			}
			continue
		}
		i++
		j++
	}
	return i == len(a) && j == len(b)
}

// singleRun looks at the run of single-character tokens that starts at token
// i, separated by joiner gaps of one kind. It returns the end j of that run
// and whether the run is a spaced-out word to glue together: at least three
// tokens, at least two of them letters. If not, it returns in next the token
// to look at after emitting tokens i…next-1 as they are: no shorter run
// inside this one could be glued either, but when a different kind of gap
// ended it, its last token may start a new run ("a b.c.d").
func (n *normalizer) singleRun(i int) (j, next int, glue bool) {
	letters := 0
	var kind []rune
	kindChange := false
	for j = i; j < len(n.spans); j++ {
		ok, letter := single(n.rs[n.spans[j].start:n.spans[j].end])
		if !ok {
			break
		}
		if letter {
			letters++
		}
		if j+1 == len(n.spans) {
			continue
		}
		gap := n.rs[n.spans[j].end:n.spans[j+1].start]
		if !joinerGap(gap) {
			j++
			break
		}
		if j > i && !sameGapKind(gap, kind) {
			kindChange = true
			j++
			break
		}
		kind = gap
	}
	switch {
	case j == i:
		return i + 1, i + 1, false
	case j-i >= 3 && letters >= 2:
		return j, j, true
	case kindChange && j-1 > i:
		return j, j - 1, false
	}
	return j, j, false
}

// group turns the tokens of rs into the final tokens: single characters of
// a spaced-out word glued into one token, every other token as it is.
func (n *normalizer) group() {
	n.toks, n.items = n.toks[:0], n.items[:0]
	pos := 0
	add := func(gapEnd int, spans []span) {
		start := len(n.toks)
		for _, sp := range spans {
			n.toks = append(n.toks, n.rs[sp.start:sp.end]...)
		}
		n.items = append(n.items, item{gap: span{pos, gapEnd}, tok: span{start, len(n.toks)}})
		pos = spans[len(spans)-1].end
	}
	for i := 0; i < len(n.spans); {
		j, next, glue := n.singleRun(i)
		if glue {
			add(n.spans[i].start, n.spans[i:j])
			i = j
			continue
		}
		for k := i; k < next; k++ {
			add(n.spans[k].start, n.spans[k:k+1])
		}
		i = next
	}
	n.tail = pos
}

// emitGap copies the runes between two tokens, collapsing runs of spaces and
// dropping leading ones.
func (n *normalizer) emitGap(g []rune) {
	for _, r := range g {
		if r == ' ' && (len(n.out) == 0 || n.out[len(n.out)-1] == ' ') {
			continue
		}
		n.out = append(n.out, r)
	}
}

// emitToken appends token t, folded to Latin and with leetspeak undone when
// it reads as Latin text: it has a Latin letter, or every letter in it is a
// look-alike of a Latin one and the text is not genuinely written in that
// letter's script.
func (n *normalizer) emitToken(t []rune) {
	hasLetter, hasLatin, allFold, genuine := false, false, true, false
	wide, leet := false, false // has non-ASCII runes; has digits or leet symbols
	for _, r := range t {
		var p uint16
		if r >= utf8.RuneSelf {
			p = props(r)
			wide = true
			if r == '€' || r == '¡' || r == '§' {
				leet = true
			}
		} else {
			if 'a' <= r && r <= 'z' {
				hasLatin, hasLetter = true, true
				continue
			}
			if '0' <= r && r <= '9' || isLeet(r) {
				leet = true
			}
			p = uint16(letterScript(r))
		}
		sc := int(p & pScript)
		switch sc {
		case scriptNone:
			continue
		case scriptLatin:
			hasLatin = true
		default:
			if p&pFold == 0 {
				allFold = false
			}
			if n.genuine&(1<<sc) != 0 {
				genuine = true
			}
		}
		hasLetter = true
	}
	if !hasLetter || n.keep || !hasLatin && (!allFold || genuine) {
		n.out = append(n.out, t...)
		return
	}
	f := t
	if wide {
		f = n.fold[:0]
		skipMarks := false
		for _, r := range t {
			if r < utf8.RuneSelf {
				f = append(f, r)
				skipMarks = false
				continue
			}
			if isMark(r) {
				if !skipMarks {
					f = append(f, r)
				}
				continue
			}
			skipMarks = false
			if e := lookupFold(r); e != nil {
				for i := 0; i < len(e.to); i++ {
					f = append(f, rune(e.to[i]))
					if c := e.to[i]; '0' <= c && c <= '9' {
						leet = true
					}
				}
				skipMarks = true // the marks belonged to the look-alike
				continue
			}
			f = append(f, r)
		}
		n.fold = f
	}
	if !leet || numberWithUnit(f) {
		n.out = append(n.out, f...)
		return
	}
	n.out = appendUnleet(n.out, f)
}

// leetDigits maps the digits that stand for letters.
var leetDigits = [10]rune{'o', 'i', '2', 'e', 'a', 's', '6', 't', 'b', 'g'}

// appendUnleet appends t with leetspeak undone: digits in runs of one or two
// (longer runs are numbers: "user123"), "@" and "$" anywhere, "!", "¡", "|"
// and "§" only between letters or digits ("sh!t" but not "hi!").
func appendUnleet(dst, t []rune) []rune {
	first, last := -1, -1
	for i, r := range t {
		// the span of what will be letters and digits once mapped
		if isWordRune(r) || r == '@' || r == '$' || r == '€' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i := 0; i < len(t); i++ {
		r := t[i]
		switch {
		case '0' <= r && r <= '9':
			j := i
			for j < len(t) && '0' <= t[j] && t[j] <= '9' {
				j++
			}
			if j-i >= 3 {
				dst = append(dst, t[i:j]...)
			} else if j-i == 2 && t[i] == '8' && t[i+1] == '8' {
				dst = append(dst, 'g', 'g') // ni88er, fa88ot: a double 8 reads as gg
			} else {
				for _, d := range t[i:j] {
					dst = append(dst, leetDigits[d-'0'])
				}
			}
			i = j - 1
			continue
		case r == '@':
			r = 'a'
		case r == '$':
			r = 's'
		case r == '€':
			r = 'e'
		case r == '|':
			if first < i && i < last {
				r = 'l'
			}
		case r == '§':
			if first < i && i < last {
				r = 's'
			}
		}
		dst = append(dst, r)
	}
	return dst
}

// numberWithUnit reports whether t is a number followed by a unit or an
// ordinal suffix ("10am", "5pm", "1st", "100km", "4k"), which is not
// leetspeak.
func numberWithUnit(t []rune) bool {
	i := 0
	for i < len(t) && '0' <= t[i] && t[i] <= '9' {
		i++
	}
	if i == 0 || i == len(t) || len(t)-i > 4 {
		return false
	}
	var b [4]byte
	for k, r := range t[i:] {
		if r < 'a' || r > 'z' {
			return false
		}
		b[k] = byte(r)
	}
	_, ok := units[string(b[:len(t)-i])]
	return ok
}

var units = map[string]struct{}{}

func init() {
	for _, u := range []string{
		"st", "nd", "rd", "th", "am", "pm", "h", "hr", "hrs", "m", "min", "mins", "s", "sec", "secs",
		"ms", "d", "w", "wk", "wks", "y", "yr", "yrs", "mo", "k", "kb", "mb", "gb", "tb", "g", "kg",
		"mg", "lb", "lbs", "oz", "l", "ml", "km", "cm", "mm", "ft", "mi", "mph", "kph", "kmh", "x",
		"p", "fps", "hz", "khz", "mhz", "ghz", "v", "kw", "kwh", "px", "pt", "gen", "c", "f",
	} {
		units[u] = struct{}{}
	}
}
