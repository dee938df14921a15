package rules

// Env is what a rule expression sees: the environment of SPEC §6, built once
// per message by the adapters in server/cometchat and shared by every rule.
// Expressions are type-checked against it at load, so a misspelt field
// (sender.rol) is a load error, not a run-time surprise.
type Env struct {
	Trigger  string              `expr:"trigger"`
	AppID    string              `expr:"appId"`
	Webhook  string              `expr:"webhook"`
	Message  Message             `expr:"message"`
	Sender   User                `expr:"sender"`
	Receiver Receiver            `expr:"receiver"`
	Text     string              `expr:"text"`
	Lists    map[string][]string `expr:"lists"`
	// Payload is the whole envelope as generic JSON. Decoding it costs a
	// second pass over the body, so adapters fill it only when a loaded
	// expression refers to payload (RuleSet.NeedsPayload).
	Payload map[string]any `expr:"payload"`
	// Context holds the earlier messages of the conversation, oldest first,
	// as the Moderation Custom API sends them (empty for webhooks).
	Context []ContextMessage `expr:"context"`
}

// Message is the message being moderated.
type Message struct {
	ID             string         `expr:"id"`
	MUID           string         `expr:"muid"`
	ConversationID string         `expr:"conversationId"`
	Category       string         `expr:"category"`
	Type           string         `expr:"type"`
	ReceiverType   string         `expr:"receiverType"`
	Receiver       string         `expr:"receiver"`
	Sender         string         `expr:"sender"`
	ParentID       string         `expr:"parentId"`
	Text           string         `expr:"text"`
	Attachments    []Attachment   `expr:"attachments"`
	Metadata       map[string]any `expr:"metadata"`
	CustomData     map[string]any `expr:"customData"`
	Mentions       []string       `expr:"mentions"`
	Tags           []string       `expr:"tags"`
	SentAt         int            `expr:"sentAt"`
	UpdatedAt      int            `expr:"updatedAt"`
}

// Attachment is one file attached to a message.
type Attachment struct {
	URL       string `expr:"url"`
	Name      string `expr:"name"`
	MimeType  string `expr:"mimeType"`
	Extension string `expr:"extension"`
	Size      int    `expr:"size"`
}

// User is the sender of a message.
type User struct {
	UID      string         `expr:"uid"`
	Name     string         `expr:"name"`
	Avatar   string         `expr:"avatar"`
	Role     string         `expr:"role"`
	Status   string         `expr:"status"`
	Metadata map[string]any `expr:"metadata"`
}

// Receiver is the user or group a message is sent to. For a group, UID holds
// its guid and GroupType its type (public, private, password).
type Receiver struct {
	UID          string         `expr:"uid"`
	Name         string         `expr:"name"`
	Avatar       string         `expr:"avatar"`
	Role         string         `expr:"role"`
	Status       string         `expr:"status"`
	Metadata     map[string]any `expr:"metadata"`
	EntityType   string         `expr:"entityType"`
	GroupType    string         `expr:"groupType"`
	MembersCount int            `expr:"membersCount"`
}

// ContextMessage is an earlier message of the conversation.
type ContextMessage struct {
	Sender string `expr:"sender"`
	Text   string `expr:"text"`
}
