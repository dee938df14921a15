package server

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/metrics"
	"github.com/modgate/modgate/rules"
)

// ReloadSummary describes a successful reload.
type ReloadSummary struct {
	Files    int
	Rules    int
	Disabled int
	Lists    int
	Took     time.Duration
}

// Reload reads the configuration file again, then its rule and list files,
// and, only if all of them are valid, swaps the new rule set in. On failure
// the rule set being served does not change; the error joins every problem
// found.
//
// A reload applies the config's rules and on_error. Other keys (listeners,
// auth, limits, timeouts, logging) are read at start only; a reload that
// finds them changed says so in the log.
func (g *Gateway) Reload() (ReloadSummary, error) {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	return g.reload()
}

// ReloadIfChanged reloads when the contents of the config, rule or list
// files differ from what the last reload read. The file watcher calls it.
func (g *Gateway) ReloadIfChanged() {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	if g.currentFingerprint() == g.fingerprint {
		return
	}
	g.log.Info("rule files changed, reloading")
	_, _ = g.reload() // reload logs its outcome
}

// readConfig returns the configuration as its file says now, or the one
// the gateway started with when it did not come from a file.
func (g *Gateway) readConfig() (*Config, error) {
	if g.cfg.Path == "" {
		return g.cfg, nil
	}
	return LoadConfig(g.cfg.Path, g.getenv)
}

// currentFingerprint hashes the config file, the rule files it resolves to
// now and the list files of the rule set being served.
func (g *Gateway) currentFingerprint() string {
	var lists []string
	if l := g.live.Load(); l != nil {
		lists = l.rules.ListFiles
	}
	// The lists' hash comes last, after a newline: reload replaces it.
	return g.filesFingerprint() + "\n" + rules.Fingerprint(lists)
}

// filesFingerprint hashes the config file and the rule files it resolves
// to now.
func (g *Gateway) filesFingerprint() string {
	var paths []string
	if g.cfg.Path != "" {
		paths = append(paths, g.cfg.Path)
	}
	var problem string
	if cfg, err := g.readConfig(); err != nil {
		problem = err.Error()
	} else if files, err := cfg.RuleFiles(); err != nil {
		problem = err.Error()
	} else {
		paths = append(paths, files...)
	}
	return rules.Fingerprint(paths) + problem
}

func (g *Gateway) reload() (ReloadSummary, error) {
	start := time.Now()
	// Fingerprint before reading: a change made while loading then shows as
	// a difference next time rather than being lost.
	g.fingerprint = g.currentFingerprint()
	var servedLists []string
	if l := g.live.Load(); l != nil {
		servedLists = l.rules.ListFiles
	}
	cfg, rs, onError, err := g.load()
	if err == nil {
		err = g.refuseEmpty(rs)
	}
	g.lastConfig = cfg
	defer g.watch()
	if err != nil {
		g.noteReload(start, time.Since(start), err)
		g.metrics.ReloadFailed()
		for _, e := range rules.Errors(err) {
			g.log.Error("rule load failed", "err", e)
		}
		return ReloadSummary{}, err
	}
	if changed := restartOnly(g.cfg, cfg); len(changed) > 0 {
		g.log.Warn("config changes that take effect only after a restart", "keys", changed)
	}
	infos := make([]metrics.RuleInfo, len(rs.Rules))
	for i, r := range rs.Rules {
		infos[i] = metrics.RuleInfo{ID: r.ID, Action: string(r.Action), Mode: string(r.Mode), Strikes: r.Strike != nil}
	}
	now := time.Now()
	g.live.Store(&live{
		rules:     rs,
		engine:    engine.New(onError, engine.WithTimeout(time.Duration(g.cfg.Limits.EvaluationTimeout)), engine.WithStore(g.store)),
		counters:  g.metrics.SetRules(infos),
		errLogged: make([]atomic.Int64, len(rs.Rules)),
	})
	if !slices.Equal(servedLists, rs.ListFiles) {
		// The fingerprint taken before loading left out the list files
		// this rule set reads (all of them at start): take them in now,
		// or the first unrelated event would look like a change.
		files := g.fingerprint[:strings.LastIndexByte(g.fingerprint, '\n')]
		g.fingerprint = files + "\n" + rules.Fingerprint(rs.ListFiles)
	}
	g.metrics.ReloadSucceeded(now)
	g.noteReload(now, time.Since(start), nil)
	s := ReloadSummary{Files: len(rs.Files), Rules: len(rs.Rules), Disabled: rs.Disabled, Lists: rs.Lists, Took: time.Since(start)}
	g.log.Info("rules loaded", "files", s.Files, "rules", s.Rules, "disabled", s.Disabled, "lists", s.Lists, "took", s.Took.String())
	return s, nil
}

