package state_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modgate/modgate/engine/state"
)

// subject is a store under the contract, with a way to let time pass: a
// fake clock for the memory store, real sleeps for Redis (whose clock is
// the server's, as in production).
type subject struct {
	store   state.Backend
	advance func(time.Duration)
}

// redisAddr is the Redis the tests use: .ci/run starts one and exports its
// address. Without it the Redis half of the suite skips locally and fails
// in CI, where a missing server is a broken setup, not an excuse.
func redisAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("MODGATE_TEST_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MODGATE_TEST_REDIS_ADDR is unset: CI must start redis-server (see .ci/run)")
		}
		t.Skip("MODGATE_TEST_REDIS_ADDR is unset; start redis-server and set it to run the Redis contract tests")
	}
	return addr
}

// maxMembers is the bound on one counter the contract runs with: small, so
// that the bound itself can be tested.
const maxMembers = 8

func subjects(t *testing.T) map[string]func(t *testing.T) subject {
	return map[string]func(t *testing.T) subject{
		"memory": func(t *testing.T) subject {
			clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
			return subject{store: state.NewMemoryMembers(1000, maxMembers, clock.Now), advance: clock.Advance}
		},
		"redis": func(t *testing.T) subject {
			r, err := state.NewRedis(state.RedisOptions{URL: "redis://" + redisAddr(t) + "/0", Timeout: time.Second, MaxMembers: maxMembers})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return subject{store: r, advance: time.Sleep}
		},
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// unique makes key strings no other test (or earlier run against the same
// Redis) has used.
func unique(t *testing.T) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	return t.Name() + ":" + hex.EncodeToString(b[:])
}

func id(s string) state.Key { return state.MemberOf(s) }

// count runs one op for message msg and returns its count.
func count(t *testing.T, s state.Backend, msg string, op state.Op) int64 {
	t.Helper()
	b := &state.Batch{ID: id(msg), Ops: []state.Op{op}}
	if err := s.Count(context.Background(), b); err != nil {
		t.Fatalf("Count: %v", err)
	}
	if len(b.Counts) != 1 {
		t.Fatalf("Count gave %d counts for 1 op", len(b.Counts))
	}
	return b.Counts[0]
}

const window = 400 * time.Millisecond

func TestContract(t *testing.T) {
	for name, open := range subjects(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("peek answers what counting would, and counts nothing", func(t *testing.T) {
				s := open(t)
				key := unique(t)
				rate := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, key), Window: window, Record: true}
				distinct := state.Op{Kind: state.Distinct, Key: state.KeyOf(state.Distinct, window, key), Window: window, Record: true, Member: id("g1")}
				peek := func(msg string, op state.Op) int64 {
					t.Helper()
					b := &state.Batch{ID: id(msg), Ops: []state.Op{op}, Peek: true}
					if err := s.store.Count(context.Background(), b); err != nil {
						t.Fatalf("Count: %v", err)
					}
					return b.Counts[0]
				}
				if got := peek("m0", rate); got != 1 {
					t.Errorf("peek on an empty counter = %d, want 1 (this message)", got)
				}
				count(t, s.store, "m0", rate)
				count(t, s.store, "m1", rate)
				for i := 0; i < 3; i++ {
					if got := peek("m2", rate); got != 3 {
						t.Errorf("peek %d of a new message = %d, want 3", i, got)
					}
				}
				if got := peek("m1", rate); got != 2 {
					t.Errorf("peek of a message already counted = %d, want 2", got)
				}
				if got := count(t, s.store, "m2", rate); got != 3 {
					t.Errorf("counting after peeks = %d, want 3: a peek must not count", got)
				}
				count(t, s.store, "m3", distinct)
				if got := peek("m4", distinct); got != 1 {
					t.Errorf("peek of a value already seen = %d, want 1", got)
				}
				other := distinct
				other.Member = id("g2")
				if got := peek("m4", other); got != 2 {
					t.Errorf("peek of a new value = %d, want 2", got)
				}
				if got := count(t, s.store, "m5", distinct); got != 1 {
					t.Errorf("distinct after peeks = %d, want 1", got)
				}
			})
			t.Run("rate counts each message once, this one included", func(t *testing.T) {
				s := open(t)
				op := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, unique(t)), Window: window, Record: true}
				for i, want := range []int64{1, 2, 3} {
					if got := count(t, s.store, "m"+strconv.Itoa(i), op); got != want {
						t.Errorf("message %d: rate = %d, want %d", i, got, want)
					}
				}
				if got := count(t, s.store, "m1", op); got != 3 {
					t.Errorf("a retry of m1: rate = %d, want 3 (counted once)", got)
				}
			})
			t.Run("rate forgets messages older than the window", func(t *testing.T) {
				s := open(t)
				op := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, unique(t)), Window: window, Record: true}
				count(t, s.store, "a", op)
				count(t, s.store, "b", op)
				s.advance(window + 100*time.Millisecond)
				if got := count(t, s.store, "c", op); got != 1 {
					t.Errorf("after the window: rate = %d, want 1", got)
				}
			})
			t.Run("the window slides", func(t *testing.T) {
				s := open(t)
				op := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, unique(t)), Window: window, Record: true}
				count(t, s.store, "a", op)
				s.advance(window / 2)
				count(t, s.store, "b", op)
				s.advance(window/2 + 50*time.Millisecond) // a is out, b is in
				if got := count(t, s.store, "c", op); got != 2 {
					t.Errorf("rate = %d, want 2 (b and c)", got)
				}
			})
			t.Run("a read does not count", func(t *testing.T) {
				s := open(t)
				k := state.KeyOf(state.Rate, window, unique(t))
				rec := state.Op{Kind: state.Rate, Key: k, Window: window, Record: true}
				read := rec
				read.Record = false
				if got := count(t, s.store, "x", read); got != 0 {
					t.Errorf("read of a new key = %d, want 0", got)
				}
				count(t, s.store, "a", rec)
				if got := count(t, s.store, "y", read); got != 1 {
					t.Errorf("read = %d, want 1", got)
				}
				if got := count(t, s.store, "b", rec); got != 2 {
					t.Errorf("rate = %d, want 2: the reads did not count", got)
				}
			})
			t.Run("distinct counts values, not messages", func(t *testing.T) {
				s := open(t)
				k := state.KeyOf(state.Distinct, window, unique(t))
				op := func(v string) state.Op {
					return state.Op{Kind: state.Distinct, Key: k, Member: state.MemberOf(v), Window: window, Record: true}
				}
				steps := []struct {
					msg, value string
					want       int64
				}{{"m1", "g1", 1}, {"m2", "g2", 2}, {"m3", "g1", 2}, {"m4", "g3", 3}}
				for _, st := range steps {
					if got := count(t, s.store, st.msg, op(st.value)); got != st.want {
						t.Errorf("%s to %s: distinct = %d, want %d", st.msg, st.value, got, st.want)
					}
				}
				s.advance(window + 100*time.Millisecond)
				if got := count(t, s.store, "m5", op("g1")); got != 1 {
					t.Errorf("after the window: distinct = %d, want 1", got)
				}
			})
			t.Run("a value seen again stays counted for a window from then", func(t *testing.T) {
				s := open(t)
				k := state.KeyOf(state.Distinct, window, unique(t))
				op := func(v string) state.Op {
					return state.Op{Kind: state.Distinct, Key: k, Member: state.MemberOf(v), Window: window, Record: true}
				}
				count(t, s.store, "m1", op("g1"))
				count(t, s.store, "m2", op("g2"))
				s.advance(window * 3 / 4)
				count(t, s.store, "m3", op("g1"))
				s.advance(window/2 + 20*time.Millisecond) // g2 expired, g1 seen again lately
				if got := count(t, s.store, "m4", op("g3")); got != 2 {
					t.Errorf("distinct = %d, want 2 (g1 and g3)", got)
				}
			})
			t.Run("strikes are read before this message's and expire", func(t *testing.T) {
				s := open(t)
				k := state.KeyOf(state.Strikes, 0, unique(t))
				read := state.Op{Kind: state.Strikes, Key: k}
				if got := count(t, s.store, "m0", read); got != 0 {
					t.Fatalf("strikes = %d, want 0", got)
				}
				ctx := context.Background()
				for _, m := range []string{"m1", "m2", "m1"} { // m1 twice: one strike
					if err := s.store.Strike(ctx, &state.Batch{Strikes: []state.StrikeOp{{Key: k, Member: state.StrikeMember(id(m), "flood"), For: window}}}); err != nil {
						t.Fatal(err)
					}
				}
				if got := count(t, s.store, "m3", read); got != 2 {
					t.Errorf("strikes = %d, want 2", got)
				}
				s.advance(window + 100*time.Millisecond)
				if got := count(t, s.store, "m4", read); got != 0 {
					t.Errorf("after they expired: strikes = %d, want 0", got)
				}
			})
			t.Run("a changed window is a fresh count", func(t *testing.T) {
				s := open(t)
				key := unique(t)
				a := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, key), Window: window, Record: true}
				b := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, 2*window, key), Window: 2 * window, Record: true}
				count(t, s.store, "m1", a)
				count(t, s.store, "m2", a)
				if got := count(t, s.store, "m3", b); got != 1 {
					t.Errorf("the other window: rate = %d, want 1", got)
				}
			})
			t.Run("one batch, many counters", func(t *testing.T) {
				s := open(t)
				key := unique(t)
				b := &state.Batch{ID: id("m1"), Ops: []state.Op{
					{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, key+"a"), Window: window, Record: true},
					{Kind: state.Distinct, Key: state.KeyOf(state.Distinct, window, key+"b"), Member: id("v"), Window: window, Record: true},
					{Kind: state.Strikes, Key: state.KeyOf(state.Strikes, 0, key+"c")},
				}}
				if err := s.store.Count(context.Background(), b); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(b.Counts) != "[1 1 0]" {
					t.Errorf("counts = %v, want [1 1 0]", b.Counts)
				}
			})
			t.Run("a counter saturates at its bound, keeping the newest", func(t *testing.T) {
				s := open(t)
				op := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, window, unique(t)), Window: window, Record: true}
				for i := range 3 * maxMembers {
					if got, want := count(t, s.store, "m"+strconv.Itoa(i), op), int64(min(i+1, maxMembers)); got != want {
						t.Fatalf("message %d: rate = %d, want %d", i+1, got, want)
					}
				}
				k := state.KeyOf(state.Strikes, 0, unique(t))
				for i := range 3 * maxMembers {
					if err := s.store.Strike(context.Background(), &state.Batch{Strikes: []state.StrikeOp{{Key: k, Member: id("s" + strconv.Itoa(i)), For: time.Duration(i+1) * 100 * time.Millisecond}}}); err != nil {
						t.Fatal(err)
					}
				}
				if got := count(t, s.store, "x", state.Op{Kind: state.Strikes, Key: k}); got != maxMembers {
					t.Errorf("strikes = %d, want the bound %d", got, maxMembers)
				}
				// The 16 soonest to expire were dropped: the 8 kept last 1.7 s
				// and more.
				s.advance(1650 * time.Millisecond)
				if got := count(t, s.store, "x", state.Op{Kind: state.Strikes, Key: k}); got != maxMembers {
					t.Errorf("strikes after 1.65s = %d, want %d: the bound must drop the soonest to expire", got, maxMembers)
				}
			})
			t.Run("concurrent messages are each counted", func(t *testing.T) {
				s := open(t)
				op := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Minute, unique(t)), Window: time.Minute, Record: true}
				var wg sync.WaitGroup
				for i := range maxMembers {
					wg.Go(func() {
						b := &state.Batch{ID: id("m" + strconv.Itoa(i)), Ops: []state.Op{op}}
						if err := s.store.Count(context.Background(), b); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if got := count(t, s.store, "m0", op); got != maxMembers {
					t.Errorf("rate = %d after %d concurrent messages, want %d", got, maxMembers, maxMembers)
				}
			})
		})
	}
}

