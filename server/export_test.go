package server

import "time"

// SetRateEvery makes the console sample rule counters every d, so that a
// test sees a recent rate without waiting minutes. Call it before Serve.
func SetRateEvery(t interface{ Cleanup(func()) }, d time.Duration) {
	old := rateEvery
	rateEvery = d
	t.Cleanup(func() { rateEvery = old })
}
