// Package server is modgate's HTTP front: the CometChat adapters (envelopes
// in, verdict JSON out), Basic auth, body limits, and the admin endpoints
// (/metrics, /healthz, /readyz, /-/reload, and the moderators' console at /
// with its API under /api/v1). It owns the live rule set and
// swaps it atomically on reload.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/engine/state"
	"github.com/modgate/modgate/metrics"
	"github.com/modgate/modgate/rules"
)

// Options are what a Gateway needs besides its configuration.
type Options struct {
	Logger *slog.Logger
	// Registry receives the gateway's collectors and is served on /metrics.
	Registry *prometheus.Registry
	// Version is reported by modgate_build_info.
	Version string
	// Getenv reads the environment when a reload reads the config file
	// again; os.Getenv when nil.
	Getenv func(string) string
	// RecentDecisions is how many decisions the console keeps in memory:
	// DefaultRecentDecisions when 0, none when negative.
	RecentDecisions int
}

// Gateway is a running modgate: the live rule set, the evaluator, metrics
// and both HTTP handlers.
type Gateway struct {
	cfg     *Config
	log     *slog.Logger
	metrics *metrics.Metrics
	reg     *prometheus.Registry
	getenv  func(string) string

	live     atomic.Pointer[live]
	reloadMu sync.Mutex // one reload at a time; guards fingerprint
	// fingerprint hashes the files the last reload attempt read, so that a
	// watcher event that changed nothing does not reload.
	fingerprint string
	lastConfig  *Config // the config the last reload read, for watching
	watcher     *rules.Watcher
	work        workPool // per-request scratch space

	// store is the state store, kept across reloads so counts survive
	// them.
	store *state.Guard

	public, admin *echo.Echo
	decisions     *decisionLog // nil when the decision log is off
	shuttingDown  atomic.Bool  // /readyz answers 503 from SIGTERM on

	// The console's (console.go).
	version     string
	started     time.Time
	recent      *recentDecisions // nil when Options.RecentDecisions < 0
	rates       *rateHistory
	lastReload  atomic.Pointer[reloadStatus]
	lastSuccess atomic.Pointer[time.Time]

	// timeoutLog and rejectLog rate-limit the log lines of evaluation
	// timeouts and of rejected requests.
	timeoutLog logLimiter
	rejectLog  [3]logLimiter // indexed like metrics.RejectReasons
}

// live is everything that changes together on reload. Once stored it is
// only read (its log rate limiter aside): a request loads it once and
// finishes on it, even if a reload swaps in another meanwhile.
type live struct {
	rules    *rules.RuleSet
	engine   *engine.Engine // on_error can change on reload
	counters *metrics.RuleCounters
	// errLogged rate-limits error logs per rule (unix nanoseconds of the
	// last one).
	errLogged []atomic.Int64
}

// work is the per-request scratch space, pooled so that the hot path does
// not allocate a fresh environment and result for every message.
type work struct {
	env  rules.Env
	res  engine.Result
	body []byte
	out  []byte
}

// workPoolSize is how many idle works the pool keeps: more than the
// requests a busy gateway has in flight at once, so that a request rarely
// builds a new one.
const workPoolSize = 256

// maxPooledBody is the largest body buffer an idle work keeps. A work that
// served a larger message is dropped, body, decoded strings and all, so
// that one burst of large messages does not stay pinned in memory.
const maxPooledBody = 16 << 10

// workPool keeps idle works. It is not a sync.Pool: that empties itself at
// every garbage collection, which on a gateway with a small heap comes
// every few milliseconds under load, and each request after it built a new
// environment, result, deadline timer and buffers. A bounded free list
// keeps them; at most workPoolSize × maxPooledBody of buffers stay idle.
type workPool chan *work

func newWorkPool(size int) workPool { return make(workPool, size) }

func (p workPool) get() *work {
	select {
	case w := <-p:
		return w
	default:
		return new(work)
	}
}

func (p workPool) put(w *work) {
	if cap(w.body) > maxPooledBody || cap(w.out) > maxPooledBody {
		return
	}
	select {
	case p <- w:
	default:
	}
}

// New builds a Gateway and loads its rules. It fails, with every problem,
// when any rule file is invalid: modgate never starts without rules.
func New(cfg *Config, opts Options) (*Gateway, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	g := &Gateway{
		cfg:     cfg,
		log:     opts.Logger,
		metrics: metrics.New(opts.Registry, opts.Version),
		reg:     opts.Registry,
		getenv:  opts.Getenv,

		version: opts.Version,
		started: time.Now(),
		rates:   newRateHistory(),
	}
	switch n := opts.RecentDecisions; {
	case n == 0:
		g.recent = newRecentDecisions(DefaultRecentDecisions, cfg.DecisionLog.IncludeText)
	case n > 0:
		g.recent = newRecentDecisions(n, cfg.DecisionLog.IncludeText)
	}
	g.work = newWorkPool(workPoolSize)
	if cfg.DecisionLog.Enabled {
		var err error
		if g.decisions, err = openDecisionLog(cfg.DecisionLog); err != nil {
			return nil, err
		}
	}
	store, err := openStore(cfg.State, g.metrics, g.log)
	if err != nil {
		return nil, err
	}
	g.store = store
	if cfg.Auth == nil {
		g.log.Warn("no auth configured: anyone who can reach the webhook listener can call it", "listen", cfg.Listen)
	}
	for _, w := range cfg.Warnings {
		g.log.Warn(w)
	}
	if _, err := g.Reload(); err != nil {
		g.store.Close()
		return nil, err
	}
	g.rates.sample(g.live.Load())
	g.public = g.newPublic()
	g.admin = g.newAdmin()
	return g, nil
}

