package textfn

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"  ,;! ", []string{}},
		{"Hello, World!", []string{"hello", "world"}},
		{"Don’t stop, it's 90's rock'n'roll", []string{"don't", "stop", "it's", "90's", "rock'n'roll"}},
		{"'quoted' words'", []string{"quoted", "words"}},
		{"ÉCOLE naïve", []string{"école", "naïve"}},
		{"je\u0301rk", []string{"je\u0301rk"}},
		{"free_crypto-now 2024-01-15", []string{"free", "crypto", "now", "2024", "01", "15"}},
		{"привет, мир 你好", []string{"привет", "мир", "你好"}},
		{"ΣΊΣΥΦΟΣ", []string{"σίσυφοσ"}},
		{"hi👋there", []string{"hi", "there"}},
	}
	for _, tt := range tests {
		got := Words(tt.in)
		if got == nil || !slices.Equal(got, tt.want) {
			t.Errorf("Words(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// matchCases are shared by the HasWord and Matcher tests.
var matchCases = []struct {
	s    string
	list []string
	want bool
}{
	{"you ass!", []string{"ass"}, true},
	{"ASS", []string{"ass"}, true},
	{"Ass.", []string{"ASS"}, true},
	{"classic", []string{"ass"}, false},
	{"assistant", []string{"ass"}, false},
	{"cockpit", []string{"cock"}, false},
	{"Scunthorpe", []string{"cunt"}, false},
	{"therapist", []string{"rapist", "rape"}, false},
	{"grape", []string{"rape"}, false},
	{"jerky jerkin", []string{"jerk"}, true}, // inflections -y and -in
	{"jerky jerkin", []string{"jerk", "!jerky", "!jerkin"}, false},
	{"what a jerk", []string{"jerk"}, true},
	{"shit's bad", []string{"shit"}, true},
	{"get FREE   crypto now", []string{"free crypto"}, true},
	{"free, crypto!", []string{"free crypto"}, true},
	{"free-crypto", []string{"free crypto"}, true},
	{"free cryptocurrency", []string{"free crypto"}, false},
	{"carefree crypto", []string{"free crypto"}, false},
	{"free\n\tcrypto", []string{"  Free   Crypto "}, true},
	{"u a$$", []string{"a$$"}, true},
	{"a$$hole", []string{"a$$"}, true}, // no end boundary after a symbol
	{"ba$$", []string{"a$$"}, false},
	{"f*ck off", []string{"f*ck"}, true},
	{"f.ck off", []string{"f*ck"}, false},
	{"nice 🍆", []string{"🍆"}, true},
	{"nice🍆🍆", []string{"🍆"}, true},
	{"c++ rocks", []string{"c++"}, true},
	{"abc++", []string{"c++"}, false},
	{"école", []string{"ÉCOLE"}, true},
	{"ecole", []string{"école"}, false}, // accents are kept: use Normalize
	{"ΣΊΣΥΦΟΣ", []string{"σίσυφος"}, true},
	{"привет мир", []string{"мир"}, true},
	{"мирный", []string{"мир"}, false},
	{"je\u0301rk", []string{"je"}, false}, // a mark does not end a word
	{"anything", []string{"", "   ", "\t"}, false},
	{"", []string{"ass"}, false},
	{"ass", nil, false},
	{"2024-01-15", []string{"01"}, true},
	{"x", []string{"x"}, true},
	{"\xffass\xff", []string{"ass"}, true},
}

func TestHasWord(t *testing.T) {
	for _, tt := range matchCases {
		if got := HasWord(tt.s, tt.list); got != tt.want {
			t.Errorf("HasWord(%q, %q) = %v, want %v", tt.s, tt.list, got, tt.want)
		}
		if got := NewMatcher(tt.list).HasWord(tt.s); got != tt.want {
			t.Errorf("NewMatcher(%q).HasWord(%q) = %v, want %v", tt.list, tt.s, got, tt.want)
		}
	}
}

func TestHasSubstring(t *testing.T) {
	tests := []struct {
		s    string
		list []string
		want bool
	}{
		{"classic", []string{"ass"}, true},
		{"CLASSIC", []string{"aSS"}, true},
		{"free   crypto", []string{"e c"}, true},
		{"free\ncrypto", []string{"free crypto"}, true},
		{"freecrypto", []string{"free crypto"}, false},
		{"you ass", []string{" ass"}, true},
		{"ass", []string{" ass"}, false},
		{"nothing", []string{"", "  "}, false},
		{"écoles", []string{"ÉCOLE"}, true},
		{"", []string{"a"}, false},
		{"abc", nil, false},
	}
	for _, tt := range tests {
		if got := HasSubstring(tt.s, tt.list); got != tt.want {
			t.Errorf("HasSubstring(%q, %q) = %v, want %v", tt.s, tt.list, got, tt.want)
		}
		if got := NewMatcher(tt.list).HasSubstring(tt.s); got != tt.want {
			t.Errorf("NewMatcher(%q).HasSubstring(%q) = %v, want %v", tt.list, tt.s, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		s    string
		list []string
		want string
	}{
		{"you ass!", []string{"ass"}, "you ***!"},
		{"classic ass", []string{"ass"}, "classic ***"},
		{"ASS and Ass", []string{"ass"}, "*** and ***"},
		{"get FREE,  crypto now", []string{"free crypto"}, "get ************* now"},
		{"jérk", []string{"jérk"}, "****"},
		{"je\u0301rk!", []string{"je\u0301rk"}, "*****!"}, // one star per rune
		{"u a$$hole", []string{"a$$"}, "u ***hole"},
		{"🍆🍆 yum", []string{"🍆"}, "** yum"},
		{"free crypto crypto", []string{"free crypto", "crypto"}, "*********** ******"},
		{"you are a big jerk", []string{"big jerk", "jerk"}, "you are a ********"},
		{"nothing here", []string{"ass"}, "nothing here"},
		{"\xffass\xff", []string{"ass"}, "\xff***\xff"},
		{"", []string{"ass"}, ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.s, tt.list); got != tt.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tt.s, tt.list, got, tt.want)
		}
		if got := NewMatcher(tt.list).Mask(tt.s); got != tt.want {
			t.Errorf("NewMatcher(%q).Mask(%q) = %q, want %q", tt.list, tt.s, got, tt.want)
		}
		if utf8.RuneCountInString(Mask(tt.s, tt.list)) != utf8.RuneCountInString(tt.s) {
			t.Errorf("Mask(%q) changed the number of runes", tt.s)
		}
	}
}

func TestMatcherLen(t *testing.T) {
	tests := []struct {
		entries []string
		want    int
	}{
		{nil, 0},
		{[]string{"", " ", "\t\n"}, 0},
		{[]string{"ass", "ASS", " ass ", "a$$"}, 2},
		{[]string{"free crypto", "free   CRYPTO", "free, crypto"}, 2},
	}
	for _, tt := range tests {
		if got := NewMatcher(tt.entries).Len(); got != tt.want {
			t.Errorf("NewMatcher(%q).Len() = %d, want %d", tt.entries, got, tt.want)
		}
	}
}

func TestMatcherNil(t *testing.T) {
	for _, m := range []*Matcher{nil, {}, NewMatcher(nil)} {
		if m.HasWord("a") || m.HasSubstring("a") || m.Mask("a") != "a" || m.Len() != 0 {
			t.Errorf("%#v matched something", m)
		}
	}
}

// TestMatcherAgrees checks the Matcher against the list functions on every
// pair of texts and lists from the corpora.
func TestMatcherAgrees(t *testing.T) {
	texts := append(readCorpus(t, "testdata/evasions.txt"), readCorpus(t, "testdata/innocent.txt")...)
	var normalized []string
	for _, s := range texts {
		normalized = append(normalized, Normalize(s))
	}
	texts = append(texts, normalized...)
	lists := [][]string{
		readCorpus(t, "testdata/banned.txt"),
		{"a$$", "f*ck", "🍆", "c++", "don't"},
		{"e", "a", "i am"},
		texts[:20],
	}
	for _, list := range lists {
		m := NewMatcher(list)
		for _, s := range texts {
			if a, b := HasWord(s, list), m.HasWord(s); a != b {
				t.Errorf("HasWord(%q) = %v, Matcher %v", s, a, b)
			}
			if a, b := HasSubstring(s, list), m.HasSubstring(s); a != b {
				t.Errorf("HasSubstring(%q) = %v, Matcher %v", s, a, b)
			}
			if a, b := Mask(s, list), m.Mask(s); a != b {
				t.Errorf("Mask(%q) = %q, Matcher %q", s, a, b)
			}
		}
	}
}

// TestMatcherLarge builds a list of 100,000 entries and checks that it
// matches like a small one and stays compact.
func TestMatcherLarge(t *testing.T) {
	entries := benchEntries(100000)
	entries = append(entries, "needle", "two words")
	m := NewMatcher(entries)
	if m.Len() != len(entries) {
		t.Errorf("Len() = %d, want %d", m.Len(), len(entries))
	}
	if mib := float64(m.bytes()) / (1 << 20); mib > 64 {
		t.Errorf("a 100,000-entry matcher holds %.1f MiB", mib)
	}
	for _, e := range entries[:1000] {
		s := "x " + strings.ToUpper(e) + "!"
		if !m.HasWord(s) || !m.HasSubstring(s) {
			t.Fatalf("entry %q not found in %q", e, s)
		}
		// Three letters in front make a word no entry or inflection of
		// one explains (entries have 4 to 11 random letters).
		x := "qzj"
		if e[0] == 'j' {
			x = "qzk"
		}
		if m.HasWord(x + e) {
			t.Fatalf("entry %q matched inside a word", e)
		}
	}
	if !m.HasWord("two, WORDS.") || m.HasWord(benchMessage) {
		t.Error("wrong phrase match")
	}
}

func TestEmptyResultsAreEmptyArrays(t *testing.T) {
	for name, got := range map[string][]string{
		"Words": Words(""), "URLs": URLs(""), "Domains": Domains(""), "Emails": Emails(""), "Phones": Phones(""),
	} {
		b, _ := json.Marshal(got)
		if string(b) != "[]" {
			t.Errorf("%s(\"\") marshals as %s, want []", name, b)
		}
	}
}
