package cometchat

import (
	"bytes"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit, so that this package accepts
// exactly the bodies encoding/json accepts.
const maxDepth = 10000

// decoder is a single-pass JSON reader over the body.
//
// The body is the caller's buffer, reused once the request is answered,
// while the strings decoded from it may live on (the console keeps recent
// decisions), so no string may share its memory. Rather than copy the whole
// body, which cost a third of the decoding, the decoder copies only the
// strings it keeps, one after the other into a strings.Builder (arena): a
// message costs one allocation of a fraction of the body's size. (With the
// payload, which keeps every string, the body is copied whole after all.)
//
// Every method that reads a value leaves d.i just past it and returns false
// on a syntax error, which it records in d.err; a method that returns false
// with d.err nil has reached the end of an object or array.
//
// The scanning itself is done by plain functions of (s, i) that return the
// index they stopped at (wsEnd, stringEnd, numberEnd, skipValue): they run
// on locals, so the loops do not store d.i at every byte, and they build no
// error. The methods turn a failed scan into the positioned error.
type decoder struct {
	s     []byte // the body: never kept, never written
	i     int
	depth int
	err   error
	strs  arena // the strings kept
	// keyAt is the offset of the key member returned last, or -1 when it
	// had escapes; then keyEsc is the key.
	keyAt  int
	keyEsc string
}

// arena is where the strings a body yields are copied to.
type arena struct {
	b    strings.Builder
	hint int // the room to make at the first string
	// mirror is a copy of the whole body, made instead when every string
	// of it is kept (for the payload): the strings are then its parts.
	mirror string
}

// keep returns a copy of d.s[i:j].
func (d *decoder) keep(i, j int) string {
	a := &d.strs
	if i == j {
		return ""
	}
	if a.mirror != "" {
		return a.mirror[i:j]
	}
	if a.b.Cap() == 0 {
		a.b.Grow(max(a.hint, j-i))
	}
	// The Builder only ever appends, so the strings it returned stay as
	// they were; should it outgrow its buffer, they keep the old one.
	n := a.b.Len()
	a.b.Write(d.s[i:j])
	return a.b.String()[n:]
}

// keepKey returns a copy of k, the key member returned last.
func (d *decoder) keepKey(k []byte) string {
	if d.keyAt < 0 {
		return d.keyEsc
	}
	return d.keep(d.keyAt, d.keyAt+len(k))
}

func (d *decoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *decoder) ws() { d.i = wsEnd(d.s, d.i) }

// wsEnd returns the index of the first byte at or after i that is not white
// space. Small enough to inline, it settles the common case of a token
// that follows at once without a call.
func wsEnd(s []byte, i int) int {
	if i < len(s) && s[i] > ' ' {
		return i
	}
	return wsEndSlow(s, i)
}

// Word-at-a-time scanning: eight bytes of the body read as one
// little-endian uint64, so that byte k of the body is byte k of the word
// and the lowest flagged byte of a word is the first one in the body.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load64 reads s[i:i+8]; the compiler makes it a single load.
func load64(s []byte, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// wsEndSlow skips white space, and runs of spaces eight at a time: in an
// indented body the white space is mostly the spaces after a newline.
func wsEndSlow(s []byte, i int) int {
	for i < len(s) && isSpace[s[i]] {
		i++
		for i+8 <= len(s) {
			if x := load64(s, i) ^ (ones * ' '); x != 0 {
				i += bits.TrailingZeros64(x) >> 3
				break
			}
			i += 8
		}
	}
	return i
}

var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// fail records a syntax error at d.i: the character there is invalid in the
// situation what describes, or the input ended early.
func (d *decoder) fail(what string) bool {
	if d.err != nil {
		return false
	}
	if d.i >= len(d.s) {
		d.err = &DecodeError{Msg: "body is not valid JSON: unexpected end of input at offset " + strconv.Itoa(len(d.s))}
	} else {
		d.err = &DecodeError{Msg: "body is not valid JSON: invalid character " + quoteChar(d.s[d.i]) + " " + what + " at offset " + strconv.Itoa(d.i)}
	}
	return false
}

func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c < utf8.RuneSelf:
		return strconv.QuoteRune(rune(c))
	default:
		return "byte 0x" + strconv.FormatUint(uint64(c), 16)
	}
}

// end checks that nothing but white space follows the top-level value.
func (d *decoder) end() bool {
	d.ws()
	if d.i < len(d.s) {
		return d.fail("after top-level value")
	}
	return d.err == nil
}