// refuseEmpty refuses a rule set that would stop moderation by accident:
// one with no enabled rule where rules were being served, unless every
// file says rules: [] (SPEC §12). The files that emptied it are already
// errors (an empty file is one); this catches the rest, every rule
// disabled or a glob that now matches other files.
func (g *Gateway) refuseEmpty(rs *rules.RuleSet) error {
	prev := g.live.Load()
	if prev == nil || len(prev.rules.Rules) == 0 || len(rs.Rules) > 0 || rs.EmptyOnPurpose {
		return nil
	}
	return fmt.Errorf("refusing to reload: the new rule set has no enabled rule (%d served now); write rules: [] in every rule file if no moderation is intended", len(prev.rules.Rules))
}

// load does every fallible step of a reload. cfg is the config read, or the
// previous one when it could not be read, for watching.
func (g *Gateway) load() (cfg *Config, rs *rules.RuleSet, onError engine.OnError, err error) {
	cfg, err = g.readConfig()
	if err != nil {
		return g.cfg, nil, 0, err
	}
	if onError, err = engine.ParseOnError(cfg.OnError); err != nil {
		return cfg, nil, 0, err
	}
	files, err := cfg.RuleFiles()
	if err != nil {
		return cfg, nil, 0, err
	}
	rs, err = rules.Load(files)
	return cfg, rs, onError, err
}

// restartOnly names the keys whose change in next, compared with the config
// the gateway started with, a reload cannot apply.
func restartOnly(started, next *Config) []string {
	var keys []string
	for _, k := range []struct {
		key     string
		was, is any
	}{
		{"listen", started.Listen, next.Listen},
		{"admin_listen", started.AdminListen, next.AdminListen},
		{"auth", started.Auth, next.Auth},
		{"auth password", started.password, next.password},
		{"limits", started.Limits, next.Limits},
		{"timeouts", started.Timeouts, next.Timeouts},
		{"log", started.Log, next.Log},
		{"reload", started.Reload, next.Reload},
		{"decision_log", started.DecisionLog, next.DecisionLog},
		{"admin_auth", started.AdminAuth, next.AdminAuth},
		{"admin_auth password", started.adminPassword, next.adminPassword},
		{"admin_pprof", started.AdminPprof, next.AdminPprof},
		{"state", started.State, next.State},
	} {
		if !reflect.DeepEqual(k.was, k.is) {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// watch points the file watcher, if any, at the directories of the config
// file, of the rule files and rules: patterns (where new files may appear),
// and of the list files being served.
func (g *Gateway) watch() {
	if g.watcher == nil {
		return
	}
	cfg := g.lastConfig
	paths := make([]string, 0, len(cfg.Rules)+1)
	if g.cfg.Path != "" {
		paths = append(paths, g.cfg.Path)
	}
	for _, p := range cfg.Rules {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cfg.Dir, p)
		}
		paths = append(paths, p)
	}
	if l := g.live.Load(); l != nil {
		paths = append(paths, l.rules.Files...)
		paths = append(paths, l.rules.ListFiles...)
	}
	if err := g.watcher.Watch(paths); err != nil {
		g.log.Warn("cannot watch every rule directory", "err", fmt.Sprint(err))
	}
}

// Watching reports whether the file watcher is running.
func (g *Gateway) Watching() bool {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	return g.watcher != nil
}

// RuleSet returns the rule set being served.
func (g *Gateway) RuleSet() *rules.RuleSet {
	if l := g.live.Load(); l != nil {
		return l.rules
	}
	return nil
}
