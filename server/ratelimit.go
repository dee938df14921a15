package server

import (
	"sync/atomic"
	"time"
)

// logLimiter lets one log line through per second: enough to see a problem,
// too few to flood the log when every request has it.
type logLimiter struct {
	last atomic.Int64 // unix nanoseconds of the last line let through
}

func (l *logLimiter) allow() bool {
	now := time.Now().UnixNano()
	prev := l.last.Load()
	return now-prev >= int64(time.Second) && l.last.CompareAndSwap(prev, now)
}