// openStore builds the state store the config asks for. A Redis that
// cannot be reached is no reason not to start: it is logged, stateful rules
// fail open meanwhile, and the store connects once Redis is back.
func openStore(cfg StateConfig, m *metrics.Metrics, log *slog.Logger) (*state.Guard, error) {
	var b state.Backend
	switch cfg.Backend {
	case "redis":
		r, err := state.NewRedis(state.RedisOptions{URL: cfg.RedisURL(), Timeout: time.Duration(cfg.Timeout)})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := r.Connect(ctx); err != nil {
			log.Warn("state store unreachable at start: stateful rules fail open until it answers",
				"backend", "redis", "err", err.Error())
		} else {
			log.Info("state store connected", "backend", "redis")
		}
		cancel()
		b = r
	default:
		b = state.NewMemory(cfg.MaxKeys, nil)
	}
	m.SetStateBackend(b.Backend())
	return state.NewGuard(b, state.GuardOptions{Observer: m, Logger: log}), nil
}

// StateBackend names the state store backend: memory or redis.
func (g *Gateway) StateBackend() string { return g.store.Backend() }

// Handler serves the public listener: the webhook endpoints.
func (g *Gateway) Handler() http.Handler { return g.public }

// AdminHandler serves the admin listener.
func (g *Gateway) AdminHandler() http.Handler { return g.admin }

func (g *Gateway) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = g.errorHandler
	return e
}

// recoverPanics answers a request whose handler panicked with a 500 and
// logs the panic with its stack (Echo's Recover middleware, which lets
// http.ErrAbortHandler through to net/http).
func (g *Gateway) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			g.log.Error("panic serving request", "path", c.Path(), "err", err, "stack", string(stack))
			return echo.NewHTTPError(http.StatusInternalServerError, "internal error")
		},
	})(next)
}

func (g *Gateway) newPublic() *echo.Echo {
	e := g.newEcho()
	// The handlers are wrapped here, once, not given to Echo as
	// middleware: Echo builds the middleware chain anew for every request,
	// a closure per middleware, and authenticate's set-up hashes the
	// credentials.
	e.POST("/webhooks/cometchat", g.recoverPanics(g.authenticate(g.handleWebhook)))
	e.POST("/moderation/cometchat", g.recoverPanics(g.authenticate(g.handleModeration)))
	return e
}

func (g *Gateway) newAdmin() *echo.Echo {
	e := g.newEcho()
	e.Use(g.recoverPanics)
	if g.cfg.AdminAuth != nil {
		e.Use(g.adminAuthenticate)
	}
	metricsHandler := promhttp.HandlerFor(g.reg, promhttp.HandlerOpts{Registry: g.reg, EnableOpenMetrics: true})
	e.GET("/metrics", echo.WrapHandler(metricsHandler))
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", func(c echo.Context) error {
		if g.live.Load() == nil {
			return c.String(http.StatusServiceUnavailable, "no rule set loaded\n")
		}
		if g.shuttingDown.Load() {
			return c.String(http.StatusServiceUnavailable, "shutting down\n")
		}
		return c.String(http.StatusOK, "ok\n")
	})
	e.POST("/-/reload", g.handleReload)
	g.routeConsole(e)
	// Profiles, as Prometheus serves them, only when asked for: a CPU
	// profile or a trace costs the process while it runs.
	if g.cfg.AdminPprof {
		e.GET("/debug/pprof/*", echo.WrapHandler(http.HandlerFunc(pprof.Index)))
		e.GET("/debug/pprof/cmdline", echo.WrapHandler(http.HandlerFunc(pprof.Cmdline)))
		e.GET("/debug/pprof/profile", echo.WrapHandler(http.HandlerFunc(pprof.Profile)))
		e.GET("/debug/pprof/symbol", echo.WrapHandler(http.HandlerFunc(pprof.Symbol)))
		e.GET("/debug/pprof/trace", echo.WrapHandler(http.HandlerFunc(pprof.Trace)))
	}
	return e
}

