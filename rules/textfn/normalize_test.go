package textfn

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// readCorpus reads a testdata file of one case per line. Blank lines and
// lines starting with "#" are skipped; a line in double quotes is a Go string
// literal, for invisible characters.
func readCorpus(t testing.TB, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, `"`) {
			u, err := strconv.Unquote(l)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			l = u
		}
		lines = append(lines, l)
	}
	return lines
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"  Hello   World  ", "hello world"},
		{"HeLLo\tWORLD\r\n", "hello world"},
		{"hello, world!", "hello, world!"},
		// compatibility forms and case
		{"ｊｅｒｋ", "jerk"},
		{"𝐣𝐞𝐫𝐤", "jerk"},
		{"ﬁne", "fine"},
		{"Scheiße", "scheisse"},
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},
		// diacritics
		{"naïve café", "naive cafe"},
		{"jérk", "jerk"},
		{"z̸̢a̷l̴g̶o̵", "zalgo"},
		{"Øresund Łódź", "oresund lodz"},
		// invisible characters
		{"j\u200berk", "jerk"},
		{"s\u00adh\u00adi\u00adt", "shit"},
		{"\u202ejerk\u202c", "jerk"},
		{"a\x00b\x1bc", "abc"},
		{"\xff\xfeabc\xc3", "abc"},
		// confusables
		{"јerk", "jerk"},
		{"ѕех", "sex"},
		{"ιdιοt", "idiot"},
		{"🅹🅴🆁🅺", "jerk"},
		{"ɪᴅɪᴏᴛ", "idiot"},
		{"g∞gle", "google"},
		{"🇺🇸", "us"},
		{"5×3", "5×3"},
		// genuine text in other scripts
		{"привет мир", "привет мир"},
		{"это сор", "это сор"},
		{"Γειά σου κόσμε", "γειά σου κόσμε"},
		{"γεια σου", "γεια σου"},
		{"ещё", "ещё"},
		{"пр1вет", "пр1вет"},
		{"нет", "het"}, // one word wholly of look-alikes reads as Latin
		{"हिंदी", "हिंदी"},
		{"你好世界", "你好世界"},
		{"ᄀ\u200bᅡ", "가"},
		// leetspeak
		{"j3rk", "jerk"},
		{"$h1t", "shit"},
		{"sh!t", "sh!t"}, // "!" in a word is a masked letter for matching, not always i (f!ck)
		{"a$$", "ass"},
		{"@$$", "ass"},
		{"b00b5", "boobs"},
		{"A!!!$", "a!!!s"}, // found by FuzzNormalize: "$" becomes a letter
		{"ni88er fa88ot", "nigger faggot"},
		{"ғuck", "fuck"}, // Cyrillic ghe with stroke reads as f
		{"hello!", "hello!"},
		{"wow!!! ok", "wow!!! ok"},
		{"2024", "2024"},
		{"2024-01-15", "2024-01-15"},
		{"10:30", "10:30"},
		{"+1 555", "+1 555"},
		{"$100", "$100"},
		{"10am 5pm 1st 100km 4k", "10am 5pm 1st 100km 4k"},
		{"user123", "user123"},
		// spaced-out words
		{"f.r.e.e", "free"},
		{"f r e e", "free"},
		{"f-r-e-e", "free"},
		{"f_r_e_e", "free"},
		{"f*r*e*e", "free"},
		{"f. r. e. e", "free"},
		{"f  r  e  e", "free"},
		{"f.r.e.e c.r.y.p.t.o", "free crypto"},
		{"k i l l yourself", "kill yourself"},
		{"I am a cat", "i am a cat"},
		{"a b", "a b"},
		{"e.g. i.e.", "e.g. i.e."},
		{"1 2 3 4", "1 2 3 4"},
		{"1.2.3", "1.2.3"},
		{"a, b, c", "a, b, c"},
		// emoji survive, their joiners and selectors do not
		{"1️⃣ 👨‍👩‍👧", "1 👨👩👧"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeCorpora(t *testing.T) {
	banned := readCorpus(t, "testdata/banned.txt")
	m := NewMatcher(banned)
	evasions := readCorpus(t, "testdata/evasions.txt")
	if len(evasions) < 40 {
		t.Fatalf("only %d evasion cases", len(evasions))
	}
	for _, s := range evasions {
		n := Normalize(s)
		if !HasWord(n, banned) || !m.HasWord(n) {
			t.Errorf("evasion %q: Normalize gives %q, which matches no banned entry", s, n)
		}
	}
	innocent := readCorpus(t, "testdata/innocent.txt")
	if len(innocent) < 40 {
		t.Fatalf("only %d innocent cases", len(innocent))
	}
	for _, s := range innocent {
		n := Normalize(s)
		if HasWord(s, banned) || HasWord(n, banned) || m.HasWord(n) {
			t.Errorf("innocent %q (normalized %q) matches a banned entry", s, n)
		}
	}
}

// checkNormalized fails unless out is a fixed point of Normalize in NFC.
func checkNormalized(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Normalize(%q) = %q: invalid UTF-8", in, out)
	}
	if !norm.NFC.IsNormalString(out) {
		t.Fatalf("Normalize(%q) = %q: not NFC", in, out)
	}
	if again := Normalize(out); again != out {
		t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q", in, out, out, again)
	}
}

