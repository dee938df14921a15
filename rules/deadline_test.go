package rules

import (
	"context"
	"testing"
	"time"
)

// TestDeadlineTimerReuse: an environment's timer, reused from message to
// message, stops each evaluation at its own deadline and never at an
// earlier message's, even when that one fired after it ended.
func TestDeadlineTimerReuse(t *testing.T) {
	var e Env
	ctx := context.Background()

	e.BeginEvaluationWithin(ctx, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	if err := e.Interrupted(); err != context.DeadlineExceeded {
		t.Fatalf("after the deadline: Interrupted = %v, want DeadlineExceeded", err)
	}
	e.EndEvaluation()

	// The next message has an hour: the expiry recorded for the last
	// one must not count for it.
	e.BeginEvaluationWithin(ctx, time.Hour)
	if err := e.Interrupted(); err != nil {
		t.Fatalf("a fresh evaluation: Interrupted = %v, want nil", err)
	}
	e.EndEvaluation()

	// A message that ends before its deadline, then one armed again: the
	// stopped timer must not fire into the second.
	e.BeginEvaluationWithin(ctx, 2*time.Millisecond)
	e.EndEvaluation()
	e.BeginEvaluationWithin(ctx, time.Hour)
	time.Sleep(20 * time.Millisecond)
	if err := e.Interrupted(); err != nil {
		t.Fatalf("after a stopped timer: Interrupted = %v, want nil", err)
	}
	e.EndEvaluation()

	// No timeout: never interrupted by time; a negative one: at once.
	e.BeginEvaluationWithin(ctx, 0)
	if err := e.Interrupted(); err != nil {
		t.Fatalf("no timeout: Interrupted = %v", err)
	}
	e.BeginEvaluationWithin(ctx, -1)
	if err := e.Interrupted(); err != context.DeadlineExceeded {
		t.Fatalf("a passed deadline: Interrupted = %v, want DeadlineExceeded", err)
	}

	// ctx's own deadline, earlier than the timeout, is ctx's to enforce.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	e.BeginEvaluationWithin(cctx, time.Hour)
	time.Sleep(30 * time.Millisecond)
	if err := e.Interrupted(); err != context.DeadlineExceeded {
		t.Fatalf("ctx's deadline: Interrupted = %v, want DeadlineExceeded", err)
	}
	e.EndEvaluation()

	// The timer is not stopped between messages: after a long timeout a
	// short one must still stop its evaluation at its own deadline, and
	// after many messages that ended early, the one that runs over.
	e.BeginEvaluationWithin(ctx, time.Hour)
	e.EndEvaluation()
	e.BeginEvaluationWithin(ctx, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	if err := e.Interrupted(); err != context.DeadlineExceeded {
		t.Fatalf("a short timeout after a long one: Interrupted = %v, want DeadlineExceeded", err)
	}
	e.EndEvaluation()
	for range 100 {
		e.BeginEvaluationWithin(ctx, 5*time.Millisecond)
		if err := e.Interrupted(); err != nil {
			t.Fatalf("a message ending early: Interrupted = %v, want nil", err)
		}
		e.EndEvaluation()
	}
	e.BeginEvaluationWithin(ctx, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	if err := e.Interrupted(); err != context.DeadlineExceeded {
		t.Fatalf("after messages that ended early: Interrupted = %v, want DeadlineExceeded", err)
	}
	e.EndEvaluation()

	// A new environment for each message, as modgate eval and the rule
	// tests make: the timer, kept in the scratch pool, still stops each
	// evaluation at its own deadline.
	for _, timeout := range []time.Duration{time.Hour, 5 * time.Millisecond} {
		e = Env{}
		e.BeginEvaluationWithin(ctx, timeout)
		time.Sleep(30 * time.Millisecond)
		err := e.Interrupted()
		if timeout == time.Hour && err != nil || timeout < time.Hour && err != context.DeadlineExceeded {
			t.Fatalf("a zeroed environment, timeout %v: Interrupted = %v", timeout, err)
		}
		e.EndEvaluation()
	}
}

// TestDeadlineTimerNeverMissed arms one timer message after message with
// deadlines that pass while the timer fires for the one before, the race
// arm's lock-free path must survive: every evaluation must see its own
// deadline pass, none wait for ever.
func TestDeadlineTimerNeverMissed(t *testing.T) {
	d := newDeadlineTimer()
	for i := range 400 {
		d.arm(time.Duration(1+i%50) * time.Microsecond)
		limit := time.Now().Add(2 * time.Second)
		for !d.passed() {
			if time.Now().After(limit) {
				t.Fatalf("message %d: its deadline never passed (deadline %d, expired %d, fireAt %d)",
					i, d.deadline.Load(), d.expired.Load(), d.fireAt.Load())
			}
			time.Sleep(time.Duration(i%3) * time.Microsecond)
		}
	}
}

// TestInterruptedSeesCancel: a context done before the evaluation stops
// it at the first look; one done during it is seen within pollEvery
// looks, and from then on by every one.
func TestInterruptedSeesCancel(t *testing.T) {
	var e Env
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.BeginEvaluationWithin(ctx, time.Hour)
	if err := e.Interrupted(); err != context.Canceled {
		t.Fatalf("first look under a done context: %v, want Canceled", err)
	}
	e.EndEvaluation()

	for done := range 2 * pollEvery {
		ctx, cancel := context.WithCancel(context.Background())
		e.BeginEvaluationWithin(ctx, time.Hour)
		for range done {
			if err := e.Interrupted(); err != nil {
				t.Fatalf("before the cancel: %v", err)
			}
		}
		cancel()
		seen := -1
		for i := range pollEvery {
			if e.Interrupted() != nil {
				seen = i
				break
			}
		}
		if seen < 0 {
			t.Fatalf("cancelled after %d looks: not seen in the %d looks after", done, pollEvery)
		}
		if err := e.Interrupted(); err != context.Canceled {
			t.Fatalf("once seen: %v, want Canceled", err)
		}
		e.EndEvaluation()
	}
}