// TestRedisKilledAndRestarted runs its own redis-server, kills it in the
// middle and starts it again on the same port: operations fail fast while
// it is gone (within the timeout, then skipped by the breaker), and work
// again once it is back, with no restart of the store.
func TestRedisKilledAndRestarted(t *testing.T) {
	redisAddr(t) // the same opt-in as the contract suite
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitListening(t, port)
		return cmd
	}
	srv := start()
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })

	const timeout = 100 * time.Millisecond
	r, err := state.NewRedis(state.RedisOptions{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	obs := &countingObserver{n: map[string]int{}}
	clock := &fakeClock{t: time.Now()}
	g := state.NewGuard(r, state.GuardOptions{Observer: obs, Now: clock.Now, Cooldown: time.Second})
	op := state.Op{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Minute, unique(t)), Window: time.Minute, Record: true}
	do := func(msg string) (int64, error) {
		b := &state.Batch{ID: id(msg), Ops: []state.Op{op}}
		started := time.Now()
		err := g.Count(context.Background(), b)
		if took := time.Since(started); took > timeout+200*time.Millisecond {
			t.Errorf("%s: took %v, more than the timeout %v allows", msg, took, timeout)
		}
		if err != nil {
			return 0, err
		}
		return b.Counts[0], nil
	}
	for i := range 3 {
		if n, err := do("before" + strconv.Itoa(i)); err != nil || n != int64(i+1) {
			t.Fatalf("before the kill: %d, %v", n, err)
		}
	}

	_ = srv.Process.Kill()
	_ = srv.Wait()
	for i := range state.BreakerFailures {
		if _, err := do("down" + strconv.Itoa(i)); err == nil {
			t.Fatal("an operation succeeded with Redis down")
		}
	}
	if !g.Open() {
		t.Fatalf("the breaker is closed after %d failures", state.BreakerFailures)
	}
	if _, err := do("skipped"); err != state.ErrSkipped {
		t.Fatalf("with the breaker open: %v, want ErrSkipped", err)
	}
	if obs.get("skipped") != 1 || obs.get("error")+obs.get("timeout") != state.BreakerFailures {
		t.Errorf("observed %v", obs.snapshot())
	}

	srv = start() // an empty Redis: the script cache is gone too
	clock.Advance(2 * time.Second)
	var n int64
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err = do("after")
		if err == nil || time.Now().After(deadline) {
			break
		}
		clock.Advance(2 * time.Second) // let the breaker probe again
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Redis is back but operations still fail: %v", err)
	}
	if n != 1 {
		t.Errorf("rate on the restarted, empty Redis = %d, want 1", n)
	}
	if g.Open() {
		t.Error("the breaker stayed open after a success")
	}
}

