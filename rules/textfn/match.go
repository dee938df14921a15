package textfn

import (
	"encoding/binary"
	"strings"
	"sync"
	"unicode/utf8"
)

// Matching works on a "stream": the text folded to lower case (foldCase) and
// re-encoded so that whole-word matching becomes plain substring search.
// Two bytes that never occur in UTF-8 mark where words begin and end, so the
// entry "ass" becomes ⟨ass⟩ and cannot match inside "class" (⟨class⟩) while
// it still matches "you ass!" (⟨you⟩ ⟨ass⟩!). List entries go through the
// very same function as the text, which is what makes the Matcher, the
// slice functions and the two sides of every comparison agree.
const (
	markBegin = 0xFE // a word starts here
	markEnd   = 0xFF // a word ends here
)

type streamMode uint8

const (
	// modeWord keeps only words: every run of non-word runes becomes one
	// space, so the phrase "free crypto" matches "FREE,  crypto".
	modeWord streamMode = iota
	// modeLit keeps punctuation and symbols as they are and only folds runs
	// of white space, for entries such as "a$$", "f*ck" or "🍆".
	modeLit
	// modeSub folds runs of white space and marks no word boundaries: plain
	// case-insensitive substring search.
	modeSub
)

// appendStream appends the stream form of s to dst. If pos is not nil, it
// also appends to *pos, for every byte written, the offset in s of the rune
// that byte stands for (a folded space stands for the first rune of its run,
// a boundary mark for the rune after it).
func appendStream(dst []byte, pos *[]int32, s string, mode streamMode) []byte {
	marks := mode != modeSub
	inWord := false
	gap, gapAt := false, 0 // a run of separators is pending, starting at gapAt
	started := mode == modeSub
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
		if !word {
			if inWord {
				if marks {
					dst = append(dst, markEnd)
					if pos != nil {
						*pos = append(*pos, int32(i))
					}
				}
				inWord = false
			}
			if mode == modeWord || isSpace(r) {
				if !gap {
					gap, gapAt = true, i
				}
				i += size
				continue
			}
		}
		if gap {
			if started {
				dst = append(dst, ' ')
				if pos != nil {
					*pos = append(*pos, int32(gapAt))
				}
			}
			gap = false
		}
		started = true
		if word && !inWord {
			if marks {
				dst = append(dst, markBegin)
				if pos != nil {
					*pos = append(*pos, int32(i))
				}
			}
			inWord = true
		}
		n := len(dst)
		if r < utf8.RuneSelf {
			dst = append(dst, byte(r))
		} else {
			dst = utf8.AppendRune(dst, r)
		}
		if pos != nil {
			for range len(dst) - n {
				*pos = append(*pos, int32(i))
			}
		}
		i += size
	}
	if inWord && marks {
		dst = append(dst, markEnd)
		if pos != nil {
			*pos = append(*pos, int32(len(s)))
		}
	}
	if gap && mode == modeSub {
		dst = append(dst, ' ')
		if pos != nil {
			*pos = append(*pos, int32(gapAt))
		}
	}
	return dst
}

// entryMode classifies a list entry for HasWord and Mask: blank entries are
// ignored (ok false), entries made of words and spaces match word by word
// across any separators, and entries with other runes match literally.
func entryMode(e string) (mode streamMode, ok bool) {
	mode = modeWord
	for _, r := range e {
		if isSpace(r) {
			continue
		}
		ok = true
		if !isWordRune(foldCase(r)) {
			return modeLit, true
		}
	}
	return mode, ok
}

// blank reports whether e has nothing but white space.
func blank(e string) bool {
	return strings.TrimFunc(e, isSpace) == ""
}

// scratch holds the buffers of one matching call.
type scratch struct {
	word, lit, sub, entry, join []byte
	wordPos, litPos, joinPos    []int32
	cnt, joinCnt                []uint8
	hits                        []hit
	exc                         []span
	pat                         []rune
	ends                        []int
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(b *scratch) {
	if cap(b.word) > maxPooled || cap(b.lit) > maxPooled || cap(b.sub) > maxPooled || cap(b.entry) > maxPooled ||
		cap(b.wordPos) > maxPooled || cap(b.litPos) > maxPooled || cap(b.cnt) > maxPooled ||
		cap(b.hits) > maxPooled || cap(b.pat) > maxPooled || cap(b.ends) > maxPooled {
		return
	}
	scratchPool.Put(b)
}

// HasWord reports whether some entry of list occurs in s as a whole word or
// phrase, ignoring case, with the tolerances and the entry syntax of the
// package documentation. For a list used on every message, build a Matcher
// once instead: this compiles list (or finds it among the lists compiled
// lately, see ListMatcher).
func HasWord(s string, list []string) bool { return ListMatcher(list).HasWord(s) }

// HasSubstring reports whether the root of some entry of list (exceptions
// aside) occurs anywhere in s, ignoring case and the amount of white space
// ("free  crypto" contains "e c"). Blank entries are ignored.
func HasSubstring(s string, list []string) bool { return ListMatcher(list).HasSubstring(s) }

// Mask returns s with every match of an entry of list replaced by
// asterisks, one per rune, so the result has as many runes as s. The whole
// matched span is masked, including the spaces and punctuation inside a
// phrase ("free, crypto" becomes "************"); everything else is left
// exactly as it was.
func Mask(s string, list []string) string { return ListMatcher(list).Mask(s) }

// ListMatcher returns NewMatcher(list), from a small cache of the lists
// compiled lately: a list that arrives with every message (from metadata,
// say) is compiled once, not per message. Lists longer than a few
// kilobytes are compiled every time.
func ListMatcher(list []string) *Matcher {
	n := 0
	for _, e := range list {
		n += len(e) + binary.MaxVarintLen64
	}
	if n > maxCachedList {
		return NewMatcher(list)
	}
	// Each entry with its length in front, so that no two lists share a key.
	key := make([]byte, 0, n)
	for _, e := range list {
		key = binary.AppendUvarint(key, uint64(len(e)))
		key = append(key, e...)
	}
	listCache.Lock()
	m, ok := listCache.m[string(key)]
	listCache.Unlock()
	if ok {
		return m
	}
	m = NewMatcher(list)
	listCache.Lock()
	if len(listCache.m) >= maxCachedLists {
		clear(listCache.m) // crude, but bounded; lists that recur come back at once
	}
	listCache.m[string(key)] = m
	listCache.Unlock()
	return m
}

const (
	maxCachedList  = 4 << 10
	maxCachedLists = 256
)

var listCache = struct {
	sync.Mutex
	m map[string]*Matcher
}{m: map[string]*Matcher{}}

func applyMask(s string, mask []bool) string {
	if mask == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		if mask[i] {
			b.WriteByte('*')
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
