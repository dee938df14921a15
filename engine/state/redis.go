package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// KeyPrefix starts every key modgate writes to Redis, so that its keys can
// be told apart (and counted, or flushed) in a shared instance.
const KeyPrefix = "mg:"

// countScript records and reads every counter of one message, atomically,
// on Redis's clock: replicas whose clocks disagree still count alike. Each
// counter is a sorted set, a sliding log: rate keeps one member per message
// identity scored by when it was first seen (ZADD NX, so a retry counts
// once), distinct one member per value scored by when it was last seen,
// strikes one member per strike scored by when it expires. The key expires
// with its window, so an idle counter costs nothing.
//
// A counter holds at most cap members: beyond it the lowest scores go.
//
// KEYS: the counters. ARGV[1]: the message identity; ARGV[2]: cap; then
// four arguments per key: kind (r, d, s), window in ms, member (distinct),
// record (1 records, 0 reads, p reads what recording would answer, writing
// nothing but the expiry of old members).
const countScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[2])
local out = {}
for i, k in ipairs(KEYS) do
  local j = 3 + (i - 1) * 4
  local kind, win = ARGV[j], tonumber(ARGV[j + 1])
  if kind == 's' then
    redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  else
    redis.call('ZREMRANGEBYSCORE', k, '-inf', now - win)
    if ARGV[j + 3] == 'p' then
      local m = ARGV[1]
      if kind == 'd' then m = ARGV[j + 2] end
      if not redis.call('ZSCORE', k, m) then out[i] = 1 end
    elseif ARGV[j + 3] == '1' then
      if kind == 'r' then
        redis.call('ZADD', k, 'NX', now, ARGV[1])
      else
        redis.call('ZADD', k, now, ARGV[j + 2])
      end
      local n = redis.call('ZCARD', k)
      if n > cap then redis.call('ZREMRANGEBYRANK', k, 0, n - cap - 1) end
      redis.call('PEXPIRE', k, win)
    end
  end
  out[i] = (out[i] or 0) + redis.call('ZCARD', k)
end
return out
`

// strikeScript records strikes: ARGV[1] is the cap; per key, ARGV holds
// the member and how long the strike lasts in ms. A member already there
// (the same message deciding the same rule again) is left as it is.
const strikeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  local ttl = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  redis.call('ZADD', k, 'NX', now + ttl, ARGV[2 * i])
  local n = redis.call('ZCARD', k)
  if n > cap then redis.call('ZREMRANGEBYRANK', k, 0, n - cap - 1) end
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return #KEYS
`

var (
	countLua  = rueidis.NewLuaScript(countScript)
	strikeLua = rueidis.NewLuaScript(strikeScript)
)

// Redis is the store for replicas: every replica pointed at one Redis sees
// the same counts. Each message costs one script call (EVALSHA, falling back
// to EVAL once after a Redis restart has forgotten the script) before the
// rules run, and one more after the verdict if it records strikes.
//
// It connects in the background: a Redis that is down when modgate starts
// makes operations fail at once (and the Guard's breaker skip them) while a
// connection is tried, never making a request wait for a dial. Once
// connected, the client reconnects by itself after Redis goes away.
type Redis struct {
	opt     rueidis.ClientOption
	timeout time.Duration
	cap     string // DefaultMaxMembers, or RedisOptions.MaxMembers

	client  atomic.Pointer[rueidis.Client]
	mu      sync.Mutex // guards dialing and closed
	dialing bool
	closed  bool
}

// errConnecting is an operation while the first connection is being made.
var errConnecting = errors.New("redis: not connected yet (connecting)")

// RedisOptions configure NewRedis.
type RedisOptions struct {
	// URL is redis://[user:password@]host:port/db (or rediss:// for TLS).
	URL string
	// Timeout bounds each operation, dialling included.
	Timeout time.Duration
	// MaxMembers bounds one counter (DefaultMaxMembers when 0).
	MaxMembers int
}

// NewRedis parses the URL and returns a store that connects on first use.
func NewRedis(o RedisOptions) (*Redis, error) {
	opt, err := rueidis.ParseURL(o.URL)
	if err != nil {
		// A *url.Error quotes the URL, password included: keep only why.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("state.redis url: %w", err)
	}
	if o.Timeout <= 0 {
		o.Timeout = 50 * time.Millisecond
	}
	// Client-side caching needs CLIENT TRACKING, which not every Redis-
	// compatible server has, and counters must never be served from a cache.
	opt.DisableCache = true
	opt.Dialer.Timeout = o.Timeout
	// A dead connection is noticed within a second rather than at the OS's
	// keepalive pace; the breaker covers the requests meanwhile.
	opt.ConnWriteTimeout = max(o.Timeout*4, time.Second)
	// Scripts are not retried on their own: a retry could outlast the
	// budget, and the caller fails open instead.
	opt.DisableRetry = true
	opt.ForceSingleClient = true
	if o.MaxMembers <= 0 {
		o.MaxMembers = DefaultMaxMembers
	}
	return &Redis{opt: opt, timeout: o.Timeout, cap: strconv.Itoa(o.MaxMembers)}, nil
}

// Backend names the backend.
func (r *Redis) Backend() string { return "redis" }