// TestNormalizeEveryRune checks idempotence for every code point, alone and
// between letters, since most surprises (case mappings that decompose,
// marks that become letters) are properties of single characters.
func TestNormalizeEveryRune(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	stride := rune(1)
	if raceEnabled {
		stride = 17
	}
	for r := rune(0); r <= unicode.MaxRune; r += stride {
		if unicode.Is(unicode.Cs, r) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C) {
			continue // surrogates and unassigned code points
		}
		for _, s := range []string{string(r), "a" + string(r) + "b"} {
			checkNormalized(t, s, Normalize(s))
		}
	}
}

func TestFoldCase(t *testing.T) {
	tests := []struct{ in, want rune }{
		{'A', 'a'}, {'z', 'z'}, {'É', 'é'}, {'Σ', 'σ'}, {'ς', 'σ'}, {'ſ', 's'}, {'ı', 'i'},
		{'İ', 'i'}, {'K', 'k'}, {'ẞ', 'ß'}, {'Ж', 'ж'}, {'ǅ', 'ǆ'}, {'1', '1'}, {'中', '中'},
	}
	for _, tt := range tests {
		if got := foldCase(tt.in); got != tt.want {
			t.Errorf("foldCase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRuneProperties checks the cached answers against the unicode package,
// and that folding is idempotent and keeps the BMP in the BMP (the cache
// stores folded runes in 16 bits).
func TestRuneProperties(t *testing.T) {
	stride := rune(1)
	if raceEnabled {
		stride = 7
	}
	for r := rune(0); r <= unicode.MaxRune; r += stride {
		if f := foldCaseSlow(r); foldCase(r) != f || foldCase(f) != f {
			t.Fatalf("foldCase(%U) = %U, slow %U, twice %U", r, foldCase(r), f, foldCase(f))
		}
		if r <= 0xFFFF && props(r) != propsSlow(r) {
			t.Fatalf("props(%U) = %x, want %x", r, props(r), propsSlow(r))
		}
		if r > 0xFFFF && r&0xFFF != 0 {
			continue // sample the supplementary planes
		}
		if got, want := isWordRune(r), unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r); got != want {
			t.Fatalf("isWordRune(%U) = %v", r, got)
		}
	}
}

func TestNormalizeLongInput(t *testing.T) {
	// a long run of single characters must not make Normalize quadratic
	s := strings.Repeat("1 ", 200000) + strings.Repeat("a.", 100000)
	got := Normalize(s)
	checkNormalized(t, "long input", got)
	if !strings.HasSuffix(got, strings.Repeat("a", 1000)+".") {
		t.Errorf("spaced-out letters at the end were not glued")
	}
}

// TestConcurrent runs everything from several goroutines at once, for the
// race detector: the pools, the lazily built rune property cache and a
// shared Matcher.
func TestConcurrent(t *testing.T) {
	texts := readCorpus(t, "testdata/evasions.txt")
	banned := readCorpus(t, "testdata/banned.txt")
	m := NewMatcher(banned)
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- true }()
			for i := range texts {
				s := texts[(i+g*7)%len(texts)] + " ᚠ ꓮ Ⴀ " // runes in blocks nothing else touched
				n := Normalize(s)
				if m.HasWord(n) != HasWord(n, banned) || m.Mask(n) != Mask(n, banned) {
					t.Errorf("Matcher and list disagree on %q", n)
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