func (g *Gateway) handleReload(c echo.Context) error {
	// A reload can outlast timeouts.write (a large list, or another reload
	// to wait for); the server would then drop the connection before the
	// answer, and curl shows an empty reply. This answer has no write
	// deadline; the reload itself is bounded by what it reads.
	if err := http.NewResponseController(c.Response()).SetWriteDeadline(time.Time{}); err != nil {
		g.log.Debug("cannot lift the write deadline of a reload", "err", err)
	}
	s, err := g.Reload()
	if err != nil {
		errs := rules.Errors(err)
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"status": "failure", "errors": msgs,
			"message": "the previous rule set is still being served",
		})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"status": "success", "files": s.Files, "rules": s.Rules, "disabled": s.Disabled,
		"lists": s.Lists, "took": s.Took.String(),
	})
}

// errorHandler answers every error as JSON {"error": "..."}. Only an
// *echo.HTTPError's message reaches the client; anything else is logged and
// answered with a generic message.
func (g *Gateway) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		msg = fmt.Sprint(he.Message)
	} else {
		g.log.Error("request failed", "path", c.Path(), "err", err)
	}
	if err := c.JSON(code, map[string]string{"error": msg}); err != nil {
		g.log.Debug("write error response", "err", err)
	}
}

// Run listens on the configured addresses and serves until ctx is done, then
// shuts down gracefully.
func (g *Gateway) Run(ctx context.Context) error {
	pub, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	adm, err := net.Listen("tcp", g.cfg.AdminListen)
	if err != nil {
		pub.Close()
		return fmt.Errorf("admin listen: %w", err)
	}
	return g.Serve(ctx, pub, adm)
}

// Serve serves on the given listeners until ctx is done or a server fails.
// On ctx done it stops accepting, lets in-flight requests finish within the
// configured shutdown timeout, and returns nil.
func (g *Gateway) Serve(ctx context.Context, public, admin net.Listener) error {
	t := g.cfg.Timeouts
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: time.Duration(t.ReadHeader),
			ReadTimeout:       time.Duration(t.Read),
			WriteTimeout:      time.Duration(t.Write),
			IdleTimeout:       time.Duration(t.Idle),
			ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		}
	}
	if g.cfg.Reload.Watching() {
		if err := g.startWatching(ctx); err != nil {
			g.log.Warn("file watching is off; reload with SIGHUP or POST /-/reload", "err", err)
		}
	}
	sampling := make(chan struct{})
	defer close(sampling)
	go g.sampleRates(sampling)
	servers := []*http.Server{newServer(g.drain(g.public)), newServer(g.admin)}
	listeners := []net.Listener{public, admin}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(listeners[i]) }()
	}
	g.log.Info("modgate listening", "listen", public.Addr().String(), "admin_listen", admin.Addr().String())

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	g.log.Info("shutting down", "delay", time.Duration(t.ShutdownDelay).String(), "timeout", time.Duration(t.Shutdown).String())
	g.shuttingDown.Store(true)
	if err == nil && t.ShutdownDelay > 0 {
		// Drain as Envoy does: keep serving, keep-alive connections
		// included, while the load balancer notices /readyz failing; each
		// answer meanwhile says Connection: close (see drain), so clients
		// move to a new connection, elsewhere. Disabling keep-alives here
		// instead would close idle connections at once, under the feet of
		// requests already on their way.
		time.Sleep(time.Duration(t.ShutdownDelay))
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(t.Shutdown))
	defer cancel()
	// Shutdown stops accepting, then waits for every request in flight. The
	// public server goes first; meanwhile the admin server still answers,
	// /readyz with 503, and /metrics counts the last requests.
	for _, s := range servers {
		s.SetKeepAlivesEnabled(false)
		if serr := s.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", serr)
		}
	}
	if cerr := g.store.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close state store: %w", cerr)
	}
	if g.decisions != nil {
		if cerr := g.decisions.close(); cerr != nil && err == nil {
			err = fmt.Errorf("close decision log: %w", cerr)
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// drain wraps the public handler: once shutdown has begun, every answer
// carries Connection: close, and net/http closes the connection after it.
func (g *Gateway) drain(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.shuttingDown.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// startWatching starts the file watcher that reloads the rules on change.
// It stops when ctx is done.
func (g *Gateway) startWatching(ctx context.Context) error {
	w, err := rules.NewWatcher(time.Duration(g.cfg.Reload.Debounce))
	if err != nil {
		return err
	}
	if f := g.cfg.DecisionLog.file(); g.cfg.DecisionLog.Enabled && f != "" {
		// The decision log may sit beside the config; its every line
		// would otherwise count as a change.
		w.Ignore(f)
	}
	g.reloadMu.Lock()
	g.watcher = w
	g.watch()
	g.reloadMu.Unlock()
	g.log.Info("watching rule files", "dirs", w.Dirs(), "debounce", time.Duration(g.cfg.Reload.Debounce).String())
	go w.Run(ctx, g.ReloadIfChanged, func(err error) { g.log.Warn("file watcher error", "err", err) })
	return nil
}
