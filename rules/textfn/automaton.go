package textfn

import (
	"bytes"
	"slices"
)

// automaton is an Aho-Corasick automaton over bytes, stored in flat arrays
// without maps or pointers so that a list of 100,000 entries costs about
// 17 bytes per trie node and the garbage collector has nothing to scan.
//
// Nodes are numbered in breadth-first order, so the children of node v are
// the consecutive nodes first[v] … first[v+1]-1, sorted by label.
type automaton struct {
	first []int32 // first[v]: first child of v; len(first) == nodes+1
	label []byte  // label[v]: the byte on the edge into v
	fail  []int32 // fail[v]: longest proper suffix of v's path that is a path
	out   []int32 // out[v]: v if an entry ends at v, else out[fail[v]], -1 if none
	depth []int32 // depth[v]: length of v's path, i.e. of the entry ending at v
	keys  int     // number of distinct keys

	// dense holds full 256-way transition rows for the busiest nodes near the
	// root (the root and the word-start node have a child for nearly every
	// first byte); denseOf[v] is v's row or -1.
	dense   []int32
	denseOf []int16
}

const (
	denseNodes  = 1024 // only nodes numbered below this can have a dense row
	denseFanout = 6    // a node with this many children gets a dense row
)

// newAutomaton builds the automaton of keys, which must be non-empty. It
// sorts keys in place.
func newAutomaton(keys [][]byte) *automaton {
	slices.SortFunc(keys, bytes.Compare)
	a, _ := buildAutomaton(keys, nil)
	return a
}

// newAutomatonNodes builds the automaton of keys, which must be non-empty,
// and returns beside it the node where each key ends, in the order of keys
// (which it leaves as they are).
func newAutomatonNodes(keys [][]byte) (*automaton, []int32) {
	perm := make([]int32, len(keys))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int { return bytes.Compare(keys[x], keys[y]) })
	sorted := make([][]byte, len(keys))
	for i, k := range perm {
		sorted[i] = keys[k]
	}
	a, ends := buildAutomaton(sorted, make([]int32, len(sorted)))
	nodes := make([]int32, len(keys))
	for i, k := range perm {
		nodes[k] = ends[i]
	}
	return a, nodes
}

// buildAutomaton builds the automaton of keys, sorted. With ends non-nil
// (as long as keys), it records there the node where each key ends.
func buildAutomaton(keys [][]byte, ends []int32) (*automaton, []int32) {

	// A trie in insertion order, built from the sorted keys: a new node
	// always becomes the last child of its parent, so no search is needed.
	size := 1
	for _, k := range keys {
		size += len(k)
	}
	size = min(size, 1<<20) // a capacity hint only; shared prefixes make it smaller
	tLabel := make([]byte, 1, size)
	tFirst := make([]int32, 1, size)
	tNext := make([]int32, 1, size)
	tLast := make([]int32, 1, size)
	tTerm := make([]bool, 1, size)
	tFirst[0], tNext[0], tLast[0] = -1, -1, -1
	path := []int32{0}
	var prev []byte
	distinct := 0
	for ki, k := range keys {
		if ki == 0 || !bytes.Equal(k, prev) {
			distinct++
		}
		l := 0
		for l < len(prev) && l < len(k) && prev[l] == k[l] {
			l++
		}
		path = path[:l+1]
		v := path[l]
		for _, c := range k[l:] {
			w := int32(len(tLabel))
			tLabel = append(tLabel, c)
			tFirst = append(tFirst, -1)
			tNext = append(tNext, -1)
			tLast = append(tLast, -1)
			tTerm = append(tTerm, false)
			if tLast[v] < 0 {
				tFirst[v] = w
			} else {
				tNext[tLast[v]] = w
			}
			tLast[v] = w
			path = append(path, w)
			v = w
		}
		tTerm[v] = true
		if ends != nil {
			ends[ki] = v // renumbered below
		}
		prev = k
	}
	tLast = nil

	// Renumber breadth-first.
	n := len(tLabel)
	order := make([]int32, 1, n)
	for q := 0; q < len(order); q++ {
		for c := tFirst[order[q]]; c >= 0; c = tNext[c] {
			order = append(order, c)
		}
	}
	a := &automaton{
		keys:  distinct,
		first: make([]int32, n+1),
		label: make([]byte, n),
		fail:  make([]int32, n),
		out:   make([]int32, n),
		depth: make([]int32, n),
	}
	next := int32(1)
	for v, old := range order {
		a.first[v] = next
		a.label[v] = tLabel[old]
		for c := tFirst[old]; c >= 0; c = tNext[c] {
			a.depth[next] = a.depth[v] + 1
			next++
		}
	}
	a.first[n] = next
	term := make([]bool, n)
	for v, old := range order {
		term[v] = tTerm[old]
	}
	if ends != nil {
		newOf := make([]int32, n)
		for v, old := range order {
			newOf[old] = int32(v)
		}
		for i, v := range ends {
			ends[i] = newOf[v]
		}
	}
	tLabel, tFirst, tNext, tTerm, order = nil, nil, nil, nil, nil

	a.denseOf = make([]int16, min(n, denseNodes))
	for v := range a.denseOf {
		a.denseOf[v] = -1
		if fan := a.first[v+1] - a.first[v]; v == 0 || fan >= denseFanout {
			a.denseOf[v] = int16(len(a.dense) / 256)
			row := len(a.dense)
			a.dense = append(a.dense, make([]int32, 256)...)
			for i := range a.dense[row:] {
				a.dense[row+i] = -1
			}
			for c := a.first[v]; c < a.first[v+1]; c++ {
				a.dense[row+int(a.label[c])] = c
			}
		}
	}

	a.out[0] = -1
	for v := int32(0); v < int32(n); v++ {
		for c := a.first[v]; c < a.first[v+1]; c++ {
			if v != 0 {
				a.fail[c] = a.next(a.fail[v], a.label[c])
			}
			if term[c] {
				a.out[c] = c
			} else {
				a.out[c] = a.out[a.fail[c]]
			}
		}
	}
	return a, ends
}

