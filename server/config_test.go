package server_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate/server"
)

func TestParseConfig(t *testing.T) {
	env := func(vars ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(vars); i += 2 {
			m[vars[i]] = vars[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name   string
		config string
		getenv func(string) string
		errs   []string // each must appear in the error
		check  func(t *testing.T, c *server.Config)
	}{
		{
			name:   "state defaults to memory",
			config: "rules: [r.yaml]\n",
			getenv: env(),
			check: func(t *testing.T, c *server.Config) {
				if c.State.Backend != "memory" || time.Duration(c.State.Timeout) != 50*time.Millisecond {
					t.Errorf("state: %+v", c.State)
				}
			},
		},
		{
			name:   "state redis from the environment",
			config: "rules: [r.yaml]\nstate: {backend: redis, redis: {url_env: MODGATE_REDIS_URL}, timeout: 20ms}\n",
			getenv: env("MODGATE_REDIS_URL", "redis://:secret@10.0.0.5:6379/2"),
			check: func(t *testing.T, c *server.Config) {
				if c.State.RedisURL() != "redis://:secret@10.0.0.5:6379/2" || time.Duration(c.State.Timeout) != 20*time.Millisecond {
					t.Errorf("state: %+v", c.State)
				}
			},
		},
		{
			name:   "state redis with its variable unset",
			config: "rules: [r.yaml]\nstate: {backend: redis, redis: {url_env: MODGATE_REDIS_URL}}\n",
			getenv: env(),
			errs:   []string{"state.redis.url_env: the variable MODGATE_REDIS_URL is unset or empty"},
		},
		{
			name:   "state: unknown backend",
			config: "rules: [r.yaml]\nstate: {backend: etcd}\n",
			getenv: env(),
			errs:   []string{`state.backend must be memory or redis, got "etcd"`},
		},
		{
			name:   "state redis without a URL",
			config: "rules: [r.yaml]\nstate: {backend: redis}\n",
			getenv: env(),
			errs:   []string{"state.redis: backend redis needs a Redis URL: set MODGATE_REDIS_URL"},
		},
		{
			name:   "state redis takes MODGATE_REDIS_URL when the config names no URL",
			config: "rules: [r.yaml]\nstate: {backend: redis}\n",
			getenv: env("MODGATE_REDIS_URL", "redis://r:6379/0"),
			check: func(t *testing.T, c *server.Config) {
				if c.State.RedisURL() != "redis://r:6379/0" {
					t.Errorf("redis URL %q", c.State.RedisURL())
				}
			},
		},
		{
			name:   "state redis URL that is not one, without quoting its password",
			config: "rules: [r.yaml]\nstate: {backend: redis, redis: {url: \"http://:hunter2@x:1\"}}\n",
			getenv: env(),
			errs:   []string{"state.redis: not a Redis URL", "invalid URL scheme"},
		},
		{
			name:   "state: unknown key",
			config: "rules: [r.yaml]\nstate: {backend: memory, ttl: 5s}\n",
			getenv: env(),
			errs:   []string{"field ttl not found"},
		},
		{
			name:   "defaults",
			config: "rules: [r.yaml]\n",
			getenv: env(),
			check: func(t *testing.T, c *server.Config) {
				if c.Listen != ":8080" || c.AdminListen != "127.0.0.1:9090" || c.AdminAuth != nil || c.AdminPprof || c.Limits.MaxBodyBytes != 1<<20 || c.OnError != "pass" ||
					time.Duration(c.Timeouts.Shutdown) != 10*time.Second || !c.Reload.Watching() ||
					time.Duration(c.Reload.Debounce) != 250*time.Millisecond || c.Log.Level != "info" || c.DecisionLog.Enabled {
					t.Errorf("defaults: %+v", c)
				}
				if len(c.Warnings) != 0 {
					t.Errorf("warnings: %q", c.Warnings)
				}
			},
		},
		{
			name:   "environment overrides listeners and password",
			config: "rules: [r.yaml]\nlisten: ':1'\nauth: {username: u, password: file-secret}\n",
			getenv: env("MODGATE_LISTEN", "127.0.0.1:8081", "MODGATE_ADMIN_LISTEN", "127.0.0.1:9091", "MODGATE_WEBHOOK_PASSWORD", "env-secret"),
			check: func(t *testing.T, c *server.Config) {
				if c.Listen != "127.0.0.1:8081" || c.AdminListen != "127.0.0.1:9091" {
					t.Errorf("listen %q, admin %q", c.Listen, c.AdminListen)
				}
			},
		},
		{
			name:   "a password variable without an auth block is a warning",
			config: "rules: [r.yaml]\n",
			getenv: env("MODGATE_WEBHOOK_PASSWORD", "x"),
			check: func(t *testing.T, c *server.Config) {
				if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "no auth block") {
					t.Errorf("warnings: %q", c.Warnings)
				}
			},
		},
		{
			name:   "unknown keys, each with its line",
			config: "rules: [r.yaml]\nlisten: ':1'\nlimts: {max_body_bytes: 1}\ntimeouts: {shutdown: 1s, drain: 2s}\n",
			getenv: env(),
			errs:   []string{"config.yaml:3: field limts not found", "config.yaml:4: field drain not found"},
		},
		{
			name:   "an unset password variable names the variable",
			config: "rules: [r.yaml]\nauth: {username: u, password_env: MY_PW}\n",
			getenv: env(),
			errs:   []string{"the password variable MY_PW is unset or empty: set it"},
		},
		{
			name:   "a missing password file",
			config: "rules: [r.yaml]\nauth: {username: u, password_file: nope.txt}\n",
			getenv: env(),
			errs:   []string{"cannot read the password file", "nope.txt"},
		},
		{
			name:   "two password sources",
			config: "rules: [r.yaml]\nauth: {username: u, password: a, password_env: B}\n",
			getenv: env(),
			errs:   []string{"set only one of password, password_env and password_file"},
		},
		{
			name:   "every value problem at once",
			config: "auth: {password: x}\non_error: explode\nlog: {level: loud, format: xml}\nlimits: {max_body_bytes: -1}\n",
			getenv: env(),
			errs: []string{"rules: list at least one rule file", "auth.username must be set", "on_error must be pass or drop",
				"log.level", "log.format must be json or text", "limits.max_body_bytes must be positive"},
		},
		{
			name:   "an admin listener open to other hosts without admin_auth is a warning",
			config: "rules: [r.yaml]\nadmin_listen: ':9090'\n",
			getenv: env(),
			check: func(t *testing.T, c *server.Config) {
				if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "has no admin_auth") {
					t.Errorf("warnings: %q", c.Warnings)
				}
			},
		},
		{
			name:   "admin_auth on a wide admin listener, and pprof",
			config: "rules: [r.yaml]\nadmin_listen: ':9090'\nadmin_pprof: true\nadmin_auth: {username: mod, password_env: ADMIN_PW}\n",
			getenv: env("ADMIN_PW", "s3cret"),
			check: func(t *testing.T, c *server.Config) {
				if c.AdminAuth == nil || c.AdminAuth.Username != "mod" || !c.AdminPprof || len(c.Warnings) != 0 {
					t.Errorf("admin: %+v, pprof %v, warnings %q", c.AdminAuth, c.AdminPprof, c.Warnings)
				}
			},
		},
		{
			name:   "an admin_auth password that resolves empty stops the gateway",
			config: "rules: [r.yaml]\nadmin_auth: {username: mod, password_env: ADMIN_PW}\n",
			getenv: env(),
			errs:   []string{"admin_auth: the password variable ADMIN_PW is unset or empty"},
		},
		{
			name:   "MODGATE_WEBHOOK_PASSWORD is not the admin password",
			config: "rules: [r.yaml]\nadmin_auth: {username: mod}\n",
			getenv: env("MODGATE_WEBHOOK_PASSWORD", "webhook-secret"),
			errs:   []string{"admin_auth: no password: set one of admin_auth.password, admin_auth.password_env, admin_auth.password_file"},
		},
		{
			name:   "admin_auth needs a username and one password source",
			config: "rules: [r.yaml]\nadmin_auth: {password: a, password_file: b}\n",
			getenv: env(),
			errs:   []string{"admin_auth.username must be set", "admin_auth: set only one of password, password_env and password_file"},
		},
		{
			name:   "an empty admin password file",
			config: "rules: [r.yaml]\nadmin_auth: {username: mod, password_file: /dev/null}\n",
			getenv: env(),
			errs:   []string{"admin_auth: the password file /dev/null is empty"},
		},
		{
			name:   "a bad duration",
			config: "rules: [r.yaml]\ntimeouts: {read: soon}\n",
			getenv: env(),
			errs:   []string{`"soon" is not a duration`},
		},
		{
			name:   "not YAML",
			config: "rules: [r.yaml\n",
			getenv: env(),
			errs:   []string{"config.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			c, err := server.ParseConfig(path, []byte(tt.config), tt.getenv)
			if len(tt.errs) > 0 {
				if err == nil {
					t.Fatalf("parsed, want errors %q", tt.errs)
				}
				for _, want := range tt.errs {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q quotes a password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			tt.check(t, c)
		})
	}
}