// open consumes the '{' or '[' at d.i.
func (d *decoder) open() bool {
	if d.depth >= maxDepth {
		return d.tooDeep()
	}
	d.depth++
	d.i++
	return true
}

// tooDeep is open's failure, apart so that open inlines.
func (d *decoder) tooDeep() bool {
	if d.err == nil {
		d.err = &DecodeError{Msg: "body is not valid JSON: nesting deeper than " + strconv.Itoa(maxDepth) + " levels at offset " + strconv.Itoa(d.i)}
	}
	return false
}

// member moves to the next member of the object being read and returns its
// key, leaving d.i at the member's value. n counts the members seen so far.
// It returns false past the closing brace and on a syntax error.
//
// The key is most often a part of the body, to compare (switch string(k)
// does not copy) or to keep with d.keep, never to hold on to.
func (d *decoder) member(n *int) ([]byte, bool) {
	s := d.s
	i := d.i
	// A value most often ends where its comma is.
	comma := i < len(s) && s[i] == ',' && *n > 0
	if comma {
		i++
	}
	if i < len(s) && s[i] <= ' ' {
		// In an indented body a newline and spaces come before a key
		// and before the closing brace: skip them here, without
		// wsEndSlow's call and loop.
		if s[i] == '\n' {
			for i++; i+8 <= len(s); i += 8 {
				if x := load64(s, i) ^ (ones * ' '); x != 0 {
					i += bits.TrailingZeros64(x) >> 3
					break
				}
			}
		}
		i = wsEnd(s, i)
	}
	if !comma {
		switch {
		case i < len(s) && s[i] == '}':
			return nil, d.close(i)
		case *n == 0:
		case i < len(s) && s[i] == ',':
			i = wsEnd(s, i+1)
		default:
			d.i = i
			return nil, d.fail("after object key:value pair")
		}
	}
	*n++
	if i >= len(s) || s[i] != '"' {
		d.i = i
		return nil, d.fail("looking for beginning of object key string")
	}
	// Keys are short and plain: look for the closing quote here, a word
	// at a time, and leave anything else to key.
	i++
	j := i
	for j+8 <= len(s) {
		w := load64(s, j)
		if m := plainStops(w); m != 0 {
			j += bits.TrailingZeros64(m) >> 3
			break
		}
		j += 8
	}
	// Then `": ` and the value, or `":` and the value in a compact body.
	if j+2 < len(s) && s[j] == '"' && s[j+1] == ':' {
		d.keyAt = i
		switch c := s[j+2]; {
		case c > ' ':
			d.i = j + 2
			return s[i:j], true
		case c == ' ' && j+3 < len(s) && s[j+3] > ' ':
			d.i = j + 3
			return s[i:j], true
		}
	}
	return d.key(i)
}

// close ends member at the object's closing brace, d.s[i].
func (d *decoder) close(i int) bool {
	d.i = i + 1
	d.depth--
	return false
}

// key is member for a key that starts at d.s[i] (past the quote) and is
// not plain, or is not followed at once by the colon and the value.
func (d *decoder) key(i int) ([]byte, bool) {
	s := d.s
	end, plain, bad := stringEnd(s, i)
	if bad != "" {
		d.i = end
		return nil, d.fail(bad)
	}
	k := s[i : end-1]
	d.keyAt = i
	if !plain {
		d.keyAt, d.keyEsc = -1, unquote(k)
		k = []byte(d.keyEsc)
	}
	i = wsEnd(s, end)
	if i >= len(s) || s[i] != ':' {
		d.i = i
		return nil, d.fail("after object key")
	}
	d.i = wsEnd(s, i+1)
	return k, true
}

// elem moves to the next element of the array being read. It returns false
// past the closing bracket and on a syntax error.
func (d *decoder) elem(n *int) bool {
	s := d.s
	i := wsEnd(s, d.i)
	if i >= len(s) {
		d.i = i
		return d.fail("")
	}
	switch c := s[i]; {
	case c == ']':
		d.i = i + 1
		d.depth--
		return false
	case *n == 0:
	case c != ',':
		d.i = i
		return d.fail("after array element")
	default:
		i = wsEnd(s, i+1)
	}
	d.i = i
	*n++
	return true
}

