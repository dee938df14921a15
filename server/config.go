package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/engine/state"
	"github.com/modgate/modgate/rules"
)

// Config is the gateway configuration, read from config.yaml.
type Config struct {
	// Listen is the public address: the webhook endpoints only.
	Listen string `yaml:"listen"`
	// AdminListen serves the console, its API, /metrics, /healthz, /readyz
	// and /-/reload.
	AdminListen string `yaml:"admin_listen"`
	// AdminAuth is the Basic auth of every admin endpoint but /healthz and
	// /readyz; nil means none.
	AdminAuth *AuthConfig `yaml:"admin_auth"`
	// AdminPprof serves /debug/pprof/ on the admin listener.
	AdminPprof bool `yaml:"admin_pprof"`
	// Rules are rule files or globs, relative to the config file, evaluated
	// in this order.
	Rules []string `yaml:"rules"`
	// Auth is the Basic auth CometChat sends; nil means none.
	Auth *AuthConfig `yaml:"auth"`
	// Limits bound what a request may cost.
	Limits Limits `yaml:"limits"`
	// OnError says what a rule failing at run time means: pass or drop.
	OnError string `yaml:"on_error"`
	// Timeouts of the HTTP servers.
	Timeouts Timeouts `yaml:"timeouts"`
	// Log configures the process log.
	Log LogConfig `yaml:"log"`
	// Reload configures how rule changes are picked up.
	Reload ReloadConfig `yaml:"reload"`
	// DecisionLog configures the audit log of decisions.
	DecisionLog DecisionLogConfig `yaml:"decision_log"`
	// State configures the store behind rate, distinct and strikes.
	State StateConfig `yaml:"state"`

	// Path is the file the configuration was read from; Dir its directory,
	// against which relative rule paths resolve.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`
	// password is the resolved auth password; adminPassword admin_auth's.
	password      string
	adminPassword string
	// Warnings are problems that do not stop the gateway, for the log.
	Warnings []string `yaml:"-"`
}

// AuthConfig is a Basic auth block: auth (the webhook's) or admin_auth.
// Exactly one of Password, PasswordEnv and PasswordFile gives the password.
type AuthConfig struct {
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
}

// Limits bound a request.
type Limits struct {
	// MaxBodyBytes is the largest body accepted; larger ones get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// EvaluationTimeout bounds the evaluation of one message (default
	// 500ms, well inside CometChat's 2 s): past it the message gets the
	// on_error answer and modgate_evaluation_timeouts_total counts it.
	EvaluationTimeout Duration `yaml:"evaluation_timeout"`
}

// Timeouts of both listeners. Evaluation itself takes microseconds; these
// guard against slow or stuck clients.
type Timeouts struct {
	ReadHeader Duration `yaml:"read_header"`
	Read       Duration `yaml:"read"`
	Write      Duration `yaml:"write"`
	Idle       Duration `yaml:"idle"`
	// ShutdownDelay is how long the gateway keeps serving after SIGTERM or
	// SIGINT, with /readyz failing, so a load balancer can stop sending it
	// traffic before the listener closes (Kubernetes: a few seconds).
	ShutdownDelay Duration `yaml:"shutdown_delay"`
	// Shutdown bounds how long in-flight requests may take to finish once
	// the listener is closed.
	Shutdown Duration `yaml:"shutdown"`
}

// LogConfig configures the process log.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or text.
	Format string `yaml:"format"`
}

// ReloadConfig says how the gateway notices changed rule files. SIGHUP and
// POST /-/reload always work.
type ReloadConfig struct {
	// Watch reloads when a rule or list file changes (default true).
	Watch *bool `yaml:"watch"`
	// Debounce is the quiet time after the last change before reloading,
	// so an editor's write-rename-chmod burst makes one reload.
	Debounce Duration `yaml:"debounce"`
}

// Watching reports whether file watching is on.
func (r ReloadConfig) Watching() bool { return r.Watch == nil || *r.Watch }

// StateConfig is the state: block (SPEC §10).
type StateConfig struct {
	// Backend is memory (default: one replica) or redis (shared by
	// replicas).
	Backend string `yaml:"backend"`
	// Redis locates the Redis of the redis backend.
	Redis RedisConfig `yaml:"redis"`
	// Timeout is the budget for the state I/O of one message (default 50ms).
	Timeout Duration `yaml:"timeout"`
	// MaxKeys bounds the memory backend (default 1,000,000 counters).
	MaxKeys int `yaml:"max_keys"`

	redisURL string // resolved from URL or URLEnv
}

// RedisConfig gives the Redis URL, redis://[:password@]host:6379/0, in
// the config (URL) or, since it may hold a password, in an environment
// variable (URLEnv).
type RedisConfig struct {
	URL    string `yaml:"url"`
	URLEnv string `yaml:"url_env"`
}

