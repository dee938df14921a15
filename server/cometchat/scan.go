package cometchat

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit, so that this package accepts
// exactly the bodies encoding/json accepts.
const maxDepth = 10000

// decoder is a single-pass JSON reader over a copy of the body. Decoded
// strings without escapes are substrings of that copy, so a whole message
// costs one allocation for its strings.
//
// Every method that reads a value leaves d.i just past it and returns false
// on a syntax error, which it records in d.err; a method that returns false
// with d.err nil has reached the end of an object or array.
type decoder struct {
	s     string
	i     int
	depth int
	err   error
}

func (d *decoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *decoder) ws() {
	// On locals: the loop would otherwise store d.i at every byte, and
	// an indented body is a third whitespace.
	s, i := d.s, d.i
	for i < len(s) && isSpace[s[i]] {
		i++
	}
	d.i = i
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
		if d.err == nil {
			d.err = &DecodeError{Msg: "body is not valid JSON: nesting deeper than " + strconv.Itoa(maxDepth) + " levels at offset " + strconv.Itoa(d.i)}
		}
		return false
	}
	d.depth++
	d.i++
	return true
}

// member moves to the next member of the object being read and returns its
// key, leaving d.i at the member's value. n counts the members seen so far.
// It returns false past the closing brace and on a syntax error.
func (d *decoder) member(n *int) (string, bool) {
	d.ws()
	if d.i >= len(d.s) {
		return "", d.fail("")
	}
	c := d.s[d.i]
	if c == '}' {
		d.i++
		d.depth--
		return "", false
	}
	if *n > 0 {
		if c != ',' {
			return "", d.fail("after object key:value pair")
		}
		d.i++
		d.ws()
		c = d.peek()
	}
	*n++
	if c != '"' {
		return "", d.fail("looking for beginning of object key string")
	}
	k, ok := d.str()
	if !ok {
		return "", false
	}
	d.ws()
	if d.i >= len(d.s) {
		return "", d.fail("")
	}
	if d.s[d.i] != ':' {
		return "", d.fail("after object key")
	}
	d.i++
	d.ws()
	return k, true
}

// elem moves to the next element of the array being read. It returns false
// past the closing bracket and on a syntax error.
func (d *decoder) elem(n *int) bool {
	d.ws()
	if d.i >= len(d.s) {
		return d.fail("")
	}
	c := d.s[d.i]
	if c == ']' && *n == 0 {
		d.i++
		d.depth--
		return false
	}
	if *n > 0 {
		if c == ']' {
			d.i++
			d.depth--
			return false
		}
		if c != ',' {
			return d.fail("after array element")
		}
		d.i++
		d.ws()
	}
	*n++
	return true
}

// plainByte marks the bytes a string literal may hold as they are.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanString validates the string literal at d.i and moves past it. It
// returns the text between the quotes and whether that text is the value as
// it stands (no escapes, only ASCII).
func (d *decoder) scanString() (raw string, plain, ok bool) {
	s := d.s
	start := d.i + 1
	i := start
	plain = true
	for {
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		if i >= len(s) {
			d.i = i
			return "", false, d.fail("")
		}
		switch c := s[i]; {
		case c == '"':
			d.i = i + 1
			return s[start:i], plain, true
		case c == '\\':
			plain = false
			i++
			if i >= len(s) {
				d.i = i
				return "", false, d.fail("")
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for range 4 {
					if i >= len(s) || !isHex(s[i]) {
						d.i = i
						return "", false, d.fail(`in \u hexadecimal character escape`)
					}
					i++
				}
			default:
				d.i = i
				return "", false, d.fail("in string escape code")
			}
		case c < 0x20:
			d.i = i
			return "", false, d.fail("in string literal")
		default: // not ASCII
			plain = false
			i++
		}
	}
}

// str reads the string literal at d.i.
func (d *decoder) str() (string, bool) {
	raw, plain, ok := d.scanString()
	if !ok || plain {
		return raw, ok
	}
	return unquote(raw), true
}

// unquote decodes the escapes of a validated string literal's contents and
// replaces invalid UTF-8 and unpaired surrogates with U+FFFD, as
// encoding/json does.
func unquote(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 && utf8.ValidString(raw) {
		return raw
	}
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
			r, size := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(raw[i : i+size])
			}
			i += size
		}
	}
	return b.String()
}

// hex4 decodes four validated hexadecimal digits.
func hex4(s string) rune {
	var r rune
	for _, c := range []byte(s[:4]) {
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

// number reads the number literal at d.i, which starts with '-' or a digit,
// and returns its text.
func (d *decoder) number() (string, bool) {
	s, i := d.s, d.i
	start := i
	if s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		d.i = i
		return "", d.fail("")
	case s[i] == '0':
		i++
	case isDigit(s[i]):
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	default:
		d.i = i
		return "", d.fail("in numeric literal")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			d.i = i
			return "", d.fail("after decimal point in numeric literal")
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
			d.i = i
			return "", d.fail("in exponent of numeric literal")
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	d.i = i
	return s[start:i], true
}

// literal reads the literal w (true, false or null) at d.i.
func (d *decoder) literal(w string) bool {
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

// skip validates the value at d.i and moves past it.
func (d *decoder) skip() bool {
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
			if !d.skip() {
				return false
			}
		}
	case '[':
		if !d.open() {
			return false
		}
		var n int
		for d.elem(&n) {
			if !d.skip() {
				return false
			}
		}
		return d.err == nil
	case '"':
		_, _, ok := d.scanString()
		return ok
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
		f, err := strconv.ParseFloat(lit, 64)
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
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[k] = v
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
	c := d.peek()
	switch {
	case c == '"':
		return d.str()
	case isNumberStart(c):
		return d.number()
	}
	return "", d.skip()
}

// flexInt reads a number, or a string holding one; anything else, or a
// number outside int's range, yields 0. Fractions are truncated.
func (d *decoder) flexInt() (int, bool) {
	c := d.peek()
	var s string
	var ok bool
	switch {
	case c == '"':
		s, ok = d.str()
	case isNumberStart(c):
		s, ok = d.number()
	default:
		return 0, d.skip()
	}
	return toInt(s), ok
}

// intLimit is 2^63 (or 2^31): float64 values in [-intLimit, intLimit) fit in an int.
const intLimit = float64(1 << (strconv.IntSize - 1))

func toInt(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= -intLimit && f < intLimit) {
		return 0
	}
	return int(f)
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
