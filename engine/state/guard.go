package state

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Backend is a store Guard can wrap: Memory or Redis.
type Backend interface {
	Count(ctx context.Context, b *Batch) error
	Strike(ctx context.Context, b *Batch) error
	Backend() string
	Close() error
}

// Observer receives the outcome of every store operation, for
// modgate_state_operations_total and modgate_state_operation_duration_seconds.
// result is one of Results.
type Observer interface {
	StateOperation(result string, took time.Duration)
}

// Results are the result label values of the state metrics.
var Results = []string{"ok", "error", "timeout", "skipped"}

// Breaker defaults: after BreakerFailures failures in a row the store is
// not asked for BreakerCooldown; then one request tries it again.
const (
	BreakerFailures = 3
	BreakerCooldown = 5 * time.Second
)

// Guard makes a failing store cheap and visible: it counts and times every
// operation, logs failures at most once a second, and opens a circuit
// breaker after a few failures in a row so that no request waits on a dead
// Redis. After the cooldown one request probes the store (half-open); its
// success closes the breaker, its failure opens it for another cooldown.
type Guard struct {
	b        Backend
	obs      Observer
	log      *slog.Logger
	now      func() time.Time
	failures int
	cooldown time.Duration

	fails     atomic.Int32
	openUntil atomic.Int64 // unix ns; 0 while closed
	probing   atomic.Bool
	lastLog   atomic.Int64
}

// GuardOptions configure NewGuard; zero values take the defaults.
type GuardOptions struct {
	Observer Observer
	Logger   *slog.Logger
	// Failures in a row that open the breaker, and how long it stays open.
	Failures int
	Cooldown time.Duration
	// Now is the clock of the breaker; time.Now when nil.
	Now func() time.Time
}

// NewGuard wraps b.
func NewGuard(b Backend, o GuardOptions) *Guard {
	g := &Guard{b: b, obs: o.Observer, log: o.Logger, now: o.Now, failures: o.Failures, cooldown: o.Cooldown}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.failures <= 0 {
		g.failures = BreakerFailures
	}
	if g.cooldown <= 0 {
		g.cooldown = BreakerCooldown
	}
	return g
}

// Backend names the wrapped backend.
func (g *Guard) Backend() string { return g.b.Backend() }

// Close closes the wrapped backend.
func (g *Guard) Close() error { return g.b.Close() }

// Open reports whether the breaker is open now.
func (g *Guard) Open() bool {
	u := g.openUntil.Load()
	return u != 0 && g.now().UnixNano() < u
}

// Count records and reads the counters of one message.
func (g *Guard) Count(ctx context.Context, b *Batch) error {
	return g.do(ctx, b, false)
}

// Strike records the strikes of b.
func (g *Guard) Strike(ctx context.Context, b *Batch) error {
	return g.do(ctx, b, true)
}

// do runs Count or Strike; not a closure, which would cost an allocation
// per message.
func (g *Guard) do(ctx context.Context, b *Batch, strike bool) error {
	start := g.now()
	if !g.allow(start) {
		g.observe("skipped", 0)
		return ErrSkipped
	}
	var err error
	if strike {
		err = g.b.Strike(ctx, b)
	} else {
		err = g.b.Count(ctx, b)
	}
	took := g.now().Sub(start)
	if err == nil {
		g.observe("ok", took)
		g.succeeded()
		return nil
	}
	result := "error"
	if errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		result = "timeout"
	}
	g.observe(result, took)
	g.failed(start, err, result)
	return err
}

func (g *Guard) observe(result string, took time.Duration) {
	if g.obs != nil {
		g.obs.StateOperation(result, took)
	}
}

// allow reports whether an operation may go to the store: always while
// the breaker is closed; while it is open, only one probe once the
// cooldown has passed.
func (g *Guard) allow(now time.Time) bool {
	u := g.openUntil.Load()
	if u == 0 {
		return true
	}
	if now.UnixNano() < u {
		return false
	}
	return g.probing.CompareAndSwap(false, true)
}

func (g *Guard) succeeded() {
	g.fails.Store(0)
	if g.openUntil.Swap(0) != 0 {
		g.probing.Store(false)
		g.log.Info("state store recovered, circuit breaker closed", "backend", g.b.Backend())
	}
}

func (g *Guard) failed(now time.Time, err error, result string) {
	if g.probing.Load() {
		g.openUntil.Store(now.Add(g.cooldown).UnixNano())
		g.probing.Store(false)
		g.logFailure(now, err, result, true)
		return
	}
	if int(g.fails.Add(1)) >= g.failures && g.openUntil.CompareAndSwap(0, now.Add(g.cooldown).UnixNano()) {
		g.log.Warn("state store circuit breaker open: stateful rules fail open until it recovers",
			"backend", g.b.Backend(), "cooldown", g.cooldown.String(), "err", err.Error())
		return
	}
	g.logFailure(now, err, result, false)
}

// logFailure logs at most one line a second: a dead Redis must not flood
// the log at the message rate.
func (g *Guard) logFailure(now time.Time, err error, result string, probe bool) {
	n := now.UnixNano()
	last := g.lastLog.Load()
	if n-last < int64(time.Second) || !g.lastLog.CompareAndSwap(last, n) {
		return
	}
	g.log.Warn("state store operation failed", "backend", g.b.Backend(), "result", result, "probe", probe, "err", err.Error())
}
