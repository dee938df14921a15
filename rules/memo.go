package rules

import "github.com/modgate/modgate/rules/textfn"

// The per-message memo of the pure text functions (normalize, words,
// lower of a long text, …), one typed table per result type: a cached
// []string or string is returned as it is, never boxed into an any, which
// cost an allocation per call, and a lookup compares a small function
// number before the input string.

// memoFn numbers a memoized function (memoID).
type memoFn uint8

// memoIDs numbers the memoized functions by name, at init.
var memoIDs = map[string]memoFn{}

// memoID returns the number of the memoized function name, giving it one
// the first time.
func memoID(name string) memoFn {
	if id, ok := memoIDs[name]; ok {
		return id
	}
	id := memoFn(len(memoIDs) + 1)
	if id == 0 {
		panic("rules: too many memoized functions")
	}
	memoIDs[name] = id
	return id
}

type memoEntry[T any] struct {
	fn  memoFn
	in  string
	out T
}

// memoTable is the results of one result type for one message. It holds a
// handful of entries (one per function and input the rules use), so a scan
// is faster than hashing the input.
type memoTable[T any] []memoEntry[T]

func (t memoTable[T]) get(fn memoFn, in string) (T, bool) {
	for i := range t {
		if c := &t[i]; c.fn == fn && c.in == in {
			return c.out, true
		}
	}
	var zero T
	return zero, false
}

func (t *memoTable[T]) put(fn memoFn, in string, out T) {
	*t = append(*t, memoEntry[T]{fn: fn, in: in, out: out})
}

// reset empties t for the next message, dropping its references.
func (t *memoTable[T]) reset() {
	clear(*t)
	*t = (*t)[:0]
}

// memoCache is an environment's memo tables.
type memoCache struct {
	str   memoTable[string]
	strs  memoTable[[]string]
	bools memoTable[bool]
	// match holds hasWord and hasSubstring results, by matcher.
	match []matchEntry
}

type matchEntry struct {
	m   *textfn.Matcher
	sub bool // hasSubstring, not hasWord
	in  string
	out bool
}

func (c *memoCache) reset() {
	c.str.reset()
	c.strs.reset()
	c.bools.reset()
	clear(c.match)
	c.match = c.match[:0]
}

// capacity is how many results c has room for.
func (c *memoCache) capacity() int {
	return cap(c.str) + cap(c.strs) + cap(c.bools) + cap(c.match)
}

// len is how many results c holds.
func (c *memoCache) len() int { return len(c.str) + len(c.strs) + len(c.bools) + len(c.match) }

// memoString returns fn(in), computed once per message.
func (e *Env) memoString(id memoFn, in string, fn func(string) string) string {
	if out, ok := e.cache.str.get(id, in); ok {
		return out
	}
	out := fn(in)
	e.cache.str.put(id, in, out)
	return out
}

// memoStrings returns fn(in), computed once per message.
func (e *Env) memoStrings(id memoFn, in string, fn func(string) []string) []string {
	if out, ok := e.cache.strs.get(id, in); ok {
		return out
	}
	out := fn(in)
	e.cache.strs.put(id, in, out)
	return out
}

// memoBool returns fn(in), computed once per message.
func (e *Env) memoBool(id memoFn, in string, fn func(string) bool) bool {
	if out, ok := e.cache.bools.get(id, in); ok {
		return out
	}
	out := fn(in)
	e.cache.bools.put(id, in, out)
	return out
}

// memoMatch returns m.HasWord(in), or m.HasSubstring(in) if sub, computed
// once per message: rules that test one list against the text with
// different other conditions share the scan.
func (e *Env) memoMatch(m *textfn.Matcher, sub bool, in string) bool {
	for i := range e.cache.match {
		if c := &e.cache.match[i]; c.m == m && c.sub == sub && c.in == in {
			return c.out
		}
	}
	var out bool
	if sub {
		out = m.HasSubstring(in)
	} else {
		out = m.HasWord(in)
	}
	e.cache.match = append(e.cache.match, matchEntry{m: m, sub: sub, in: in, out: out})
	return out
}
