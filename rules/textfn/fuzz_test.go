package textfn

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func addCorpusSeeds(f *testing.F) {
	for _, name := range []string{"testdata/evasions.txt", "testdata/innocent.txt"} {
		for _, s := range readCorpus(f, name) {
			f.Add(s)
		}
	}
}

// FuzzNormalize checks that Normalize never panics, returns valid UTF-8 in
// NFC, is idempotent, and that its ASCII fast path agrees with the general
// path.
func FuzzNormalize(f *testing.F) {
	addCorpusSeeds(f)
	f.Add("\xff\xfe\xc3")
	f.Add("a . b . c")
	f.Fuzz(func(t *testing.T, s string) {
		out := Normalize(s)
		checkNormalized(t, s, out)
		slow := &normalizer{slow: true}
		if got := slow.normalize(s); got != out {
			t.Fatalf("Normalize(%q) = %q, general path %q", s, out, got)
		}
	})
}

// FuzzMatcher checks that a Matcher and the list functions agree, that Mask
// keeps the text's length in runes and changes nothing but matched runes,
// and that word-only entries match exactly when their words occur in a row.
func FuzzMatcher(f *testing.F) {
	f.Add("you ass! classic", "ass\nfree crypto")
	f.Add("get FREE,  crypto now", "free crypto\ncrypto\n  ")
	f.Add("u a$$hole 🍆", "a$$\n🍆\nf*ck")
	f.Add("ΣΊΣΥΦΟΣ je\u0301rk", "σίσυφος\nje")
	f.Add("\xffass\xff", "ass\n\xff")
	f.Fuzz(func(t *testing.T, s, entries string) {
		list := strings.Split(entries, "\n")
		if len(list) > 32 {
			list = list[:32]
		}
		m := NewMatcher(list)
		hw := HasWord(s, list)
		if got := m.HasWord(s); got != hw {
			t.Fatalf("HasWord(%q, %q) = %v, Matcher %v", s, list, hw, got)
		}
		if a, b := HasSubstring(s, list), m.HasSubstring(s); a != b {
			t.Fatalf("HasSubstring(%q, %q) = %v, Matcher %v", s, list, a, b)
		}
		masked := Mask(s, list)
		if got := m.Mask(s); got != masked {
			t.Fatalf("Mask(%q, %q) = %q, Matcher %q", s, list, masked, got)
		}
		if !hw && masked != s {
			t.Fatalf("Mask(%q, %q) = %q without a match", s, list, masked)
		}
		checkMasked(t, s, masked)
		words := splitWords(s)
		except := false
		for _, e := range list {
			if p, err := ParseEntry(e); err == nil && p.Except {
				except = true
			}
		}
		for _, e := range list {
			p, err := ParseEntry(e)
			if err != nil || p.Except || except {
				// Malformed entries are left out; an exception may cover
				// any other entry.
				continue
			}
			if !m.HasWord(e) || !m.HasSubstring(e) {
				t.Fatalf("entry %q does not match itself", e)
			}
			// The tolerances only add matches: an entry's words in a row
			// always match.
			if mode, _ := entryMode(e); mode == modeWord && p.Kind == KindWord && containsRun(words, splitWords(e)) {
				if !HasWord(s, []string{e}) {
					t.Fatalf("HasWord(%q, [%q]) = false, but its words occur in a row", s, e)
				}
			}
		}
	})
}