// inString marks the bytes a string literal may hold as they are.
var inString = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// stringStops flags, in the high bit of each byte, the bytes of w that end a
// run of bytes a string holds as they are: '"', '\\' and control
// characters. Each term is the classic test for a byte below n,
// (x - n·ones) &^ x & highs, with '"' and '\\' as zero bytes of w^'"' and
// w^'\\' (whose high bits are those of w). A borrow only carries upwards from
// a flagged byte, so the lowest flag is exact; bytes above it may be flagged
// wrongly, which does not matter. Bytes from 0x80 up are never flagged.
func stringStops(w uint64) uint64 {
	return ((w - ones*0x20) | ((w ^ (ones * '"')) - ones) | ((w ^ (ones * '\\')) - ones)) &^ w & highs
}

// plainStops is stringStops that also flags the bytes from 0x80 up, which
// end a plain (ASCII) run too. Those bytes are the only ones the
// differences flag wrongly without a borrow (stringStops masks them with
// &^ w), and a borrow still starts only at a flagged byte, so the lowest
// flag stays exact without the mask: two instructions less a word.
func plainStops(w uint64) uint64 {
	return ((w - ones*0x20) | ((w ^ (ones * '"')) - ones) | ((w ^ (ones * '\\')) - ones) | w) & highs
}

// stringEnd scans the contents of the string literal that start at s[i],
// just past the opening quote. It returns the index just past the closing
// quote, and whether the contents are the value as they stand (ASCII
// without escapes). On a syntax error, bad says what is wrong at index end,
// or the input ended there.
func stringEnd(s []byte, i int) (end int, plain bool, bad string) {
	var high uint64 // the bytes passed, or-ed: a high bit means not ASCII
	escaped := false
	for {
		for i+8 <= len(s) {
			w := load64(s, i)
			if m := stringStops(w); m != 0 {
				n := bits.TrailingZeros64(m) >> 3
				high |= w & (1<<(8*n) - 1)
				i += n
				if s[i] == '"' { // the common end: no escape in the last word
					return i + 1, !escaped && high&highs == 0, ""
				}
				break
			}
			high |= w
			i += 8
		}
		// Fewer than eight bytes are left, or s[i] ends the run.
		for i < len(s) && inString[s[i]] {
			high |= uint64(s[i])
			i++
		}
		if i >= len(s) {
			return i, false, "in string literal"
		}
		switch s[i] {
		case '"':
			return i + 1, !escaped && high&highs == 0, ""
		case '\\':
			escaped = true
			i++
			if i >= len(s) {
				return i, false, "in string escape code"
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for range 4 {
					if i >= len(s) || !isHex(s[i]) {
						return i, false, `in \u hexadecimal character escape`
					}
					i++
				}
			default:
				return i, false, "in string escape code"
			}
		default: // a control character
			return i, false, "in string literal"
		}
	}
}

// str reads the string literal at d.i.
func (d *decoder) str() (string, bool) { return d.flexString() }

// strSlow is flexString for a string that is not plain ASCII, or ends in the last
// eight bytes of the body.
func (d *decoder) strSlow() (string, bool) {
	end, plain, bad := stringEnd(d.s, d.i+1)
	if bad != "" {
		d.i = end
		return "", d.fail(bad)
	}
	start := d.i + 1
	d.i = end
	if !plain {
		return unquote(d.s[start : end-1]), true
	}
	return d.keep(start, end-1), true
}

// strTemp reads the string literal at d.i for a moment: the result may be a
// part of the body, not to be kept.
func (d *decoder) strTemp() ([]byte, bool) {
	end, plain, bad := stringEnd(d.s, d.i+1)
	if bad != "" {
		d.i = end
		return nil, d.fail(bad)
	}
	raw := d.s[d.i+1 : end-1]
	d.i = end
	if !plain {
		return []byte(unquote(raw)), true
	}
	return raw, true
}

// scanStr validates the string literal at d.i and moves past it.
func (d *decoder) scanStr() bool {
	end, _, bad := stringEnd(d.s, d.i+1)
	d.i = end
	if bad != "" {
		return d.fail(bad)
	}
	return true
}

// unquote decodes the escapes of a validated string literal's contents and
// replaces invalid UTF-8 and unpaired surrogates with U+FFFD, as
// encoding/json does. The result is a new string.
func unquote(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw) + 8)
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch raw[i+1] {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r := hex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2 = hex4(raw[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b.WriteRune(dec)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
				continue
			default: // '"', '\\', '/'
				b.WriteByte(raw[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.Write(raw[i : i+size])
			}
			i += size
		}
	}
	return b.String()
}

// hex4 decodes four validated hexadecimal digits.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// numberEnd scans the number literal at s[i] and returns the index just
// past it. On a syntax error, bad says what is wrong at index end, or the
// input ended there.
func numberEnd(s []byte, i int) (end int, bad string) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return i, "in numeric literal"
	case s[i] == '0':
		i++
	case isDigit(s[i]):
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	default:
		return i, "in numeric literal"
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return i, "after decimal point in numeric literal"
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return i, "in exponent of numeric literal"
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	return i, ""
}

