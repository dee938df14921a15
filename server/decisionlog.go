package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/rules"
)

// DecisionLogConfig configures the decision log: one JSON line per message
// that was not simply passed (a drop, a tag) and per shadow-mode match, for
// auditing what the gateway decided and why.
type DecisionLogConfig struct {
	Enabled bool `yaml:"enabled"`
	// Path is a file to append to, or "stdout" (the default) or "stderr".
	Path string `yaml:"path"`
	// IncludeText adds the message text to each line. Off by default: the
	// decision log holds user ids but no message content unless asked.
	IncludeText bool `yaml:"include_text"`
}

// decisionLog writes decisions as JSON lines through slog, which serializes
// concurrent writes and encodes safely.
type decisionLog struct {
	log         *slog.Logger
	includeText bool
	close       func() error
}

// file returns the file the decision log writes to, or "" when it writes
// to stdout or stderr.
func (c DecisionLogConfig) file() string {
	switch c.Path {
	case "", "stdout", "-", "stderr":
		return ""
	}
	return c.Path
}

func openDecisionLog(c DecisionLogConfig) (*decisionLog, error) {
	var w io.Writer
	closeFn := func() error { return nil }
	switch c.Path {
	case "", "stdout", "-":
		w = os.Stdout
	case "stderr":
		w = os.Stderr
	default:
		f, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("decision_log: %w", err)
		}
		w, closeFn = f, f.Close
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		// Each line is a decision; level and msg would only repeat that.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return &decisionLog{log: slog.New(h), includeText: c.IncludeText, close: closeFn}, nil
}

// decisionRule is one matching rule of a logged decision.
type decisionRule struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Mode   string `json:"mode"`
}

// record logs the decision for one message if it is worth a line: any
// verdict but pass, or any shadow match.
func (d *decisionLog) record(env *rules.Env, res *engine.Result, took time.Duration) {
	shadow := false
	for _, r := range res.Matched {
		shadow = shadow || r.Mode == rules.ModeShadow
	}
	if res.Verdict == engine.Pass && !shadow {
		return
	}
	matched := make([]decisionRule, len(res.Matched))
	for i, r := range res.Matched {
		matched[i] = decisionRule{ID: r.ID, Action: string(r.Action), Mode: string(r.Mode)}
	}
	id := env.Message.ID
	if id == "" {
		id = env.Message.MUID
	}
	attrs := []slog.Attr{
		slog.String("trigger", env.Trigger),
		slog.String("app_id", env.AppID),
		slog.String("message_id", id),
		slog.String("sender", env.Sender.UID),
		slog.String("receiver", env.Receiver.UID),
		slog.String("receiver_type", env.Receiver.EntityType),
		slog.String("verdict", res.Verdict.String()),
		slog.Any("rules", matched),
		slog.Float64("evaluation_seconds", took.Seconds()),
	}
	if len(res.Tags) > 0 {
		attrs = append(attrs, slog.Any("tags", res.Tags))
	}
	if d.includeText {
		attrs = append(attrs, slog.String("text", env.Text))
	}
	d.log.LogAttrs(context.Background(), slog.LevelInfo, "decision", attrs...)
}
