package rules

import (
	"sync"

	"github.com/modgate/modgate/rules/textfn"
)

// Env is what a rule expression sees: the environment of SPEC §6, built once
// per message by the adapters in server/cometchat and shared by every rule.
// Expressions are type-checked against it at load, so a misspelt field
// (sender.rol) is a load error, not a run-time surprise. The yaml names are
// the same, for the messages of rule tests.
type Env struct {
	Trigger  string   `expr:"trigger" yaml:"trigger"`
	AppID    string   `expr:"appId" yaml:"appId"`
	Webhook  string   `expr:"webhook" yaml:"webhook"`
	Message  Message  `expr:"message" yaml:"message"`
	Sender   User     `expr:"sender" yaml:"sender"`
	Receiver Receiver `expr:"receiver" yaml:"receiver"`
	Text     string   `expr:"text" yaml:"text"`
	// Lists is never filled in: the compiler resolves lists.NAME to the
	// rule file's list at load. The field gives the expressions its type.
	Lists map[string][]string `expr:"lists" yaml:"-"`
	// Payload is the whole envelope as generic JSON. Decoding it costs a
	// second pass over the body, so adapters fill it only when a loaded
	// expression refers to payload (RuleSet.NeedsPayload).
	Payload map[string]any `expr:"payload" yaml:"-"`
	// Context holds the earlier messages of the conversation, oldest first,
	// as the Moderation Custom API sends them (empty for webhooks).
	Context []ContextMessage `expr:"context" yaml:"context"`

	// cache holds the results of the text functions for this message, so
	// that twenty rules calling normalize(text) normalize it once (memo.go).
	cache memoCache
	// budget is this evaluation's allowance of time and memory (budget.go).
	budget budget
	// loop holds the elements the fast path's loops are at, by depth
	// (fast.go).
	loop [maxLoopDepth]string
	// scratch holds the buffers of one evaluation, pooled (scratch).
	scratch *scratch
	// shared holds the results of conditions that several rules share
	// (Rule.Shared), valid while their gen is the evaluation's.
	shared []sharedResult
	gen    uint32
	// state holds the results of the rule set's stateful calls for this
	// message (SetState), indexed like RuleSet.State.
	state []StateValue
}

// Reset empties e for the next message, as the adapters do before decoding
// into a reused environment: every field of the message is zeroed, and the
// message's slices are emptied and cleared, keeping their memory, so that
// they do not keep an earlier body alive. The evaluation's own state is
// not the message's: EndEvaluation has given it to the scratch pool.
// TestResetZeroesTheMessage checks that no field of the message is left
// out.
func (e *Env) Reset() {
	e.Trigger, e.AppID, e.Webhook, e.Text = "", "", "", ""
	e.Message = Message{
		Attachments: reuse(e.Message.Attachments),
		Mentions:    reuse(e.Message.Mentions),
		Tags:        reuse(e.Message.Tags),
	}
	e.Sender, e.Receiver = User{}, Receiver{}
	e.Lists, e.Payload = nil, nil
	e.Context = reuse(e.Context)
	e.budget = budget{}
	e.loop = [maxLoopDepth]string{}
	e.cache.reset()
	e.state = nil
}

// reuse empties s for reuse, clearing what it held.
func reuse[T any](s []T) []T {
	clear(s[:cap(s)])
	return s[:0]
}

// ResetCache forgets the memoized text function results. The engine calls
// it before each evaluation, since adapters reuse environments.
func (e *Env) ResetCache() {
	// The environment takes back the tables EndEvaluation left in the
	// scratch, so that they need not grow again, whether it is the same
	// environment reused or a new one.
	if sc := e.scr(); e.shared == nil && sc.shared != nil {
		e.shared, e.gen, sc.shared = sc.shared, sc.gen, nil
	}
	if e.cache.capacity() == 0 {
		e.cache, e.scratch.cache = e.scratch.cache, memoCache{}
	}
	e.cache.reset()
	e.state = nil
	e.gen++
	if e.gen == 0 { // wrapped: results of 2³² evaluations ago look current
		clear(e.shared)
		e.gen = 1
	}
}

