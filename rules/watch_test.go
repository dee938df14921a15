package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modgate/modgate/rules"
)

// startWatcher watches dir and counts notifications.
func startWatcher(t *testing.T, dir string, debounce time.Duration, ignore ...string) *atomic.Int64 {
	t.Helper()
	w, err := rules.NewWatcher(debounce)
	if err != nil {
		t.Fatal(err)
	}
	w.Ignore(ignore...)
	if err := w.Watch([]string{filepath.Join(dir, "rules.yaml")}); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, func() { n.Add(1) }, func(err error) { t.Errorf("watcher: %v", err) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return &n
}

// busy appends to path every few milliseconds until the test ends, as a
// log file beside the rules does under traffic.
func busy(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				_, _ = f.WriteString("a line\n")
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done; f.Close() })
}

// TestWatcherMaxWait: before the fix, a file written more often than the
// debounce restarted it forever, and no change was reported until it fell
// quiet.
func TestWatcherMaxWait(t *testing.T) {
	dir := t.TempDir()
	n := startWatcher(t, dir, 40*time.Millisecond)
	busy(t, filepath.Join(dir, "traffic.log"))
	deadline := time.Now().Add(2 * time.Second)
	for n.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no change reported in 2s while a file kept changing (debounce 40ms, max wait 160ms)")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWatcherIgnores: the gateway's own decision log is not a change.
func TestWatcherIgnores(t *testing.T) {
	dir := t.TempDir()
	decisions := filepath.Join(dir, "decisions.jsonl")
	n := startWatcher(t, dir, 20*time.Millisecond, decisions)
	busy(t, decisions)
	time.Sleep(300 * time.Millisecond)
	if got := n.Load(); got != 0 {
		t.Fatalf("%d notifications for writes to an ignored file", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte("rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for n.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a change to the rule file was not reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
