package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/server"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// writeGateway writes rules.yaml and config.yaml into a new directory and
// returns the config's path.
func writeGateway(t testing.TB, ruleText, cfgText string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), ruleText)
	cfgPath := filepath.Join(dir, "config.yaml")
	writeFile(t, cfgPath, cfgText)
	return cfgPath
}

// loadGateway builds the gateway of the config at cfgPath, with its metrics
// on reg, as modgate serve does with an empty environment.
func loadGateway(t testing.TB, cfgPath string, reg *prometheus.Registry) *server.Gateway {
	t.Helper()
	cfg, err := server.LoadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	g, err := server.New(cfg, server.Options{Registry: reg, Version: "test", Logger: discardLogger()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// serve runs g on loopback listeners and returns their base URLs and a stop
// function that shuts g down and returns what Serve returned, or an error
// when it does not return in time. stop may be called from any goroutine.
func serve(t testing.TB, g *server.Gateway) (public, admin string, stop func() error) {
	t.Helper()
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, pub, adm) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("Serve did not return within 10 s of shutdown")
		}
	}
	return "http://" + pub.Addr().String(), "http://" + adm.Addr().String(), stop
}
