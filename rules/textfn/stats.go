package textfn

import (
	"unicode"
	"unicode/utf8"
)

// CapsRatio returns the share of upper-case letters among the letters of s
// that have case, from 0 to 1: CapsRatio("STOP it") is 4/6. Letters without
// case (Chinese, Arabic, Hindi, …) are not counted, so a message in those
// scripts scores 0 rather than diluting a shouted Latin one. Title-case
// letters (ǅ) count as upper case. It returns 0 when s has no cased letter.
func CapsRatio(s string) float64 {
	upper, cased := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'A' <= c && c <= 'Z':
				upper++
				cased++
			case 'a' <= c && c <= 'z':
				cased++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			upper++
			cased++
		case unicode.IsLower(r):
			cased++
		}
	}
	if cased == 0 {
		return 0
	}
	return float64(upper) / float64(cased)
}

// EmojiCount returns the number of emoji in s, counting what a reader sees
// as one picture once: a flag (a pair of regional indicators, or a black
// flag with tag characters), a keycap ("1️⃣"), an emoji with a skin-tone
// modifier or a variation selector, and a sequence joined by zero-width
// joiners ("👨‍👩‍👧") are each one emoji.
//
// A character counts if it has the Emoji_Presentation property, if it is
// Extended_Pictographic and followed by U+FE0F (emoji presentation), or if it
// is an Extended_Pictographic code point unassigned in the Unicode version of
// Go's unicode package (such code points are reserved for emoji, so emoji
// newer than that version count too).
// Characters that default to text presentation ("©", "™", "↔", "☺", "🅰"
// without U+FE0F), and any character followed by U+FE0E (text presentation),
// are not counted, nor are bare digits, "#" and "*".
func EmojiCount(s string) int {
	count := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			// a keycap: [0-9#*] FE0F? 20E3
			if '0' <= c && c <= '9' || c == '#' || c == '*' {
				j := i + 1
				if hasPrefixRune(s[j:], 0xFE0F) {
					j += 3
				}
				if hasPrefixRune(s[j:], 0x20E3) {
					count++
					i = j + 3
					continue
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		switch {
		case isRegionalIndicator(r):
			if r2, size2 := utf8.DecodeRuneInString(s[j:]); isRegionalIndicator(r2) {
				j += size2
			}
			count++
		case isEmojiStart(r, s[j:]):
			count++
			j = emojiSequenceEnd(s, j)
		}
		i = j
	}
	return count
}

func hasPrefixRune(s string, r rune) bool {
	x, _ := utf8.DecodeRuneInString(s)
	return x == r && len(s) > 0
}

func isRegionalIndicator(r rune) bool { return 0x1F1E6 <= r && r <= 0x1F1FF }

// isEmojiStart reports whether r, followed by rest, starts an emoji.
func isEmojiStart(r rune, rest string) bool {
	next, _ := utf8.DecodeRuneInString(rest)
	if next == 0xFE0E {
		return false
	}
	if unicode.Is(emojiPresentation, r) {
		return true
	}
	if !unicode.Is(extendedPictographic, r) {
		return false
	}
	return next == 0xFE0F || !unicode.In(r, assigned...)
}

// assigned are the categories of assigned code points, as of the unicode
// package's Unicode version.
var assigned = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co}

// emojiSequenceEnd returns the end of the emoji whose first character ends
// at s[j]: modifiers, variation selectors, keycap marks, tags, and further
// pictographs joined by U+200D.
func emojiSequenceEnd(s string, j int) int {
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		switch {
		case r == 0xFE0F || r == 0xFE0E || r == 0x20E3 || unicode.Is(emojiModifier, r) || 0xE0020 <= r && r <= 0xE007F:
			j += size
		case r == 0x200D:
			r2, size2 := utf8.DecodeRuneInString(s[j+size:])
			if !unicode.Is(extendedPictographic, r2) && !unicode.Is(emojiPresentation, r2) {
				return j
			}
			j += size + size2
		default:
			return j
		}
	}
	return j
}
