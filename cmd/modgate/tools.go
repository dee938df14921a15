package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/rules/ruletest"
	"github.com/modgate/modgate/server"
	"github.com/modgate/modgate/server/cometchat"
)

// test runs the tests: of rule files and prints one line per failing case
// and the closing "N passed, N failed".
func test(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("test", stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: modgate test RULEFILE ...") }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	sum := ruletest.Run(fs.Args(), stdout)
	fmt.Fprintln(stdout, sum)
	if sum.Failed > 0 {
		return 1
	}
	return 0
}

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// eval evaluates one request, a webhook envelope or a Moderation Custom API
// request, and explains the outcome: for the message that was handled
// unexpectedly.
func eval(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("eval", stderr)
	var ruleFiles stringsFlag
	fs.Var(&ruleFiles, "rules", "rule file (repeat for several, evaluated in order)")
	match := fs.String("match", "drop", "Moderation Custom API only: what matches, drop or tag (as ?match=)")
	onError := fs.String("on-error", "pass", "what a failing rule means: pass or drop")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: modgate eval --rules RULEFILE [--match tag] [PAYLOAD.json | -]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(ruleFiles) == 0 || fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	oe, err := engine.ParseOnError(*onError)
	if err != nil {
		fmt.Fprintln(stderr, "modgate eval:", err)
		return 2
	}
	if *match != "drop" && *match != "tag" {
		fmt.Fprintf(stderr, "modgate eval: --match must be drop or tag, got %q\n", *match)
		return 2
	}
	rs, err := rules.Load(ruleFiles)
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	var body []byte
	if src := fs.Arg(0); src == "" || src == "-" {
		body, err = io.ReadAll(stdin)
	} else {
		body, err = os.ReadFile(src)
	}
	if err != nil {
		fmt.Fprintln(stderr, "modgate eval:", err)
		return 1
	}

	moderation := bytes.Contains(body, []byte(`"contextMessages"`))
	decode := cometchat.DecodeWebhook
	if moderation {
		decode = cometchat.DecodeModeration
	}
	var env rules.Env
	if err := decode(body, &env, true); err != nil {
		var de *cometchat.DecodeError
		if errors.As(err, &de) {
			fmt.Fprintf(stderr, "modgate eval: the gateway would answer 400: %v\n", err)
		} else {
			fmt.Fprintln(stderr, "modgate eval:", err)
		}
		return 1
	}
	var res engine.Result
	engine.New(oe).Evaluate(context.Background(), rs, &env, &res)

	fmt.Fprintf(stdout, "trigger:  %s\n", env.Trigger)
	fmt.Fprintf(stdout, "verdict:  %s\n", res.Verdict)
	if len(res.Matched) == 0 {
		fmt.Fprintln(stdout, "matched:  none")
	}
	for i, r := range res.Matched {
		label := "matched: "
		if i > 0 {
			label = "         "
		}
		fmt.Fprintf(stdout, "%s %s (%s, %s) %s:%d\n", label, r.ID, r.Action, r.Mode, r.File, r.Line)
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stdout, "error:    %s: %v\n", e.Rule.ID, e.Err)
	}
	var out []byte
	if moderation {
		out = server.ModerationResponse(nil, &res, *match == "tag")
	} else {
		out = server.WebhookResponse(nil, env.Trigger, &res)
	}
	fmt.Fprintf(stdout, "response: %s\n", out)
	return 0
}
