package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// moderationRules exercise the Moderation Custom API answers of SPEC §9.
const moderationRules = `
lists:
  banned: [scam]
rules:
  - id: webhook-only
    triggers: [before_message]
    when: "true"
    action: drop
  - id: drop-banned
    when: hasWord(text, lists.banned)
    action: drop
    confidence: 0.9
  - id: repeat-spam
    description: the sender repeats one of their own recent messages
    when: any(context, {.sender == sender.uid and lower(.text) == lower(text)})
    action: drop
    confidence: 0.7
  - id: tag-phone
    when: text matches "\\d{3}-\\d{4}"
    action: tag
    tags: [phone]
    confidence: 0.6
  - id: tag-meet
    when: text contains "meet"
    action: tag
    tags: [meeting]
    confidence: 0.8
  - id: shadow-all
    when: "true"
    action: drop
    mode: shadow
`

// moderation builds a Custom API request: earlier messages, then the one to
// moderate.
func moderation(t *testing.T, sender, text string, context ...[2]string) string {
	t.Helper()
	var msgs []any
	for _, c := range context {
		msgs = append(msgs, map[string]any{c[0]: c[1]})
	}
	msgs = append(msgs, map[string]any{sender: map[string]any{
		"sender": sender, "receiver": "uid-2", "receiverType": "user", "category": "message", "type": "text",
		"data": map[string]any{"text": text},
	}})
	b, err := json.Marshal(map[string]any{"contextMessages": msgs})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestModerationAnswers(t *testing.T) {
	g := newGateway(t, moderationRules, "")
	notMatching := `{"isMatchingCondition":false,"confidence":0,"reason":""}`
	tests := []struct {
		name string
		path string
		body string
		want string
	}{
		{"a clean message does not match", "/moderation/cometchat",
			moderation(t, "uid-1", "hello"), notMatching},
		{"a drop matches with the rule's confidence", "/moderation/cometchat",
			moderation(t, "uid-1", "what a scam"), `{"isMatchingCondition":true,"confidence":0.9,"reason":"drop-banned"}`},
		{"a tag does not match by default", "/moderation/cometchat",
			moderation(t, "uid-1", "call 555-0100"), notMatching},
		{"with match=tag a tag matches, naming every deciding rule and the highest confidence", "/moderation/cometchat?match=tag",
			moderation(t, "uid-1", "meet me, 555-0100"), `{"isMatchingCondition":true,"confidence":0.8,"reason":"tag-phone, tag-meet"}`},
		{"match=drop is the default", "/moderation/cometchat?match=drop",
			moderation(t, "uid-1", "meet me"), notMatching},
		{"the context makes a repeated message match", "/moderation/cometchat",
			moderation(t, "uid-1", "Buy my course", [2]string{"uid-1", "buy my course"}, [2]string{"uid-2", "no thanks"}),
			`{"isMatchingCondition":true,"confidence":0.7,"reason":"repeat-spam"}`},
		{"another sender's message in the context does not", "/moderation/cometchat",
			moderation(t, "uid-1", "buy my course", [2]string{"uid-2", "buy my course"}), notMatching},
		{"CometChat's documented example", "/moderation/cometchat?match=tag",
			fixture(t, "moderation_docs_example.json"), `{"isMatchingCondition":true,"confidence":0.8,"reason":"tag-phone, tag-meet"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.post(t, tt.path, tt.body, true)
			if r.status != http.StatusOK || r.body != tt.want {
				t.Errorf("got %d %s\nwant 200 %s", r.status, r.body, tt.want)
			}
		})
	}
	if v := counterValue(t, g.reg, "modgate_messages_total", map[string]string{"trigger": "moderation_api", "verdict": "drop"}); v != 2 {
		t.Errorf("messages_total{moderation_api, drop} = %v, want 2", v)
	}
	if v := counterValue(t, g.reg, "modgate_messages_total", map[string]string{"trigger": "moderation_api", "verdict": "tag"}); v != 4 {
		t.Errorf("messages_total{moderation_api, tag} = %v, want 4", v)
	}
	if v := counterValue(t, g.reg, "modgate_rule_matches_total", map[string]string{"rule": "webhook-only"}); v != 0 {
		t.Errorf("a before_message-only rule matched %v Custom API requests", v)
	}
	if v := counterValue(t, g.reg, "modgate_rule_matches_total", map[string]string{"rule": "shadow-all"}); v != 6 {
		// Drops stop evaluation before the last rule.
		t.Errorf("shadow-all matched %v times, want 6", v)
	}
	if n := histogramCount(t, g.reg, "modgate_evaluation_duration_seconds", map[string]string{"trigger": "moderation_api"}); n != 8 {
		t.Errorf("evaluation durations observed for moderation_api: %d, want 8", n)
	}
}

func TestModerationBadRequests(t *testing.T) {
	g := newGateway(t, moderationRules, "limits:\n  max_body_bytes: 4096\n")
	tests := []struct {
		name     string
		path     string
		body     string
		auth     bool
		status   int
		errorHas string
	}{
		{"no auth", "/moderation/cometchat", moderation(t, "uid-1", "hi"), false, 401, "Basic auth"},
		{"too large", "/moderation/cometchat", moderation(t, "uid-1", strings.Repeat("a", 5000)), true, 413, "max_body_bytes"},
		{"not JSON", "/moderation/cometchat", "hello", true, 400, "not valid JSON"},
		{"an array", "/moderation/cometchat", "[]", true, 400, "must be a JSON object"},
		{"no contextMessages", "/moderation/cometchat", `{"messages":[]}`, true, 400, "contextMessages is missing"},
		{"contextMessages not an array", "/moderation/cometchat", `{"contextMessages":{}}`, true, 400, "contextMessages must be an array"},
		{"no message object", "/moderation/cometchat", `{"contextMessages":[{"uid-1":"hi"},{"uid-2":"hello"}]}`, true, 400, "no message object"},
		{"an element that is not an object", "/moderation/cometchat", `{"contextMessages":["hi"]}`, true, 400, "contextMessages[0]"},
		{"an unknown match", "/moderation/cometchat?match=all", moderation(t, "uid-1", "hi"), true, 400, `match must be drop or tag, got "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.post(t, tt.path, tt.body, tt.auth)
			var body struct{ Error string }
			_ = json.Unmarshal([]byte(r.body), &body)
			if r.status != tt.status || !strings.Contains(body.Error, tt.errorHas) {
				t.Errorf("got %d %s, want %d and an error containing %q", r.status, r.body, tt.status, tt.errorHas)
			}
		})
	}
}
