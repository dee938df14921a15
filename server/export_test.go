package server

import "time"

// SetRateEvery makes the console sample rule counters every d, so that a
// test sees a recent rate without waiting minutes. Call it before Serve.
func SetRateEvery(t interface{ Cleanup(func()) }, d time.Duration) {
	old := rateEvery
	rateEvery = d
	t.Cleanup(func() { rateEvery = old })
}

// FixHeader and FixedHeaderEqual expose the comparison of Authorization
// headers as they come (webhook.go).
func FixHeader(h string) (any, bool) { f, ok := fixHeader(h); return &f, ok }

func FixedHeaderEqual(a, b any) bool { return a.(*fixedHeader).equal(b.(*fixedHeader)) }
