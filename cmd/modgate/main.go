// Command modgate is a rule-driven moderation gateway for CometChat.
//
//	modgate serve   [--config config.yaml]
//	modgate check   [--config config.yaml] [RULEFILE ...]
//	modgate test    RULEFILE ...
//	modgate eval    --rules RULEFILE [--match tag] [PAYLOAD.json | -]
//	modgate version
//
// Everything but flags, signals and printing lives in the packages it calls.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = ""

// hupSignals receives SIGHUP from the moment the process starts, before
// main runs: SIGHUP's default action ends the process, and a start that
// loads a large list takes seconds, during which a reload signal (a
// ConfigMap watcher, logrotate, an impatient operator) would kill it
// without a word. A SIGHUP that arrives while serve starts is kept and
// handled, as a reload, once the gateway runs.
var hupSignals = notifyHUP()

func notifyHUP() chan os.Signal {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `modgate: a rule-driven moderation gateway for CometChat

Usage:
  modgate serve   [--config config.yaml]                 run the gateway
  modgate check   [--config config.yaml] [RULEFILE ...]  validate the config and rule files
  modgate test    RULEFILE ...                           run the tests: of rule files
  modgate eval    --rules RULEFILE [PAYLOAD.json | -]    evaluate one request and explain the verdict
  modgate version                                        print the version

Run "modgate COMMAND -h" for a command's flags.
`

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr, getenv)
	case "check":
		return check(args[1:], stdout, stderr, getenv)
	case "test":
		return test(args[1:], stdout, stderr)
	case "eval":
		return eval(args[1:], os.Stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "modgate %s (%s)\n", buildVersion(), runtime.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "modgate: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// buildVersion is the stamped version, else the module version or VCS
// revision the binary was built from.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("modgate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// printErrors prints each part of a joined error on its own line.
func printErrors(w io.Writer, err error) {
	for _, e := range rules.Errors(err) {
		fmt.Fprintln(w, e)
	}
}

func serve(args []string, stderr io.Writer, getenv func(string) string) int {
	fs := newFlags("serve", stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := server.LoadConfig(*configPath, getenv)
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	logger := cfg.NewLogger(stderr)
	tuneRuntime(getenv, logger)
	g, err := server.New(cfg, server.Options{Logger: logger, Registry: prometheus.NewRegistry(), Version: buildVersion(), Getenv: getenv})
	if err != nil {
		fmt.Fprintln(stderr, "modgate: not starting, the rules are invalid:")
		printErrors(stderr, err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		for {
			select {
			case <-hupSignals:
				logger.Info("reloading on SIGHUP")
				_, _ = g.Reload() // Reload logs its outcome
			case <-ctx.Done():
				return
			}
		}
	}()

	if err := g.Run(ctx); err != nil {
		logger.Error("modgate stopped", "err", err)
		return 1
	}
	return 0
}

// check validates rule files, or the config and every rule file it lists,
// and prints every problem.
func check(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := newFlags("check", stderr)
	configPath := fs.String("config", "config.yaml", "configuration file (checked when no RULEFILE is given)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		cfg, err := server.LoadConfig(*configPath, getenv)
		if err != nil {
			printErrors(stderr, err)
			return 1
		}
		if files, err = cfg.RuleFiles(); err != nil {
			printErrors(stderr, err)
			return 1
		}
	}
	rs, err := rules.Load(files)
	if err != nil {
		printErrors(stderr, err)
		n := len(rules.Errors(err))
		fmt.Fprintf(stderr, "%d %s\n", n, plural(n, "error"))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d %s, %d %s (%d disabled), %d %s\n",
		len(rs.Files), plural(len(rs.Files), "file"), len(rs.Rules), plural(len(rs.Rules), "rule"),
		rs.Disabled, rs.Lists, plural(rs.Lists, "list"))
	return 0
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