// RedisURL is the resolved Redis URL of the redis backend.
func (s StateConfig) RedisURL() string { return s.redisURL }

// Defaults of the state: block.
const (
	DefaultStateBackend = "memory"
	DefaultStateTimeout = 50 * time.Millisecond
)

// Duration is a time.Duration written as "10s" or "250ms".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 10s, 250ms)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Defaults of the keys a config file may omit.
const (
	DefaultListen = ":8080"
	// DefaultAdminListen is loopback: the admin listener serves the
	// console, reloads and profiles, so listening wider is a choice to make
	// (with admin_auth), not a default.
	DefaultAdminListen  = "127.0.0.1:9090"
	DefaultMaxBodyBytes = 1 << 20
	// DefaultEvaluationTimeout leaves most of CometChat's 2-second budget
	// for the network and a retry.
	DefaultEvaluationTimeout = 500 * time.Millisecond
)

// Environment variables that override the config file.
const (
	EnvListen      = "MODGATE_LISTEN"
	EnvAdminListen = "MODGATE_ADMIN_LISTEN"
	EnvPassword    = "MODGATE_WEBHOOK_PASSWORD"
	// EnvRedisURL gives the Redis URL of state.backend: redis when the
	// config names neither redis.url nor redis.url_env.
	EnvRedisURL = "MODGATE_REDIS_URL"
)

// LoadConfig reads the configuration at path, applies defaults and the
// environment overrides (getenv is os.Getenv outside tests), and validates
// it. It returns every problem found, joined.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data, getenv)
}

var yamlLinePrefix = regexp.MustCompile(`^\s*(?:yaml: )?line (\d+): `)

// ParseConfig is LoadConfig on data already read.
func ParseConfig(path string, data []byte, getenv func(string) string) (*Config, error) {
	cfg := &Config{Path: path, Dir: filepath.Dir(path)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			errs := make([]error, len(te.Errors))
			for i, msg := range te.Errors {
				errs[i] = configError(path, msg)
			}
			return nil, errors.Join(errs...)
		}
		return nil, configError(path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	cfg.applyDefaults(getenv)
	if err := cfg.validate(getenv); err != nil {
		return nil, err
	}
	return cfg, nil
}

// configError turns yaml's "line N: msg" into "FILE:N: msg".
func configError(path, msg string) error {
	if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return fmt.Errorf("%s:%d: %s", path, line, msg[len(m[0]):])
	}
	return fmt.Errorf("%s: %s", path, msg)
}

func (c *Config) applyDefaults(getenv func(string) string) {
	if v := getenv(EnvListen); v != "" {
		c.Listen = v
	}
	if v := getenv(EnvAdminListen); v != "" {
		c.AdminListen = v
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.AdminListen == "" {
		c.AdminListen = DefaultAdminListen
	}
	if c.Limits.MaxBodyBytes == 0 {
		c.Limits.MaxBodyBytes = DefaultMaxBodyBytes
	}
	setDefault(&c.Limits.EvaluationTimeout, DefaultEvaluationTimeout)
	if c.OnError == "" {
		c.OnError = "pass"
	}
	t := &c.Timeouts
	setDefault(&t.ReadHeader, 5*time.Second)
	setDefault(&t.Read, 10*time.Second)
	setDefault(&t.Write, 10*time.Second)
	setDefault(&t.Idle, 120*time.Second)
	setDefault(&t.Shutdown, 10*time.Second)
	setDefault(&c.Reload.Debounce, 250*time.Millisecond)
	setDefault(&c.State.Timeout, DefaultStateTimeout)
	if c.State.Backend == "" {
		c.State.Backend = DefaultStateBackend
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
}

func setDefault(d *Duration, v time.Duration) {
	if *d == 0 {
		*d = Duration(v)
	}
}

func (c *Config) validate(getenv func(string) string) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", c.Path, fmt.Sprintf(format, args...)))
	}
	if len(c.Rules) == 0 {
		bad("rules: list at least one rule file")
	}
	if c.Limits.MaxBodyBytes < 0 {
		bad("limits.max_body_bytes must be positive")
	}
	if _, err := engine.ParseOnError(c.OnError); err != nil {
		bad("%v", err)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level: %v", err)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format must be json or text, got %q", c.Log.Format)
	}
	if c.Listen == c.AdminListen && !strings.HasSuffix(c.Listen, ":0") {
		bad("listen and admin_listen must differ (both are %q)", c.Listen)
	}
	errs = append(errs, c.State.validate(c.Path, getenv)...)
	if c.Auth == nil && getenv(EnvPassword) != "" {
		c.Warnings = append(c.Warnings, EnvPassword+" is set but the config has no auth block, so it is ignored and the webhook is not authenticated")
	}
	if a := c.Auth; a != nil {
		if a.Username == "" {
			bad("auth.username must be set")
		}
		if pw, err := a.resolve(c.Dir, getenv); err != nil {
			bad("auth: %v", err)
		} else {
			c.password = pw
		}
	}
	if a := c.AdminAuth; a != nil {
		if a.Username == "" {
			bad("admin_auth.username must be set")
		}
		if pw, err := a.resolveSource("admin_auth", "", c.Dir, getenv); err != nil {
			bad("admin_auth: %v", err)
		} else {
			c.adminPassword = pw
		}
	} else if !isLoopback(c.AdminListen) {
		c.Warnings = append(c.Warnings, "admin_listen "+c.AdminListen+" is reachable from other hosts and has no admin_auth: anyone who can reach it can read recent decisions, try messages and reload the rules")
	}
	return errors.Join(errs...)
}