// number reads the number literal at d.i, which starts with '-' or a digit,
// and returns its text, a part of the body.
func (d *decoder) number() ([]byte, bool) {
	start := d.i
	end, bad := numberEnd(d.s, start)
	d.i = end
	if bad != "" {
		return nil, d.fail(bad)
	}
	return d.s[start:end], true
}

// literal reads the literal w (true, false or null) at d.i.
func (d *decoder) literal(w string) bool {
	if bytes.HasPrefix(d.s[d.i:], []byte(w)) {
		d.i += len(w)
		return true
	}
	for k := 0; k < len(w); k++ {
		if d.i >= len(d.s) {
			return d.fail("")
		}
		if d.s[d.i] != w[k] {
			return d.fail("in literal " + w + " (expecting " + quoteChar(w[k]) + ")")
		}
		d.i++
	}
	return true
}

func isNumberStart(c byte) bool { return c == '-' || isDigit(c) }

// skip validates the value at d.i and moves past it. The values nobody reads
// are most of some bodies, so the validation is skipValue's tight loops;
// only a body it rejects is walked again, by skipSlow, to say what is wrong
// and where.
func (d *decoder) skip() bool {
	if end, ok := skipValue(d.s, d.i, d.depth); ok {
		d.i = end
		return true
	}
	return d.skipSlow()
}

// skipValue validates the value at s[i] exactly as encoding/json does and
// returns the index just past it; depth is the number of arrays and objects
// open around the value. It builds nothing and records no error.
func skipValue(s []byte, i, depth int) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	var ok bool
	switch s[i] {
	case '"':
		end, _, bad := stringEnd(s, i+1)
		return end, bad == ""
	case '{':
		if depth >= maxDepth {
			return i, false
		}
		if i = wsEnd(s, i+1); i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return i, false
			}
			end, _, bad := stringEnd(s, i+1)
			if bad != "" {
				return end, false
			}
			if i = wsEnd(s, end); i >= len(s) || s[i] != ':' {
				return i, false
			}
			if i, ok = skipValue(s, wsEnd(s, i+1), depth+1); !ok {
				return i, false
			}
			if i = wsEnd(s, i); i >= len(s) {
				return i, false
			}
			switch s[i] {
			case ',':
				i = wsEnd(s, i+1)
			case '}':
				return i + 1, true
			default:
				return i, false
			}
		}
	case '[':
		if depth >= maxDepth {
			return i, false
		}
		if i = wsEnd(s, i+1); i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			if i, ok = skipValue(s, i, depth+1); !ok {
				return i, false
			}
			if i = wsEnd(s, i); i >= len(s) {
				return i, false
			}
			switch s[i] {
			case ',':
				i = wsEnd(s, i+1)
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case 't':
		return i + 4, bytes.HasPrefix(s[i:], []byte("true"))
	case 'f':
		return i + 5, bytes.HasPrefix(s[i:], []byte("false"))
	case 'n':
		return i + 4, bytes.HasPrefix(s[i:], []byte("null"))
	default:
		end, bad := numberEnd(s, i)
		return end, bad == ""
	}
}

// skipSlow is skip for a value skipValue rejected: it walks the value again
// with the methods that record the error.
func (d *decoder) skipSlow() bool {
	if d.i >= len(d.s) {
		return d.fail("")
	}
	switch c := d.s[d.i]; c {
	case '{':
		if !d.open() {
			return false
		}
		var n int
		for {
			if _, ok := d.member(&n); !ok {
				return d.err == nil
			}
			if !d.skipSlow() {
				return false
			}
		}
	case '[':
		if !d.open() {
			return false
		}
		var n int
		for d.elem(&n) {
			if !d.skipSlow() {
				return false
			}
		}
		return d.err == nil
	case '"':
		return d.scanStr()
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if isNumberStart(c) {
			_, ok := d.number()
			return ok
		}
		return d.fail("looking for beginning of value")
	}
}

