package textfn

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchMessage is a typical chat message of about 100 bytes that matches no
// entry, so every benchmark walks the whole of it.
const benchMessage = "Hey team, the release is at 10:30 tomorrow; please review the PR and ping me if anything breaks!"

// benchEntries returns n distinct pseudo-random lower-case words of 4 to 11
// letters, the same for every run.
func benchEntries(n int) []string {
	entries := make([]string, 0, n)
	seen := make(map[string]bool, n)
	x := uint64(0x9E3779B97F4A7C15)
	for len(entries) < n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		l := 4 + int(x%8)
		var b strings.Builder
		y := x
		for range l {
			y = y*6364136223846793005 + 1442695040888963407
			b.WriteByte(byte('a' + (y>>33)%26))
		}
		w := b.String()
		if !seen[w] && !strings.Contains(strings.ToLower(benchMessage), w) {
			seen[w] = true
			entries = append(entries, w)
		}
	}
	return entries
}

func BenchmarkMatcherHasWord(b *testing.B) {
	for _, n := range []int{100, 100000} {
		m := NewMatcher(benchEntries(n))
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(benchMessage)))
			for b.Loop() {
				if m.HasWord(benchMessage) {
					b.Fatal("unexpected match")
				}
			}
		})
	}
}

func BenchmarkMatcherHasSubstring(b *testing.B) {
	for _, n := range []int{100, 100000} {
		m := NewMatcher(benchEntries(n))
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.HasSubstring(benchMessage)
			}
		})
	}
}

func BenchmarkMatcherMask(b *testing.B) {
	entries := append(benchEntries(1000), "release", "review the pr")
	m := NewMatcher(entries)
	b.ReportAllocs()
	for b.Loop() {
		m.Mask(benchMessage)
	}
}

func BenchmarkNewMatcher(b *testing.B) {
	for _, n := range []int{100000} {
		entries := benchEntries(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			var m *Matcher
			for b.Loop() {
				m = NewMatcher(entries)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(m.bytes())/(1<<20), "MiB-matcher")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-heap")
			if rss, ok := peakRSS(); ok {
				b.ReportMetric(float64(rss)/(1<<20), "MiB-peak-RSS")
			}
		})
	}
}

func BenchmarkHasWordList(b *testing.B) {
	list := benchEntries(20)
	b.ReportAllocs()
	for b.Loop() {
		HasWord(benchMessage, list)
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"ascii", benchMessage},
		{"evasive", "Hey ｔｅａｍ, the rеlеаsе is at 10:30 t0m0rr0w; p.l.e.a.s.e review the PR & ping me if anything bréaks!"},
		{"cyrillic", "Привет команда, релиз завтра в 10:30; пожалуйста, посмотрите PR и напишите, если что-то сломается!"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				Normalize(c.s)
			}
		})
	}
}

func BenchmarkExtract(b *testing.B) {
	msg := "see https://x.com/a?b or www.example.org, mail bob@example.com, call +1 (555) 123-4567 😀👍🏽"
	for name, f := range map[string]func(string){
		"URLs":       func(s string) { URLs(s) },
		"Domains":    func(s string) { Domains(s) },
		"Emails":     func(s string) { Emails(s) },
		"Phones":     func(s string) { Phones(s) },
		"Words":      func(s string) { Words(s) },
		"CapsRatio":  func(s string) { CapsRatio(s) },
		"EmojiCount": func(s string) { EmojiCount(s) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f(msg)
			}
		})
	}
}

// peakRSS returns the process's peak resident set size (Linux only).
func peakRSS() (int64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// TestMatcherMemory builds a 100,000-entry Matcher in a fresh process and
// checks how long that takes and that the process peaks under 128 MiB.
func TestMatcherMemory(t *testing.T) {
	if os.Getenv("TEXTFN_MEMORY_CHILD") == "1" {
		entries := benchEntries(100000)
		start := time.Now()
		m := NewMatcher(entries)
		build := time.Since(start)
		m.HasWord(benchMessage)
		rss, ok := peakRSS()
		if !ok {
			t.Skip("no /proc/self/status")
		}
		fmt.Printf("build=%d rss=%d\n", build.Nanoseconds(), rss)
		return
	}
	if testing.Short() || raceEnabled {
		t.Skip("builds a large list in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMatcherMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "TEXTFN_MEMORY_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var build, rss int64
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "build="); ok {
			build, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(f, "rss="); ok {
			rss, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if rss == 0 {
		t.Skipf("child reported nothing:\n%s", out)
	}
	t.Logf("100,000 entries: built in %v, peak RSS %.1f MiB", time.Duration(build), float64(rss)/(1<<20))
	if rss > 128<<20 {
		t.Errorf("peak RSS %.1f MiB, want under 128 MiB", float64(rss)/(1<<20))
	}
	if build > int64(5*time.Second) {
		t.Errorf("built in %v, want under 5s", time.Duration(build))
	}
}

// BenchmarkProfane measures the built-in dataset on a clean message and on
// one with every kind of evasion (stretched, masked, split, leet).
func BenchmarkProfane(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"clean", benchMessage},
		{"evasive", "Hey team, the reeeelease is at 10:30; f*ck the PR, it's sh1t and bit ch y, ping me if anything breaks!"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				Profane(c.s)
			}
		})
	}
}
