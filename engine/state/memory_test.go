package state_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/modgate/modgate/engine/state"
)

// TestMemoryBounded floods the store with keys from "message text": it
// never holds more than max_keys, and the keys used lately survive.
func TestMemoryBounded(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	const maxKeys = 1600 // 100 per shard
	m := state.NewMemory(maxKeys, clock.Now)
	op := func(key string) state.Op {
		return state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Hour, key), Window: time.Hour, Record: true}
	}
	hot := op("hot")
	for i := range 20_000 {
		count(t, m, "m"+strconv.Itoa(i), op("spam"+strconv.Itoa(i)))
		if i%100 == 0 {
			count(t, m, "h"+strconv.Itoa(i), hot)
		}
	}
	if n := m.Len(); n > maxKeys {
		t.Errorf("the store holds %d keys, more than max_keys %d", n, maxKeys)
	}
	read := hot
	read.Record = false
	if got := count(t, m, "x", read); got != 200 {
		t.Errorf("the recently used key lost its count: %d, want 200", got)
	}
}

// TestMemoryExpiredKeysGo checks that expired counters leave without a
// sweeper: operations on other keys drop them from the cold end.
func TestMemoryExpiredKeysGo(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m := state.NewMemory(100_000, clock.Now)
	for i := range 1000 {
		count(t, m, "m", state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Second, "k"+strconv.Itoa(i)), Window: time.Second, Record: true})
	}
	clock.Advance(2 * time.Second)
	for i := range 1000 {
		count(t, m, "m", state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Hour, "live"), Window: time.Hour, Record: true})
		_ = i
	}
	if n := m.Len(); n > 100 {
		t.Errorf("%d keys left after their window and 1000 operations, want the expired ones gone", n)
	}
}

func BenchmarkMemoryRate(b *testing.B) {
	m := state.NewMemory(0, nil)
	batch := &state.Batch{Ops: []state.Op{{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Minute, "flood:u1"), Window: time.Minute, Record: true}}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		batch.ID = state.MemberOf(strconv.Itoa(i))
		_ = m.Count(b.Context(), batch)
	}
}