// child returns v's child along byte b, or -1.
func (a *automaton) child(v int32, b byte) int32 {
	if int(v) < len(a.denseOf) {
		if d := a.denseOf[v]; d >= 0 {
			return a.dense[int(d)<<8|int(b)]
		}
	}
	lo, hi := a.first[v], a.first[v+1]
	for hi-lo > 8 {
		m := int32(uint32(lo+hi) >> 1)
		if a.label[m] < b {
			lo = m + 1
		} else {
			hi = m + 1 // label[m] may be b
		}
	}
	for ; lo < hi; lo++ {
		if l := a.label[lo]; l >= b {
			if l == b {
				return lo
			}
			return -1
		}
	}
	return -1
}

// next is the automaton's transition: the state after reading b in state v.
func (a *automaton) next(v int32, b byte) int32 {
	for {
		if t := a.child(v, b); t >= 0 {
			return t
		}
		if v == 0 {
			return 0
		}
		v = a.fail[v]
	}
}

// contains reports whether some key occurs in text.
func (a *automaton) contains(text []byte) bool {
	v := int32(0)
	denseOf, dense, fail, out := a.denseOf, a.dense, a.fail, a.out
	for _, b := range text {
		for {
			var t int32
			if int(v) < len(denseOf) && denseOf[v] >= 0 {
				t = dense[int(denseOf[v])<<8|int(b)]
			} else {
				t = a.child(v, b)
			}
			if t >= 0 {
				v = t
				break
			}
			if v == 0 {
				break
			}
			v = fail[v]
		}
		if out[v] >= 0 {
			return true
		}
	}
	return false
}

// each calls f(start, end) for every occurrence of every key in text, where
// text[start:end] is the occurrence.
func (a *automaton) each(text []byte, f func(start, end int)) {
	v := int32(0)
	for i, b := range text {
		v = a.next(v, b)
		for o := a.out[v]; o >= 0; o = a.out[a.fail[o]] {
			f(i+1-int(a.depth[o]), i+1)
		}
	}
}

// bytes returns the approximate memory held by the automaton.
func (a *automaton) bytes() int {
	return 4*(len(a.first)+len(a.fail)+len(a.out)+len(a.depth)+len(a.dense)) + len(a.label) + 2*len(a.denseOf)
}
