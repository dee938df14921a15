package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSubstringsAgreesWithContains: substrings finds exactly the entries
// strings.Contains finds, empty entries, overlaps and repeats included.
func TestSubstringsAgreesWithContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	alphabet := []string{"a", "b", "ab", " ", "é", "\xff", "free", "crypto"}
	gen := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	var buf []uint64
	for range 3000 {
		list := make([]string, rng.IntN(100))
		for j := range list {
			list[j] = gen(rng.IntN(4))
		}
		m := newSubstrings(list)
		text := gen(rng.IntN(30))
		found := m.occurring(text, &buf)
		for j, entry := range list {
			if got, want := found[j/64]>>(j%64)&1 != 0, strings.Contains(text, entry); got != want {
				t.Fatalf("entry %d %q in %q: substrings %v, Contains %v", j, entry, text, got, want)
			}
		}
	}
}

// BenchmarkSubstrings compares one pass over the text with one
// strings.Contains per entry, by the number of entries: the crossover
// sets substringsMinEntries (some 10 entries on a 51-byte text).
func BenchmarkSubstrings(b *testing.B) {
	text := "trail report: the north loop is muddy, bring boots."
	for _, n := range []int{6, 12, 24, 48} {
		list := make([]string, n)
		for j := range list {
			list[j] = fmt.Sprintf("%c%cphrase %d", 'a'+j%26, 'a'+(j*7)%26, j)
		}
		m := newSubstrings(list)
		var buf []uint64
		b.Run(fmt.Sprintf("%d/one-pass", n), func(b *testing.B) {
			for b.Loop() {
				m.occurring(text, &buf)
			}
		})
		b.Run(fmt.Sprintf("%d/contains", n), func(b *testing.B) {
			for b.Loop() {
				for _, e := range list {
					if strings.Contains(text, e) {
						break
					}
				}
			}
		})
	}
}
