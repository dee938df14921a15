package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestRecoverPanics checks that a handler's panic is answered with a 500
// in the JSON of every error, logged with its stack, and that the next
// request is served.
func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	g := &Gateway{log: slog.New(slog.NewTextHandler(&logs, nil))}
	e := g.newEcho()
	e.Use(g.recoverPanics)
	e.GET("/boom", func(echo.Context) error { panic("kaboom") })
	e.GET("/ok", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	var body struct{ Error string }
	if rec.Code != http.StatusInternalServerError || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error != "internal error" {
		t.Errorf("answer %d %s, want 500 {\"error\":\"internal error\"}", rec.Code, rec.Body)
	}
	if l := logs.String(); !strings.Contains(l, "panic serving request") || !strings.Contains(l, "kaboom") || !strings.Contains(l, "recover_internal_test.go") {
		t.Errorf("log %q, want the panic with its stack", l)
	}

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ok", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("next request: %d, want 200", rec.Code)
	}
}

// TestRecoverPanicsLetsAbortThrough checks that http.ErrAbortHandler still
// reaches net/http, which aborts the response without logging a panic.
func TestRecoverPanicsLetsAbortThrough(t *testing.T) {
	g := &Gateway{log: slog.New(slog.DiscardHandler)}
	e := g.newEcho()
	e.Use(g.recoverPanics)
	e.GET("/abort", func(echo.Context) error { panic(http.ErrAbortHandler) })
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/abort", nil))
	t.Error("ServeHTTP returned, want the abort to go on")
}
