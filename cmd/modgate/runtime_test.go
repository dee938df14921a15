package main

import (
	"bytes"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
)

// TestTuneRuntime checks that serve raises GOGC only when the environment
// leaves it unset, and logs what the collector runs with.
func TestTuneRuntime(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
	tests := []struct {
		name string
		env  map[string]string
		want int64
	}{
		{"GOGC unset", map[string]string{"AUTOMEMLIMIT": "off"}, defaultGCPercent},
		{"GOGC set", map[string]string{"GOGC": "150", "AUTOMEMLIMIT": "off"}, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(150) // as the runtime would have read GOGC=150
			var logs bytes.Buffer
			tuneRuntime(func(k string) string { return tt.env[k] }, slog.New(slog.NewTextHandler(&logs, nil)))
			if got, _ := gcSettings(); got != tt.want {
				t.Errorf("GOGC = %d, want %d", got, tt.want)
			}
			if !strings.Contains(logs.String(), "garbage collector") {
				t.Errorf("log %q, want the collector's settings", logs.String())
			}
		})
	}
}

// TestGCSettingsOff checks that GOGC=off reads as -1, not as a huge
// percentage.
func TestGCSettingsOff(t *testing.T) {
	prev := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	if got, _ := gcSettings(); got != -1 {
		t.Errorf("GOGC = %d, want -1 for off", got)
	}
}
