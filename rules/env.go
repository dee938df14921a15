package rules

import "slices"

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
	// that twenty rules calling normalize(text) normalize it once.
	cache []cached
	// budget is this evaluation's allowance of time and memory (budget.go).
	budget budget
	timer  *deadlineTimer // built on first use, reused
	// loop holds the elements the fast path's loops are at, by depth
	// (fast.go).
	loop [maxLoopDepth]string
	// shared holds the results of conditions that several rules share
	// (Rule.Shared), valid while their gen is the evaluation's.
	shared []sharedResult
	gen    uint32
	// state holds the results of the rule set's stateful calls for this
	// message (SetState), indexed like RuleSet.State.
	state []StateValue
}

// cached is one memoized call of a text function.
type cached struct {
	fn  string
	in  string
	out any
}

// Reset empties e for the next message. It keeps the memory an adapter
// reusing environments would otherwise allocate again for every message:
// the message's slices, emptied and cleared so that they do not keep an
// earlier body alive, and the evaluation's scratch space (memo cache,
// shared results, deadline timer).
func (e *Env) Reset() {
	cache, shared, gen, timer := e.cache, e.shared, e.gen, e.timer
	clear(cache)
	*e = Env{
		Message: Message{
			Attachments: reuse(e.Message.Attachments),
			Mentions:    reuse(e.Message.Mentions),
			Tags:        reuse(e.Message.Tags),
		},
		Context: reuse(e.Context),
		cache:   cache[:0],
		shared:  shared,
		gen:     gen, // with shared: its results are told apart by gen
		timer:   timer,
	}
}

// reuse empties s for reuse, clearing what it held.
func reuse[T any](s []T) []T {
	clear(s[:cap(s)])
	return s[:0]
}

// ResetCache forgets the memoized text function results. The engine calls
// it before each evaluation, since adapters reuse environments.
func (e *Env) ResetCache() {
	clear(e.cache)
	e.cache = e.cache[:0]
	e.state = nil
	e.gen++
	if e.gen == 0 { // wrapped: results of 2³² evaluations ago look current
		clear(e.shared)
		e.gen = 1
	}
}

// sharedResult is a shared condition's result for one evaluation.
type sharedResult struct {
	gen     uint32
	matched bool
	err     error
}

// Match evaluates r's condition on the fast path (r.Fast must be set),
// once per message for the rules sharing it (r.Shared).
func (e *Env) Match(r *Rule) (bool, error) {
	if r.Shared == 0 {
		return r.Fast(e)
	}
	slot := r.Shared - 1
	if slot >= len(e.shared) {
		e.shared = append(e.shared, make([]sharedResult, slot+1-len(e.shared))...)
	}
	if s := &e.shared[slot]; s.gen == e.gen {
		return s.matched, s.err
	}
	matched, err := r.Fast(e)
	e.shared[slot] = sharedResult{gen: e.gen, matched: matched, err: err}
	return matched, err
}

// memo returns fn(in), computed once per message.
func (e *Env) memo(name string, in string, fn func(string) any) any {
	for i := range e.cache {
		if c := &e.cache[i]; c.fn == name && c.in == in {
			return c.out
		}
	}
	out := fn(in)
	e.cache = append(e.cache, cached{fn: name, in: in, out: out})
	return out
}

// forget drops the memoized result of fn(in), for a call that failed.
func (e *Env) forget(name, in string) {
	e.cache = slices.DeleteFunc(e.cache, func(c cached) bool { return c.fn == name && c.in == in })
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
