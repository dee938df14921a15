package state

import (
	"context"
	"encoding/binary"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxKeys bounds the memory backend when the config does not.
const DefaultMaxKeys = 1_000_000

// memShards splits the memory store so that concurrent messages rarely wait
// on one lock.
const memShards = 16

// Memory is the in-process store: counts for one replica. It holds at most
// maxKeys counters; beyond that the least recently used go first, since
// keys derived from message text are the attacker's to multiply. Expired
// entries are dropped as they are met and from the cold end of each shard's
// recency list, a few per operation, so no sweep ever holds a lock for long.
//
// It is safe for concurrent use.
type Memory struct {
	now        func() time.Time
	maxMembers int
	shards     [memShards]memShard
	next       atomic.Uint32 // the shard the next operation tidies
}

type memShard struct {
	mu   sync.Mutex
	max  int
	keys map[Key]*entry
	// head is the most recently used entry, tail the least; a sentinel
	// ring keeps the list code free of nil checks.
	ring entry
}

// entry is one counter: members with their times (seen at, or for
// strikes, expiring at) and a log of those times in order, to prune from
// the front.
type entry struct {
	key        Key
	prev, next *entry
	expires    int64 // unix ns after which the whole counter is empty
	kind       Kind
	members    map[Key]int64
	log        []logItem // log[head:] is live
	head       int
}

type logItem struct {
	t int64
	m Key
}

// NewMemory returns a memory store of at most maxKeys counters (0 means
// DefaultMaxKeys), each of at most DefaultMaxMembers members. now is its
// clock: time.Now, or a fake one in tests.
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	return NewMemoryMembers(maxKeys, DefaultMaxMembers, now)
}

// NewMemoryMembers is NewMemory with another bound on the members of one
// counter, for tests of the bound.
func NewMemoryMembers(maxKeys, maxMembers int, now func() time.Time) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if maxMembers <= 0 {
		maxMembers = DefaultMaxMembers
	}
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, maxMembers: maxMembers}
	per := max(1, maxKeys/memShards)
	for i := range m.shards {
		s := &m.shards[i]
		s.max = per
		s.keys = make(map[Key]*entry)
		s.ring.prev, s.ring.next = &s.ring, &s.ring
	}
	return m
}

// Backend names the backend, for modgate_state_backend_info and the
// console.
func (m *Memory) Backend() string { return "memory" }

// Len counts the counters held, expired ones not yet dropped included.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}

func (m *Memory) shard(k Key) *memShard {
	return &m.shards[binary.LittleEndian.Uint16(k[:2])%memShards]
}

// Count records and reads every op of b.
func (m *Memory) Count(_ context.Context, b *Batch) error {
	now := m.now().UnixNano()
	b.Counts = b.Counts[:0]
	for i := range b.Ops {
		op := &b.Ops[i]
		s := m.shard(op.Key)
		s.mu.Lock()
		b.Counts = append(b.Counts, s.count(op, b.ID, now, m.maxMembers, b.Peek))
		s.mu.Unlock()
	}
	m.tidy(now)
	return nil
}

// tidy drops expired counters of one shard in turn, so that shards no
// message touches empty too. A busy shard is left for next time.
func (m *Memory) tidy(now int64) {
	s := &m.shards[m.next.Add(1)%memShards]
	if s.mu.TryLock() {
		s.dropExpired(now)
		s.mu.Unlock()
	}
}

// Strike records the strikes of b.
func (m *Memory) Strike(_ context.Context, b *Batch) error {
	now := m.now().UnixNano()
	for _, st := range b.Strikes {
		s := m.shard(st.Key)
		s.mu.Lock()
		s.strike(st, now, m.maxMembers)
		s.mu.Unlock()
	}
	return nil
}

// Close does nothing: the memory store holds no connections.
func (m *Memory) Close() error { return nil }

