package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modgate/modgate/engine"
	"github.com/modgate/modgate/metrics"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server/cometchat"
)

// The fixed answers of SPEC §4.
var (
	bodyPass = []byte(`{}`)
	bodyDrop = []byte(`{"action":"do_not_propagate"}`)
)

// authenticate checks CometChat's Basic auth in constant time. The
// Authorization header CometChat sends is compared as it comes, without
// decoding it, with the one the configured pair makes, in a fixed-size
// buffer, so that the time taken depends on neither header's content or
// length. Only a header written otherwise (a lower-case scheme, base64 of
// another padding, or longer than the buffer) is decoded, and its pair
// compared by hashes, which are constant-time in the lengths too. Auth is
// read at start only, see reload.go.
func (g *Gateway) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	a := g.cfg.Auth
	if a == nil {
		return next
	}
	want := credentialHash(a.Username, g.cfg.password)
	wantHeader, fixed := fixHeader(basicAuthHeader(a.Username, g.cfg.password))
	return func(c echo.Context) error {
		r := c.Request()
		if fixed {
			if h, ok := fixHeader(r.Header.Get(echo.HeaderAuthorization)); ok && h.equal(&wantHeader) {
				return next(c)
			}
		}
		user, pass, ok := r.BasicAuth()
		if ok {
			got := credentialHash(user, pass)
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				return next(c)
			}
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="modgate", charset="UTF-8"`)
		msg := "missing Basic auth credentials"
		if ok {
			msg = "wrong username or password"
		}
		return g.reject(r, "unauthorized", http.StatusUnauthorized, msg)
	}
}

// credentialHash hashes a username and password as one SHA-256: the
// username's length first, so that no other pair hashes the same input.
func credentialHash(user, pass string) [sha256.Size]byte {
	var stack [128]byte // usual credentials hash without an allocation
	buf := stack[:0]
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(user)))
	buf = append(buf, user...)
	buf = append(buf, pass...)
	return sha256.Sum256(buf)
}

// basicAuthHeader is the Authorization header of a user and password, as
// net/http's Request.SetBasicAuth writes it and as CometChat sends it.
func basicAuthHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// maxFixedHeader is the longest Authorization header compared as it comes:
// a username and password of some 180 bytes together.
const maxFixedHeader = 256

// fixedHeader is an Authorization header zero-padded to maxFixedHeader
// bytes, and its length.
type fixedHeader struct {
	b [maxFixedHeader]byte
	n int32
}

// fixHeader pads h, or reports that it is too long to.
func fixHeader(h string) (f fixedHeader, ok bool) {
	if len(h) > maxFixedHeader {
		return f, false
	}
	copy(f.b[:], h)
	f.n = int32(len(h))
	return f, true
}

// equal compares every byte of both buffers and both lengths, whatever
// they hold: a hash costs several times as much, for the same guarantee.
func (f *fixedHeader) equal(g *fixedHeader) bool {
	return subtle.ConstantTimeCompare(f.b[:], g.b[:])&subtle.ConstantTimeEq(f.n, g.n) == 1
}

// readBody reads the request body, reusing buf's memory, and refuses bodies
// over the limit: before reading them when Content-Length announces it,
// else once the limit is passed.
func (g *Gateway) readBody(r *http.Request, buf []byte) ([]byte, error) {
	limit := g.cfg.Limits.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, g.tooLarge(r)
	}
	if n := int(r.ContentLength); n >= 0 {
		// The usual case, the length announced: one read into the pooled
		// buffer, without a growing buffer or a limiting reader.
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, g.reject(r, "bad_request", http.StatusBadRequest, "cannot read body: "+err.Error())
		}
		return buf, nil
	}
	b := bytes.NewBuffer(buf[:0])
	if _, err := b.ReadFrom(io.LimitReader(r.Body, limit+1)); err != nil {
		return nil, g.reject(r, "bad_request", http.StatusBadRequest, "cannot read body: "+err.Error())
	}
	if int64(b.Len()) > limit {
		return nil, g.tooLarge(r)
	}
	return b.Bytes(), nil
}

func (g *Gateway) tooLarge(r *http.Request) error {
	return g.reject(r, "too_large", http.StatusRequestEntityTooLarge,
		"body is larger than limits.max_body_bytes ("+strconv.FormatInt(g.cfg.Limits.MaxBodyBytes, 10)+" bytes)")
}

func (g *Gateway) badRequest(r *http.Request, err error) error {
	return g.reject(r, "bad_request", http.StatusBadRequest, err.Error())
}

// maxLoggedError bounds the error text a rejection's log line carries:
// the message the client got, which may quote a little of its body.
const maxLoggedError = 200

// reject counts a request refused for reason (one of
// metrics.RejectReasons) and logs it, at most once a second per reason,
// with the remote address and never the body: the alerts' runbooks send
// operators to the log to find who sends them. It returns the client's
// answer.
func (g *Gateway) reject(r *http.Request, reason string, status int, msg string) error {
	g.metrics.Rejected(reason)
	if i := slices.Index(metrics.RejectReasons, reason); i >= 0 && i < len(g.rejectLog) && g.rejectLog[i].allow() {
		logged := msg
		if len(logged) > maxLoggedError {
			logged = strings.ToValidUTF8(logged[:maxLoggedError], "") + "…"
		}
		g.log.Warn("request rejected", "reason", reason, "status", status, "path", r.URL.Path,
			"remote", r.RemoteAddr, "error", logged)
	}
	return echo.NewHTTPError(status, msg)
}

// decodeFunc is one of the cometchat decoders.
type decodeFunc func(body []byte, env *rules.Env, withPayload bool) error

// evaluate is the per-message path shared by both endpoints: read, decode,
// evaluate, count. The outcome is left in w.
func (g *Gateway) evaluate(c echo.Context, w *work, decode decodeFunc) error {
	body, err := g.readBody(c.Request(), w.body)
	if err != nil {
		return err
	}
	w.body = body
	l := g.live.Load()
	start := time.Now()
	if err := decode(body, &w.env, l.rules.NeedsPayload); err != nil {
		return g.badRequest(c.Request(), err)
	}
	l.engine.Evaluate(c.Request().Context(), l.rules, &w.env, &w.res)
	took := time.Since(start)
	g.record(l, &w.env, &w.res, took)
	return nil
}

// record counts one evaluated message and logs the rules that failed.
func (g *Gateway) record(l *live, env *rules.Env, res *engine.Result, took time.Duration) {
	g.metrics.Trigger(env.Trigger).Observe(int(res.Verdict), took)
	if g.decisions != nil {
		g.decisions.record(env, res, took)
	}
	if g.recent != nil {
		g.recent.record(env, res)
	}
	if res.Stopped != nil {
		g.stopped(env, res)
	}
	for _, r := range res.Matched {
		l.counters.Match(r.Index)
	}
	for _, r := range res.Strikes {
		l.counters.Strike(r.Index)
	}
	for _, e := range res.Errors {
		l.counters.Error(e.Rule.Index)
		// A rule failing on every message must not flood the log: one line
		// per rule per second is enough to see it.
		now := time.Now().UnixNano()
		last := &l.errLogged[e.Rule.Index]
		if prev := last.Load(); now-prev >= int64(time.Second) && last.CompareAndSwap(prev, now) {
			// The error can quote values of the message, so it is only
			// logged at debug level; modgate eval shows it too.
			g.log.Warn("rule failed at run time", "rule", e.Rule.ID, "file", e.Rule.File, "line", e.Rule.Line,
				"trigger", env.Trigger)
			g.log.Debug("rule failure detail", "rule", e.Rule.ID, "err", e.Err)
		}
	}
}

// stopped counts and logs an evaluation that did not run every rule: it
// passed limits.evaluation_timeout, or the client went away. The log names
// the rule that was running, at most once a second.
func (g *Gateway) stopped(env *rules.Env, res *engine.Result) {
	attrs := []any{"trigger", env.Trigger}
	if r := res.StoppedAt; r != nil {
		attrs = append(attrs, "rule", r.ID, "file", r.File, "line", r.Line)
	}
	if !errors.Is(res.Stopped, context.DeadlineExceeded) {
		g.log.Debug("client went away during evaluation", attrs...)
		return
	}
	g.metrics.EvaluationTimedOut()
	if g.timeoutLog.allow() {
		attrs = append(attrs, "timeout", time.Duration(g.cfg.Limits.EvaluationTimeout).String(), "verdict", res.Verdict.String())
		g.log.Warn("evaluation timed out", attrs...)
	}
}

func (g *Gateway) handleWebhook(c echo.Context) error {
	w := g.work.get()
	defer g.work.put(w)
	if err := g.evaluate(c, w, cometchat.DecodeWebhook); err != nil {
		return err
	}
	w.out = WebhookResponse(w.out[:0], w.env.Trigger, &w.res)
	return answer(c, w.out)
}

// jsonContentType is the Content-Type of every answer, one slice for all
// of them: net/http only reads it, and Header.Set would allocate one per
// answer.
var jsonContentType = []string{echo.MIMEApplicationJSON}

// answer writes a verdict's body with status 200.
func answer(c echo.Context, body []byte) error {
	w := c.Response()
	w.Header()[echo.HeaderContentType] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// WebhookResponse appends the answer to a webhook (SPEC §4) to dst. Only
// before_message can still stop or change a message; every other trigger is
// answered {}.
func WebhookResponse(dst []byte, trigger string, res *engine.Result) []byte {
	if trigger != "before_message" {
		return append(dst, bodyPass...)
	}
	switch res.Verdict {
	case engine.Drop:
		return append(dst, bodyDrop...)
	case engine.Tag:
		return appendTagBody(dst, res)
	}
	return append(dst, bodyPass...)
}

// appendTagBody writes {"tags":[...], <inject keys>...}. Inject values are
// arbitrary expression results; one that cannot be JSON (NaN, a function)
// becomes null rather than failing the answer.
func appendTagBody(dst []byte, res *engine.Result) []byte {
	dst = append(dst, `{"tags":[`...)
	for i, t := range res.Tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSON(dst, t)
	}
	dst = append(dst, ']')
	for _, f := range res.Fields {
		dst = append(dst, ',')
		dst = appendJSON(dst, f.Key)
		dst = append(dst, ':')
		dst = appendJSON(dst, f.Value)
	}
	return append(dst, '}')
}

func appendJSON(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

func (g *Gateway) handleModeration(c echo.Context) error {
	w := g.work.get()
	defer g.work.put(w)
	matchTag, err := parseMatch(c)
	if err != nil {
		return g.reject(c.Request(), "bad_request", http.StatusBadRequest, err.Error())
	}
	if err := g.evaluate(c, w, cometchat.DecodeModeration); err != nil {
		return err
	}
	w.out = ModerationResponse(w.out[:0], &w.res, matchTag)
	return answer(c, w.out)
}

// ModerationResponse appends the answer to a Moderation Custom API request
// (SPEC §9) to dst: a drop matches, and so does a tag when matchTag is set;
// reason names the deciding rules and confidence is the highest of theirs.
func ModerationResponse(dst []byte, res *engine.Result, matchTag bool) []byte {
	matched := res.Verdict == engine.Drop || (matchTag && res.Verdict == engine.Tag)
	if !matched {
		return append(dst, `{"isMatchingCondition":false,"confidence":0,"reason":""}`...)
	}
	confidence := 0.0
	reason := make([]byte, 0, 64)
	for i, r := range res.Deciding {
		if i > 0 {
			reason = append(reason, ", "...)
		}
		reason = append(reason, r.ID...)
		confidence = max(confidence, r.Confidence)
	}
	dst = append(dst, `{"isMatchingCondition":true,"confidence":`...)
	dst = strconv.AppendFloat(dst, confidence, 'g', -1, 64)
	dst = append(dst, `,"reason":`...)
	dst = appendJSON(dst, string(reason))
	return append(dst, '}')
}

// parseMatch reads the Custom API's ?match= (SPEC §9): whether a tag
// verdict matches too.
func parseMatch(c echo.Context) (matchTag bool, err error) {
	switch m := c.QueryParam("match"); m {
	case "", "drop":
		return false, nil
	case "tag":
		return true, nil
	default:
		return false, fmt.Errorf("match must be drop or tag, got %q", m)
	}
}