// value reads the value at d.i as generic JSON, the way encoding/json
// decodes into an any: objects as map[string]any, arrays as []any, numbers
// as float64 (nil when out of range).
func (d *decoder) value() (any, bool) {
	if d.i >= len(d.s) {
		return nil, d.fail("")
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object()
	case '[':
		if !d.open() {
			return nil, false
		}
		a := make([]any, 0)
		var n int
		for d.elem(&n) {
			v, ok := d.value()
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
		return a, d.err == nil
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if !isNumberStart(c) {
			return nil, d.fail("looking for beginning of value")
		}
		lit, ok := d.number()
		if !ok {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil {
			return nil, true
		}
		return f, true
	}
}

// object reads the object at d.i as a map[string]any.
func (d *decoder) object() (map[string]any, bool) {
	if !d.open() {
		return nil, false
	}
	m := make(map[string]any)
	var n int
	for {
		k, ok := d.member(&n)
		if !ok {
			return m, d.err == nil
		}
		// Keep the key before the value moves d on; k is only valid now.
		key := d.keepKey(k)
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[key] = v
	}
}

// objectOrNil reads an object as a map and skips anything else, yielding nil.
func (d *decoder) objectOrNil() (map[string]any, bool) {
	if d.peek() != '{' {
		return nil, d.skip()
	}
	return d.object()
}

// flexString reads a string, or a number as the text it was sent as; any
// other value yields "".
func (d *decoder) flexString() (string, bool) {
	s, start := d.s, d.i+1
	if d.i >= len(s) || s[d.i] != '"' {
		return d.flexOther()
	}
	// Most values are a few words of plain ASCII: find the closing quote a
	// word at a time, here rather than in a function of its own, whose call
	// cost as much as the scan, and leave anything else to strSlow.
	for end := start; end+8 <= len(s); end += 8 {
		w := load64(s, end)
		if m := plainStops(w); m != 0 {
			if end += bits.TrailingZeros64(m) >> 3; s[end] == '"' {
				d.i = end + 1
				return d.keep(start, end), true
			}
			break
		}
	}
	return d.strSlow()
}

// flexOther is flexString for a value that is not a string.
func (d *decoder) flexOther() (string, bool) {
	switch c := d.peek(); {
	case isNumberStart(c):
		start := d.i
		_, ok := d.number()
		return d.keep(start, d.i), ok
	}
	return "", d.skip()
}

// flexInt reads a number, or a string holding one; anything else, or a
// number outside int's range, yields 0. Fractions are truncated.
func (d *decoder) flexInt() (int, bool) {
	// The usual value, a short run of digits (a size, a time), is parsed
	// as it is scanned; anything else (a sign, a fraction, an exponent, a
	// leading zero, a string, too many digits) is left to flexIntSlow.
	s, i := d.s, d.i
	n, j := 0, i
	for _, c := range s[i:min(len(s), i+maxDigits)] {
		if !isDigit(c) {
			break
		}
		n = n*10 + int(c-'0')
		j++
	}
	if j > i && j < len(s) && (s[i] != '0' || j == i+1) {
		if c := s[j]; !isDigit(c) && c != '.' && c != 'e' && c != 'E' {
			d.i = j
			return n, true
		}
	}
	return d.flexIntSlow()
}

// flexIntSlow is flexInt for any other value.
func (d *decoder) flexIntSlow() (int, bool) {
	c := d.peek()
	var s []byte
	var ok bool
	switch {
	case c == '"':
		s, ok = d.strTemp()
	case isNumberStart(c):
		s, ok = d.number()
	default:
		return 0, d.skip()
	}
	return toInt(s), ok
}

// intLimit is 2^63 (or 2^31): float64 values in [-intLimit, intLimit) fit in an int.
const intLimit = float64(1 << (strconv.IntSize - 1))

func toInt(s []byte) int {
	if n, ok := digits(s); ok {
		return n
	}
	if n, err := strconv.Atoi(string(s)); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || !(f >= -intLimit && f < intLimit) {
		return 0
	}
	return int(f)
}

// maxDigits is how many decimal digits always fit in an int.
const maxDigits = 9 + 9*(strconv.IntSize/64)

// digits reads s when it is a short run of decimal digits, as sizes and
// times are, faster than strconv.Atoi.
func digits(s []byte) (int, bool) {
	if len(s) == 0 || len(s) > maxDigits {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// kindOf names the JSON type of a value starting with c.
func kindOf(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	default:
		return "number"
	}
}