// Connect dials Redis now and waits for it, for a start-up check;
// operations connect on their own when this has not been called or has
// failed.
func (r *Redis) Connect(ctx context.Context) error {
	c := r.client.Load()
	if c == nil {
		nc, err := rueidis.NewClient(r.opt)
		if err != nil {
			return fmt.Errorf("connect to redis: %w", err)
		}
		if !r.store(nc) {
			nc.Close()
			if c = r.client.Load(); c == nil {
				return errors.New("redis: closed")
			}
		} else {
			c = &nc
		}
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return (*c).Do(ctx, (*c).B().Ping().Build()).Error()
}

// conn returns the client, or starts connecting in the background and
// fails at once.
func (r *Redis) conn() (rueidis.Client, error) {
	if c := r.client.Load(); c != nil {
		return *c, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.client.Load(); c != nil {
		return *c, nil
	}
	if !r.dialing && !r.closed {
		r.dialing = true
		go r.dial()
	}
	return nil, errConnecting
}

// redialEvery is how often the background dial tries again, so that the
// client is ready by the time the breaker lets a request probe.
const redialEvery = time.Second

// dial connects in the background, trying again until it succeeds or the
// store is closed.
func (r *Redis) dial() {
	for {
		c, err := rueidis.NewClient(r.opt)
		if err == nil {
			if !r.store(c) {
				c.Close()
			}
			break
		}
		time.Sleep(redialEvery)
		r.mu.Lock()
		closed := r.closed
		r.mu.Unlock()
		if closed {
			break
		}
	}
	r.mu.Lock()
	r.dialing = false
	r.mu.Unlock()
}

// store keeps c as the client unless the store was closed meanwhile, or
// another dial won.
func (r *Redis) store(c rueidis.Client) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || !r.client.CompareAndSwap(nil, &c) {
		return false
	}
	return true
}

// Close closes the connection.
func (r *Redis) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if c := r.client.Swap(nil); c != nil {
		(*c).Close()
	}
	return nil
}

// redisKey is the Redis key of k: the prefix and k in hex, readable in
// redis-cli.
func redisKey(k Key) string {
	const hexDigits = "0123456789abcdef"
	var b [len(KeyPrefix) + 32]byte
	copy(b[:], KeyPrefix)
	for i, c := range k {
		b[len(KeyPrefix)+2*i] = hexDigits[c>>4]
		b[len(KeyPrefix)+2*i+1] = hexDigits[c&15]
	}
	return string(b[:])
}

func millis(d time.Duration) string {
	return strconv.FormatInt(int64(max(1, (d+time.Millisecond-1)/time.Millisecond)), 10)
}

var kindCodes = [...]string{Rate: "r", Distinct: "d", Strikes: "s"}

// Count records and reads every op of b in one script call, within
// state.timeout of now; Strike spends what is left of it.
func (r *Redis) Count(ctx context.Context, b *Batch) error {
	b.started = time.Now()
	b.Counts = b.Counts[:0]
	if len(b.Ops) == 0 {
		return nil
	}
	keys := make([]string, len(b.Ops))
	args := make([]string, 2, 2+4*len(b.Ops))
	args[0], args[1] = string(b.ID[:]), r.cap
	for i, op := range b.Ops {
		keys[i] = redisKey(op.Key)
		rec := "0"
		switch {
		case op.Record && b.Peek:
			rec = "p"
		case op.Record:
			rec = "1"
		}
		args = append(args, kindCodes[op.Kind], millis(op.Window), string(op.Member[:]), rec)
	}
	res, err := r.exec(ctx, b, countLua, keys, args)
	if err != nil {
		return err
	}
	vals, err := res.ToArray()
	if err != nil {
		return fmt.Errorf("redis: count script: %w", err)
	}
	if len(vals) != len(b.Ops) {
		return fmt.Errorf("redis: count script answered %d values for %d counters", len(vals), len(b.Ops))
	}
	for _, v := range vals {
		n, err := v.AsInt64()
		if err != nil {
			return fmt.Errorf("redis: count script: %w", err)
		}
		b.Counts = append(b.Counts, n)
	}
	return nil
}

// Strike records the strikes of b in one script call.
func (r *Redis) Strike(ctx context.Context, b *Batch) error {
	strikes := b.Strikes
	if len(strikes) == 0 {
		return nil
	}
	keys := make([]string, len(strikes))
	args := make([]string, 1, 1+2*len(strikes))
	args[0] = r.cap
	for i, s := range strikes {
		keys[i] = redisKey(s.Key)
		args = append(args, string(s.Member[:]), millis(s.For))
	}
	_, err := r.exec(ctx, b, strikeLua, keys, args)
	return err
}

// exec runs script by EVALSHA within what is left of b's budget: the
// message's state.timeout from when Count began (or from now, for a batch
// that was never counted).
func (r *Redis) exec(ctx context.Context, b *Batch, script *rueidis.Lua, keys, args []string) (rueidis.RedisResult, error) {
	if b.started.IsZero() {
		b.started = time.Now()
	}
	deadline := b.started.Add(r.timeout)
	if time.Until(deadline) <= 0 {
		return rueidis.RedisResult{}, fmt.Errorf("%w (the message's budget was spent before this call)", ErrTimeout)
	}
	c, err := r.conn()
	if err != nil {
		return rueidis.RedisResult{}, err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	res := script.Exec(ctx, c, keys, args)
	if err := res.Error(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return res, fmt.Errorf("%w (%v)", ErrTimeout, err)
		}
		return res, fmt.Errorf("redis: %w", err)
	}
	return res, nil
}
