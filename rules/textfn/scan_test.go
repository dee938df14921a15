package textfn

import (
	"bytes"
	"slices"
	"testing"
)

// TestJoinStream checks that joining two words by copying their streams
// gives what streaming them as one word gives: bytes, letter counts,
// offsets and where the second word begins.
func TestJoinStream(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"fu", "ck"}, {"fuc", "ck"}, {"fuc", "c"}, {"as", "s"}, {"as", "shole"},
		{"bit", "ch"}, {"FUU", "UUCK"}, {"жо", "па"}, {"жж", "жа"}, {"é", "é"}, {"a", "b"},
	} {
		s := tt.a + " " + tt.b
		b := &scratch{}
		b.word, b.cnt, b.wordPos = appendWordStream(nil, nil, nil, s)
		e0 := bytes.IndexByte(b.word, markEnd)
		b1 := e0 + 2
		e1 := len(b.word) - 1
		sc := scanner{s: s, b: b}
		split := sc.joinStream(0, e0, b1, e1)

		ws := wordStreamer{}
		ws.add(tt.a, 0)
		wantSplit := len(ws.dst)
		ws.add(tt.b, len(tt.a)+1)
		if len(ws.dst) == wantSplit {
			wantSplit--
		}
		ws.finish(len(s))
		if !bytes.Equal(b.join, ws.dst) || !slices.Equal(b.joinCnt, ws.cnt) || !slices.Equal(b.joinPos, ws.pos) || split != wantSplit {
			t.Errorf("joinStream(%q, %q) = %q %v %v split %d; want %q %v %v split %d", tt.a, tt.b,
				b.join, b.joinCnt, b.joinPos, split, ws.dst, ws.cnt, ws.pos, wantSplit)
		}
	}
}

// TestDedupCollision checks that entries whose IDs share a hash are told
// apart by the IDs themselves.
func TestDedupCollision(t *testing.T) {
	d := dedup{first: map[uint64]int32{}, more: map[uint64][]int32{}}
	var entries []Entry
	for _, tt := range []struct {
		root string
		new  bool
	}{{"fuck", true}, {"shit", true}, {"FUCK", false}, {"shit", false}, {"twat", true}, {"twat", false}} {
		e := Entry{Root: tt.root}
		id := entryID(nil, e, modeWord)
		if got := d.addHashed(id, 42, int32(len(entries)), entries); got != tt.new {
			t.Errorf("add(%q) = %v, want %v", tt.root, got, tt.new)
		}
		if tt.new {
			entries = append(entries, e)
		}
	}
}