// FuzzParseEntry checks that the list entry parser never panics, that what
// it accepts writes back to the same entry, that * entries are never too
// short, and that CompileList reports exactly the entries it refuses.
func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"ass", "wank*", "*fuck*", "!cockpit", "!wank*", "**", "!", "*a*", "*x", "a$$", "f*ck",
		"free crypto", " ! ", "!!!", "***", "*ab c*", "\xff*", "!*scunthorpe*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEntry(s)
		_, cerr := CompileList([]string{s}, false)
		if (err != nil && !errors.Is(err, errBlank)) != (cerr != nil) {
			t.Fatalf("ParseEntry(%q) error %v, CompileList error %v", s, err, cerr)
		}
		if err != nil {
			return
		}
		if e.Root == "" || strings.TrimFunc(e.Root, isSpace) != e.Root {
			t.Fatalf("ParseEntry(%q) root %q", s, e.Root)
		}
		again, err := ParseEntry(e.String())
		if err != nil || again.Root != e.Root || again.Kind != e.Kind || again.Except != e.Except {
			t.Fatalf("ParseEntry(%q) = %+v, written %q, parsed again %+v, %v", s, e, e.String(), again, err)
		}
		if e.Kind != KindWord {
			letters := 0
			for _, r := range e.Root {
				if isWordRune(foldCase(r)) && !isMark(r) {
					letters++
				}
			}
			if letters < minWildRoot {
				t.Fatalf("ParseEntry(%q) accepted a root of %d letters", s, letters)
			}
		}
		m, _ := CompileList([]string{s}, true)
		_ = m.HasWord(s)
		_ = m.Mask(s)
	})
}

// checkMasked fails unless masked is s with some runes replaced by '*'.
func checkMasked(t *testing.T, s, masked string) {
	t.Helper()
	if utf8.RuneCountInString(masked) != utf8.RuneCountInString(s) {
		t.Fatalf("Mask(%q) = %q: rune count changed", s, masked)
	}
	for i, j := 0, 0; i < len(s); {
		_, a := utf8.DecodeRuneInString(s[i:])
		_, b := utf8.DecodeRuneInString(masked[j:])
		if s[i:i+a] != masked[j:j+b] && masked[j:j+b] != "*" {
			t.Fatalf("Mask(%q) = %q: changed a rune to %q", s, masked, masked[j:j+b])
		}
		i, j = i+a, j+b
	}
}

// splitWords is an independent statement of what a word is: the case-folded
// maximal runs of letters, digits and marks.
func splitWords(s string) []string {
	var words []string
	var b strings.Builder
	for _, r := range s {
		r = foldCase(r)
		if isWordRune(r) {
			b.WriteRune(r)
			continue
		}
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		ok := true
		for j := range run {
			if words[i+j] != run[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// FuzzExtract checks that the extractors never panic, never return nil, and
// return pieces of their input.
func FuzzExtract(f *testing.F) {
	addCorpusSeeds(f)
	f.Add("see https://x.com/a?b, www.example.org. mail a@b.com or call +1 (555) 123-4567 😀")
	f.Add("(https://en.wikipedia.org/wiki/Go_(game)) 2024-01-15 10:30")
	f.Fuzz(func(t *testing.T, s string) {
		for name, got := range map[string][]string{"URLs": URLs(s), "Emails": Emails(s), "Phones": Phones(s)} {
			if got == nil {
				t.Fatalf("%s(%q) = nil", name, s)
			}
			for _, x := range got {
				if x == "" || !strings.Contains(s, x) {
					t.Fatalf("%s(%q) returned %q", name, s, x)
				}
			}
		}
		if d := Domains(s); d == nil || len(d) > len(URLs(s)) {
			t.Fatalf("Domains(%q) = %q", s, d)
		}
		if w := Words(s); w == nil {
			t.Fatalf("Words(%q) = nil", s)
		}
		if c := CapsRatio(s); c < 0 || c > 1 {
			t.Fatalf("CapsRatio(%q) = %v", s, c)
		}
		if n := EmojiCount(s); n < 0 || n > utf8.RuneCountInString(s) {
			t.Fatalf("EmojiCount(%q) = %d", s, n)
		}
	})
}

// FuzzProfane checks that the three dataset functions agree: Profane
// exactly when Profanities finds something, and Censor changes nothing but
// runes it stars, and nothing at all when Profane is false.
func FuzzProfane(f *testing.F) {
	addCorpusSeeds(f)
	for _, s := range []string{"you f*cking b!tch", "fu ck off", "f u c k", "Scunthorpe cumin", "mother******", "ғᴜᴄᴋ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, found := Profane(s), Profanities(s)
		if p != (len(found) > 0) {
			t.Fatalf("Profane(%q) = %v, Profanities %q", s, p, found)
		}
		c := Censor(s)
		if !p && c != s {
			t.Fatalf("Censor(%q) = %q without a match", s, c)
		}
		checkMasked(t, s, c)
	})
}