func (s *StateConfig) validate(path string, getenv func(string) string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: state.%s", path, fmt.Sprintf(format, args...)))
	}
	if s.MaxKeys < 0 {
		bad("max_keys must not be negative")
	}
	r := s.Redis
	switch s.Backend {
	case "memory":
		if r.URL != "" || r.URLEnv != "" {
			bad("redis is set but backend is memory: set backend: redis to use it")
		}
	case "redis":
		switch {
		case r.URL != "" && r.URLEnv != "":
			bad("redis: set url or url_env, not both")
		case r.URL != "":
			s.redisURL = r.URL
		case r.URLEnv != "":
			if s.redisURL = getenv(r.URLEnv); s.redisURL == "" {
				bad("redis.url_env: the variable %s is unset or empty: set it (e.g. %s=redis://localhost:6379/0)", r.URLEnv, r.URLEnv)
			}
		default:
			// No redis block: the conventional variable.
			if s.redisURL = getenv(EnvRedisURL); s.redisURL == "" {
				bad("redis: backend redis needs a Redis URL: set %s (e.g. %s=redis://localhost:6379/0), or redis.url_env or redis.url", EnvRedisURL, EnvRedisURL)
			}
		}
		if s.redisURL != "" {
			if _, err := state.NewRedis(state.RedisOptions{URL: s.redisURL}); err != nil {
				// The URL may hold a password: say what is wrong, not what it is.
				bad("redis: not a Redis URL (want redis://[:password@]host:port/db): %v", errors.Unwrap(err))
			}
		}
	default:
		bad("backend must be memory or redis, got %q", s.Backend)
	}
	return errs
}

// resolve finds the password. MODGATE_WEBHOOK_PASSWORD wins over the file;
// otherwise exactly one source must be configured, and an empty password is
// an error: a forgotten secret must never open the gateway.
func (a *AuthConfig) resolve(dir string, getenv func(string) string) (string, error) {
	if v := getenv(EnvPassword); v != "" {
		return v, nil
	}
	return a.resolveSource("auth", EnvPassword, dir, getenv)
}

// resolveSource reads the password from the one source the block at key
// names. envHint, when set, is a variable that would also have given it.
func (a *AuthConfig) resolveSource(key, envHint, dir string, getenv func(string) string) (string, error) {
	n := 0
	for _, s := range []string{a.Password, a.PasswordEnv, a.PasswordFile} {
		if s != "" {
			n++
		}
	}
	switch {
	case n == 0 && envHint != "":
		return "", fmt.Errorf("no password: set %s, or one of %s.password, %[2]s.password_env, %[2]s.password_file", envHint, key)
	case n == 0:
		return "", fmt.Errorf("no password: set one of %s.password, %[1]s.password_env, %[1]s.password_file", key)
	case n > 1:
		return "", errors.New("set only one of password, password_env and password_file")
	case a.Password != "":
		return a.Password, nil
	case a.PasswordEnv != "":
		v := getenv(a.PasswordEnv)
		if v == "" {
			return "", fmt.Errorf("the password variable %s is unset or empty: set it (e.g. %s=change-me)", a.PasswordEnv, a.PasswordEnv)
		}
		return v, nil
	default:
		p := a.PasswordFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("cannot read the password file %s: %v", p, errors.Unwrap(err))
		}
		v := strings.TrimRight(string(data), "\r\n")
		if v == "" {
			return "", fmt.Errorf("the password file %s is empty", p)
		}
		return v, nil
	}
}

// isLoopback reports whether addr (host:port) listens on this host only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RuleFiles resolves the rules: entries against the config's directory.
func (c *Config) RuleFiles() ([]string, error) {
	return rules.Resolve(c.Dir, c.Rules)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// NewLogger returns the process logger the config asks for, writing to w.
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