// scratch is what an evaluation reuses from the last one: the deadline
// timer and the fast path's buffers. It is kept in a pool, not in the
// environment, because many environments live for one message only
// (modgate eval, rule tests, the console's evaluations) and no pending
// timer should be left behind with each; an evaluation takes one on first
// use and EndEvaluation gives it back. Nothing in it outlives the
// evaluation.
type scratch struct {
	timer *deadlineTimer // built on first use
	// words reads the words of a text for the fast path's scans of
	// words(x) (fast.go).
	words textfn.WordScanner
	// caseBuf holds a short ASCII text mapped to lower or upper case by
	// the fast path's loops (asciiCaseMap).
	caseBuf []byte
	// found holds which entries of a list a text contains (substrings).
	found []uint64
	// cache, shared and gen are the environment's tables, kept here
	// between evaluations (EndEvaluation, ResetCache).
	cache  memoCache
	shared []sharedResult
	gen    uint32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// scr returns the evaluation's scratch, taking one from the pool if need
// be.
func (e *Env) scr() *scratch {
	if e.scratch == nil {
		e.scratch = scratchPool.Get().(*scratch)
	}
	return e.scratch
}

// sharedResult is a shared condition's result for one evaluation.
type sharedResult struct {
	gen     uint32
	matched bool
	err     error
}

// Message is the message being moderated.
type Message struct {
	ID             string         `expr:"id" yaml:"id"`
	MUID           string         `expr:"muid" yaml:"muid"`
	ConversationID string         `expr:"conversationId" yaml:"conversationId"`
	Category       string         `expr:"category" yaml:"category"`
	Type           string         `expr:"type" yaml:"type"`
	ReceiverType   string         `expr:"receiverType" yaml:"receiverType"`
	Receiver       string         `expr:"receiver" yaml:"receiver"`
	Sender         string         `expr:"sender" yaml:"sender"`
	ParentID       string         `expr:"parentId" yaml:"parentId"`
	Text           string         `expr:"text" yaml:"text"`
	Attachments    []Attachment   `expr:"attachments" yaml:"attachments"`
	Metadata       map[string]any `expr:"metadata" yaml:"metadata"`
	CustomData     map[string]any `expr:"customData" yaml:"customData"`
	Mentions       []string       `expr:"mentions" yaml:"mentions"`
	Tags           []string       `expr:"tags" yaml:"tags"`
	SentAt         int            `expr:"sentAt" yaml:"sentAt"`
	UpdatedAt      int            `expr:"updatedAt" yaml:"updatedAt"`
	// Action is what an action message reports, such as "edited" for an
	// edit (message_edited): Text is then the edited message's new text.
	Action string `expr:"action" yaml:"action"`
}

// Attachment is one file attached to a message.
type Attachment struct {
	URL       string `expr:"url" yaml:"url"`
	Name      string `expr:"name" yaml:"name"`
	MimeType  string `expr:"mimeType" yaml:"mimeType"`
	Extension string `expr:"extension" yaml:"extension"`
	Size      int    `expr:"size" yaml:"size"`
}

// User is the sender of a message.
type User struct {
	UID      string         `expr:"uid" yaml:"uid"`
	Name     string         `expr:"name" yaml:"name"`
	Avatar   string         `expr:"avatar" yaml:"avatar"`
	Role     string         `expr:"role" yaml:"role"`
	Status   string         `expr:"status" yaml:"status"`
	Metadata map[string]any `expr:"metadata" yaml:"metadata"`
}

// Receiver is the user or group a message is sent to. For a group, UID holds
// its guid and GroupType its type (public, private, password).
type Receiver struct {
	UID          string         `expr:"uid" yaml:"uid"`
	Name         string         `expr:"name" yaml:"name"`
	Avatar       string         `expr:"avatar" yaml:"avatar"`
	Role         string         `expr:"role" yaml:"role"`
	Status       string         `expr:"status" yaml:"status"`
	Metadata     map[string]any `expr:"metadata" yaml:"metadata"`
	EntityType   string         `expr:"entityType" yaml:"entityType"`
	GroupType    string         `expr:"groupType" yaml:"groupType"`
	MembersCount int            `expr:"membersCount" yaml:"membersCount"`
}

// ContextMessage is an earlier message of the conversation.
type ContextMessage struct {
	Sender string `expr:"sender" yaml:"sender"`
	Text   string `expr:"text" yaml:"text"`
}