func (s *memShard) count(op *Op, id Key, now int64, maxMembers int, peek bool) int64 {
	s.dropExpired(now)
	e := s.keys[op.Key]
	cutoff := now
	if op.Kind != Strikes {
		cutoff = now - int64(op.Window)
	}
	if e != nil {
		e.prune(cutoff)
		s.touch(e)
	}
	if !op.Record || op.Kind == Strikes {
		if e == nil {
			return 0
		}
		return int64(len(e.members))
	}
	if peek {
		member := id
		if op.Kind == Distinct {
			member = op.Member
		}
		n := int64(0)
		if e != nil {
			n = int64(len(e.members))
			if _, seen := e.members[member]; seen {
				return n
			}
		}
		return n + 1
	}
	if e == nil {
		e = s.add(op.Key, op.Kind)
	}
	switch op.Kind {
	case Rate:
		// A message seen again (a retry, the other endpoint) keeps the
		// time it was first counted at.
		if _, seen := e.members[id]; !seen {
			e.insert(id, now)
		}
	case Distinct:
		// A value seen again was seen now: it stays counted for a window
		// from now.
		e.insert(op.Member, now)
	}
	e.trim(maxMembers)
	e.expires = max(e.expires, now+int64(op.Window))
	return int64(len(e.members))
}

func (s *memShard) strike(st StrikeOp, now int64, maxMembers int) {
	s.dropExpired(now)
	e := s.keys[st.Key]
	if e == nil {
		e = s.add(st.Key, Strikes)
	} else {
		e.prune(now)
		s.touch(e)
	}
	if _, seen := e.members[st.Member]; seen {
		return
	}
	until := now + int64(st.For)
	e.insert(st.Member, until)
	e.trim(maxMembers)
	e.expires = max(e.expires, until)
}

// forget drops the member of a log item leaving the log. Only a distinct
// counter re-records members, leaving stale items behind whose member was
// seen again later and must stay; rate and strikes members are recorded
// once, so their items are never stale and need no lookup.
func (e *entry) forget(it logItem) {
	if e.kind == Distinct {
		if t, ok := e.members[it.m]; !ok || t != it.t {
			return
		}
	}
	delete(e.members, it.m)
}

// trim drops the oldest members (for strikes, the soonest to expire) until
// at most n are left.
func (e *entry) trim(n int) {
	for len(e.members) > n && e.head < len(e.log) {
		e.forget(e.log[e.head])
		e.head++
	}
	if e.head > len(e.log)/2 {
		k := copy(e.log, e.log[e.head:])
		e.log, e.head = e.log[:k], 0
	}
}

// add creates the counter for k, evicting the least recently used one when
// the shard is full.
func (s *memShard) add(k Key, kind Kind) *entry {
	if len(s.keys) >= s.max {
		s.remove(s.ring.prev)
	}
	e := &entry{key: k, kind: kind, members: make(map[Key]int64, 1)}
	s.keys[k] = e
	e.prev, e.next = &s.ring, s.ring.next
	e.prev.next, e.next.prev = e, e
	return e
}

func (s *memShard) touch(e *entry) {
	if s.ring.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = &s.ring, s.ring.next
	e.prev.next, e.next.prev = e, e
}

func (s *memShard) remove(e *entry) {
	if e == &s.ring {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(s.keys, e.key)
}

// dropExpired removes up to two expired counters from the cold end: each
// operation pays for a little of the cleanup instead of a sweeper pausing
// everything now and then.
func (s *memShard) dropExpired(now int64) {
	for range 2 {
		e := s.ring.prev
		if e == &s.ring || e.expires > now {
			return
		}
		s.remove(e)
	}
}

// insert records member at t, keeping the log in time order. Times come
// from one clock and mostly arrive in order, so this is an append.
func (e *entry) insert(member Key, t int64) {
	e.members[member] = t
	n := len(e.log)
	if n == e.head || e.log[n-1].t <= t {
		e.log = append(e.log, logItem{t: t, m: member})
		return
	}
	i := e.head + sort.Search(n-e.head, func(i int) bool { return e.log[e.head+i].t > t })
	e.log = append(e.log, logItem{})
	copy(e.log[i+1:], e.log[i:])
	e.log[i] = logItem{t: t, m: member}
}

// prune forgets members whose time is at or before cutoff. A log item whose
// member was seen again later is stale and goes without touching the member.
// The log is cut from the front by moving its start; it is compacted only
// once most of it is dead, so pruning costs O(1) per item amortized.
func (e *entry) prune(cutoff int64) {
	i := e.head
	for ; i < len(e.log) && e.log[i].t <= cutoff; i++ {
		e.forget(e.log[i])
	}
	if i == e.head {
		return
	}
	e.head = i
	if e.head == len(e.log) {
		e.log, e.head = e.log[:0], 0
		return
	}
	if e.head > len(e.log)/2 {
		n := copy(e.log, e.log[e.head:])
		e.log, e.head = e.log[:n], 0
	}
}
