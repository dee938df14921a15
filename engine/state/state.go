// Package state is the store behind modgate's stateful rule functions
// (SPEC §10): rate, distinct and strikes. A store records and reads every
// counter one message touches in one call (Count), and records strikes in
// another after the verdict (Strike).
//
// Two backends serve it: Memory, in-process and bounded, for one replica;
// Redis, for replicas that must see the same counts. Guard wraps either
// with the state timeout, a circuit breaker and the state metrics.
//
// Keys and members reach a store hashed (Key): no message text or user id
// is kept in clear, in memory or in Redis.
package state

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"
)

// Kind is what a counter counts.
type Kind uint8

// The counters of SPEC §10.
const (
	// Rate counts messages: its members are message identities.
	Rate Kind = iota + 1
	// Distinct counts distinct values: its members are hashed values.
	Distinct
	// Strikes counts unexpired strikes: its members are (message, rule)
	// pairs, each kept until it expires.
	Strikes
)

func (k Kind) String() string {
	switch k {
	case Rate:
		return "rate"
	case Distinct:
		return "distinct"
	case Strikes:
		return "strikes"
	}
	return "unknown"
}

// Key is a hashed key or member: 128 bits of SHA-256, enough that an
// attacker choosing message text cannot collide with another sender's key.
type Key [16]byte

// KeyOf hashes the key of a counter. The kind and the window are part of
// the hash, so that a changed window starts a fresh count (SPEC §10 item 4)
// and a rate and a distinct under one key string never share a counter.
func KeyOf(kind Kind, window time.Duration, key string) Key {
	var buf [96]byte
	b := append(buf[:0], byte(kind))
	b = binary.LittleEndian.AppendUint64(b, uint64(window))
	b = append(b, key...)
	return sum(b)
}

// MemberOf hashes a value (of distinct) or a message identity.
func MemberOf(s string) Key {
	var buf [64]byte
	return sum(append(buf[:0], s...))
}

// StrikeMember is the member recording the strike of rule for the message
// id: the same message deciding the same rule again records no second
// strike.
func StrikeMember(id Key, rule string) Key {
	var buf [80]byte
	b := append(buf[:0], id[:]...)
	b = append(b, rule...)
	return sum(b)
}

func sum(b []byte) Key {
	s := sha256.Sum256(b)
	return Key(s[:16])
}

// Op is one counter a message touches.
type Op struct {
	Kind Kind
	Key  Key
	// Member is the hashed value of a Distinct op; Rate ops count the
	// batch's ID and Strikes ops only read.
	Member Key
	// Window is how far back a Rate or Distinct op counts.
	Window time.Duration
	// Record counts this message; false only reads the count (a trigger the
	// rule does not count on, SPEC §10 item 2).
	Record bool
}

// Batch is every counter of one message, recorded and read at once.
type Batch struct {
	// ID is the message's identity: the same ID counts once per counter.
	ID  Key
	Ops []Op
	// Peek only reads: each Record op answers the count it would have if
	// this message were counted, and nothing is written. The console's
	// "try a message" uses it, so that trying a message neither counts it
	// nor can strike a sender.
	Peek bool
	// Counts receives one count per op, this message included for Rate and
	// Distinct ops that record, strikes before this message's for Strikes.
	Counts []int64
	// Strikes are the strikes the message records after its verdict.
	Strikes []StrikeOp

	// started is when Count began, so that Strike spends what is left of
	// the message's state.timeout rather than a budget of its own.
	started time.Time
}

// Reset empties b, keeping its capacity.
func (b *Batch) Reset() {
	b.Ops = b.Ops[:0]
	b.Counts = b.Counts[:0]
	b.Strikes = b.Strikes[:0]
	b.started = time.Time{}
	b.Peek = false
}

// StrikeOp records one strike: Member under Key until For has passed.
type StrikeOp struct {
	Key    Key
	Member Key
	For    time.Duration
}

// DefaultMaxMembers bounds the members of one counter: a flood of 5,000
// messages a second must not grow one sorted set (or a day of strikes) without
// bound. Beyond it the oldest members go (for strikes, the soonest to
// expire), so counts saturate there: rules compare counts with thresholds
// far below it, and those comparisons stay exact.
const DefaultMaxMembers = 10_000

// Errors a store reports besides its backend's own.
var (
	// ErrTimeout is a store operation that took longer than state.timeout.
	ErrTimeout = errors.New("state store: timed out")
	// ErrSkipped is an operation not tried because the circuit breaker is
	// open after repeated failures.
	ErrSkipped = errors.New("state store: skipped, circuit breaker open after repeated failures")
)
