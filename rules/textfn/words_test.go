package textfn

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// wordsByRunes is Words as it was before its ASCII path: every rune
// decoded and folded. The differential tests hold the fast version to it.
func wordsByRunes(s string) []string {
	buf := make([]byte, 0, len(s))
	var cuts []int
	start := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		r = foldCase(r)
		if isWordRune(r) {
			if start < 0 {
				start = len(buf)
			}
			buf = utf8.AppendRune(buf, r)
			continue
		}
		if (r == '\'' || r == '’') && start >= 0 && i < len(s) {
			if next, _ := utf8.DecodeRuneInString(s[i:]); isWordRune(foldCase(next)) {
				buf = append(buf, '\'')
				continue
			}
		}
		if start >= 0 {
			cuts = append(cuts, start, len(buf))
			start = -1
		}
	}
	if start >= 0 {
		cuts = append(cuts, start, len(buf))
	}
	all := string(buf)
	words := make([]string, len(cuts)/2)
	for k := range words {
		words[k] = all[cuts[2*k]:cuts[2*k+1]]
	}
	return words
}

// scannedWords reads s through a WordScanner, reused from the last call.
func scannedWords(w *WordScanner, s string) []string {
	out := []string{}
	w.Reset(s)
	for {
		word, ok := w.Next()
		if !ok {
			return out
		}
		out = append(out, strings.Clone(word))
	}
}

// wordPieces are the fragments the generated texts are made of: ASCII of
// both cases, apostrophes in and around words, non-ASCII letters that fold
// and that do not, combining marks, invalid UTF-8, separators.
var wordPieces = []string{
	"hello", "HeLLo", "scam", "SCAM", "don't", "DON'T", "don’t", "Don’T", "'", "’", "''", "a'", "'b", "x'Y",
	"jérk", "JÉRK", "je\u0301rk", "ümlaut", "ÜMLAUT", "ß", "İ", "ǅ", "ȿ", "Σ", "ς", "日本", "🙂", "2024", "v1.2",
	"\xff", "\xe2\x80", "\uFFFD", " ", "  ", ",", ".", "-", "_", "\t", "\n", "!", "—", "\u00a0", "\u200b",
}

func generatedTexts(n int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	texts := []string{"", " ", "'", "’", "a", "A", "a'", "'a", "a'b", "a’b", "a'’b", "\xff", "abc\xff", "ABC'", "x'\xff"}
	for range n {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(wordPieces[rng.IntN(len(wordPieces))])
		}
		texts = append(texts, b.String())
	}
	return texts
}

// TestWordsAgreesWithRunePath: the ASCII path of Words and the scanner
// give exactly the words of the rune-by-rune definition.
func TestWordsAgreesWithRunePath(t *testing.T) {
	var sc WordScanner
	for _, s := range generatedTexts(5000) {
		want := wordsByRunes(s)
		if got := Words(s); !slices.Equal(got, want) {
			t.Fatalf("Words(%q) = %q, want %q", s, got, want)
		}
		if got := scannedWords(&sc, s); !slices.Equal(got, want) {
			t.Fatalf("WordScanner on %q = %q, want %q", s, got, want)
		}
	}
}

func FuzzWords(f *testing.F) {
	for _, s := range generatedTexts(50) {
		f.Add(s)
	}
	var sc WordScanner
	f.Fuzz(func(t *testing.T, s string) {
		want := wordsByRunes(s)
		if got := Words(s); !slices.Equal(got, want) {
			t.Fatalf("Words(%q) = %q, want %q", s, got, want)
		}
		if got := scannedWords(&sc, s); !slices.Equal(got, want) {
			t.Fatalf("WordScanner on %q = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkWords compares the ASCII path (lower-case and mixed case) with
// the rune path, and the scanner, which does not allocate.
func BenchmarkWords(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"ascii-lower", strings.ToLower(benchMessage)},
		{"ascii-mixed", benchMessage},
		{"non-ascii", "Hé équipe, la sortie est à 10h30 demain ; relisez la PR et prévenez-moi si ça casse ! Über straße"},
	} {
		b.Run(bc.name+"/Words", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				Words(bc.text)
			}
		})
		b.Run(bc.name+"/runes", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				wordsByRunes(bc.text)
			}
		})
		b.Run(bc.name+"/scanner", func(b *testing.B) {
			var sc WordScanner
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				sc.Reset(bc.text)
				for {
					if _, ok := sc.Next(); !ok {
						break
					}
				}
			}
		})
	}
}