type countingObserver struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *countingObserver) StateOperation(result string, _ time.Duration) {
	o.mu.Lock()
	o.n[result]++
	o.mu.Unlock()
}

func (o *countingObserver) get(r string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[r]
}

func (o *countingObserver) snapshot() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return fmt.Sprint(o.n)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server did not listen on %d", port)
}

// BenchmarkRedisCount is one message's script call against the Redis of
// MODGATE_TEST_REDIS_ADDR, a rate and a strikes read as the spam pack's
// rules make, from 8 goroutines a core.
func BenchmarkRedisCount(b *testing.B) {
	addr := os.Getenv("MODGATE_TEST_REDIS_ADDR")
	if addr == "" {
		b.Skip("MODGATE_TEST_REDIS_ADDR is unset")
	}
	r, err := state.NewRedis(state.RedisOptions{URL: "redis://" + addr + "/0", Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		batch := &state.Batch{Ops: []state.Op{
			{Kind: state.Rate, Key: state.KeyOf(state.Rate, time.Minute, "bench:flood"), Window: time.Minute, Record: true},
			{Kind: state.Strikes, Key: state.KeyOf(state.Strikes, 0, "bench:u1")},
		}}
		for pb.Next() {
			batch.ID = state.MemberOf(strconv.FormatInt(n.Add(1), 10))
			if err := r.Count(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}
