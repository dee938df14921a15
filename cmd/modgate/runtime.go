package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// defaultGCPercent is the garbage collector's GOGC under modgate serve when
// the environment sets none. A gateway keeps a few megabytes live (rules,
// lists, buffers) and allocates some kilobytes per request, so with Go's
// default of 100 it collected every few milliseconds under load, and the
// collections cost a sixth of its CPU per request (bench/run.sh). At 400
// the heap may grow to five times what is live before a collection, which
// for the usual rule sets is tens of megabytes; the memory limit below
// makes the collector work harder before a container's limit is reached.
const defaultGCPercent = 400

// memoryLimitRatio is the share of the container's memory limit that
// becomes GOMEMLIMIT when the environment sets none.
const memoryLimitRatio = 0.9

// tuneRuntime sets the garbage collector for serving: GOGC and GOMEMLIMIT,
// each only when the environment leaves it unset (GOGC, GOMEMLIMIT, and
// AUTOMEMLIMIT=off to leave the memory limit alone), and logs the outcome.
func tuneRuntime(getenv func(string) string, log *slog.Logger) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" && getenv("AUTOMEMLIMIT") != "off" {
		// Outside a container with a memory limit there is nothing to
		// read, which is no error: the limit stays off.
		if _, err := memlimit.Set(memlimit.WithProvider(memlimit.FromCgroup), memlimit.WithRatio(memoryLimitRatio)); err != nil {
			log.Debug("no container memory limit to set GOMEMLIMIT from", "err", err.Error())
		}
	}
	gogc, limit := gcSettings()
	attrs := []any{"gogc", gogc}
	if limit > 0 {
		attrs = append(attrs, "memory_limit_bytes", limit)
	}
	log.Info("garbage collector", attrs...)
}

// gcSettings reads the collector's GOGC (-1 when off) and its memory limit
// (0 when none).
func gcSettings() (gogc int64, limit int64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	gogc = int64(s[0].Value.Uint64()) // GOGC=off reads as the largest uint64, -1
	if l := s[1].Value.Uint64(); l < math.MaxInt64 {
		limit = int64(l)
	}
	return gogc, limit
}
