package textfn

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestCapsRatio(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"", 0},
		{"1234 !!", 0},
		{"你好", 0},
		{"STOP it", 4.0 / 6},
		{"HELLO", 1},
		{"hello", 0},
		{"HELLO 你好", 1},
		{"ÉCOLE école", 0.5},
		{"ＨＥＬＬＯ", 1},
		{"ǅ", 1},
		{"ПРИВЕТ мир", 6.0 / 9},
	}
	for _, tt := range tests {
		if got := CapsRatio(tt.in); got != tt.want {
			t.Errorf("CapsRatio(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEmojiCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"no emoji here :) <3", 0},
		{"😀", 1},
		{"😀😀😀", 3},
		{"hi 👋🏽", 1},      // skin tone
		{"👨‍👩‍👧‍👦", 1},    // ZWJ family
		{"🏳️‍🌈", 1},       // flag with VS16 and ZWJ
		{"🇺🇸🇫🇷", 2},       // two flags
		{"🇺", 1},          // a lone regional indicator
		{"🏴󠁧󠁢󠁳󠁣󠁴󠁿", 1},    // tag sequence
		{"1️⃣ #️⃣ *⃣", 3}, // keycaps
		{"123 # *", 0},    // bare digits, # and *
		{"© ® ™ ↔ ☺", 0},  // text presentation by default
		{"©️ ☺️ ❤️", 3},   // VS16 asks for emoji
		{"⌚︎", 0},         // VS15 asks for text
		{"❤️‍🔥", 1},
		{"🫠 🪿", 2}, // Unicode 14 and 15
		{"a👍b👍🏿c", 2},
		{"🅰", 0}, // text presentation without VS16
		{"🅰️", 1},
	}
	for _, tt := range tests {
		if got := EmojiCount(tt.in); got != tt.want {
			t.Errorf("EmojiCount(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestEmojiCountUnicode checks every fully-qualified emoji of Unicode's
// emoji-test.txt counts as one, alone and in a row of three.
func TestEmojiCountUnicode(t *testing.T) {
	const path = "/usr/share/unicode/emoji/emoji-test.txt"
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s not installed (apt-get install unicode-data)", path)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		code, rest, ok := strings.Cut(sc.Text(), ";")
		if !ok || !strings.Contains(rest, "fully-qualified") || strings.HasPrefix(code, "#") {
			continue
		}
		var b strings.Builder
		for _, h := range strings.Fields(code) {
			r, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteRune(rune(r))
		}
		e := b.String()
		if got := EmojiCount(e); got != 1 {
			t.Errorf("EmojiCount(%q) = %d, want 1 (%s)", e, got, code)
		}
		if got := EmojiCount(e + " " + e + e); got != 3 {
			t.Errorf("EmojiCount(%q x3) = %d, want 3", e, got)
		}
		n++
	}
	if n < 3000 {
		t.Errorf("read only %d emoji", n)
	}
}
