package cometchat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modgate/modgate/rules"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

var (
	johnPaul = rules.User{UID: "cometchat-uid-5", Name: "John Paul", Avatar: "https://cdn.example/cometchat-uid-5.png", Role: "default", Status: "online"}
	janeDoe  = rules.Receiver{UID: "cometchat-uid-4", Name: "Jane Doe", Avatar: "https://cdn.example/cometchat-uid-4.png", Role: "default", Status: "online", EntityType: "user"}
	// the legacy one-to-one message from John Paul to Jane Doe
	johnToJane = rules.Message{ConversationID: "cometchat-uid-4_user_cometchat-uid-5", Sender: "cometchat-uid-5", ReceiverType: "user", Receiver: "cometchat-uid-4", SentAt: 1586435925, UpdatedAt: 1586435925}
)

// with returns m changed by f, to write table entries as differences.
func with[T any](v T, f func(*T)) T {
	f(&v)
	return v
}

func TestDecodeWebhook(t *testing.T) {
	tests := []struct {
		file string
		want rules.Env
	}{
		{"before_message_text_user.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ConversationID: "cometchat-uid-3_user_cometchat-uid-2", Sender: "cometchat-uid-2", ReceiverType: "user", Receiver: "cometchat-uid-3",
				Category: "message", Type: "text", Text: "Are we still on for lunch tomorrow?", SentAt: 1586435925, UpdatedAt: 1586435925},
			Sender:   rules.User{UID: "cometchat-uid-2", Name: "George Alan", Avatar: "https://cdn.example/cometchat-uid-2.png", Role: "default", Status: "online"},
			Receiver: rules.Receiver{UID: "cometchat-uid-3", Name: "Nancy Grace", Avatar: "https://cdn.example/cometchat-uid-3.png", Role: "default", Status: "online", EntityType: "user"},
			Text:     "Are we still on for lunch tomorrow?",
		}},
		{"before_message_text_group.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ConversationID: "group_cometchat-guid-1", Sender: "cometchat-uid-5", ReceiverType: "group", Receiver: "cometchat-guid-1",
				Category: "message", Type: "text", Text: "Trail report: the north loop is muddy, bring boots.", SentAt: 1586435925, UpdatedAt: 1586435925},
			Sender:   johnPaul,
			Receiver: rules.Receiver{UID: "cometchat-guid-1", Name: "Cometchat-Guid-1", EntityType: "group", GroupType: "public", MembersCount: 37},
			Text:     "Trail report: the north loop is muddy, bring boots.",
		}},
		{"after_message_text_group.json", rules.Env{
			Trigger: "after_message", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ID: "1", ConversationID: "group_cometchat-guid-2", Sender: "cometchat-uid-5", ReceiverType: "group", Receiver: "cometchat-guid-2",
				Category: "message", Type: "text", Text: "Welcome to the group!", SentAt: 1586435925, UpdatedAt: 1586435925},
			Sender:   johnPaul,
			Receiver: rules.Receiver{UID: "cometchat-guid-2", Name: "Cometchat-Guid-2", EntityType: "group", GroupType: "private", MembersCount: 4},
			Text:     "Welcome to the group!",
		}},
		{"before_message_image.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.Category, m.Type = "message", "image"
				m.Attachments = []rules.Attachment{{URL: "https://data-us.cometchat.io/167ab1529/media/1712_a9f3_trail.jpeg", Name: "1712_a9f3_trail.jpeg", MimeType: "image/jpeg", Extension: "jpeg", Size: 402852}}
				m.Metadata = map[string]any{"captionLanguage": "en"}
			}),
			Sender: johnPaul, Receiver: janeDoe,
		}},
		{"before_message_custom_location.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.Category, m.Type = "custom", "location"
				m.CustomData = map[string]any{"latitude": 19.076, "longitude": 72.8777}
			}),
			Sender: johnPaul, Receiver: janeDoe,
		}},
		{"before_message_thread_reply_mentions.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.Category, m.Type, m.ParentID = "message", "text", "311"
				m.Text = "<@uid:cometchat-uid-7> agreed, see you there"
				m.Mentions = []string{"cometchat-uid-7"}
			}),
			Sender: johnPaul, Receiver: janeDoe, Text: "<@uid:cometchat-uid-7> agreed, see you there",
		}},
		{"message_sent_modern_envelope.json", rules.Env{
			Trigger: "message_sent", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.ID, m.Category, m.Type = "1", "message", "text"
				m.Text = "Modern webhooks nest the message under data.message"
			}),
			Sender: johnPaul, Receiver: janeDoe, Text: "Modern webhooks nest the message under data.message",
		}},
		{"before_message_modern_envelope.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "moderation-hook",
			Message: rules.Message{MUID: "1712345678-abc", ConversationID: "group_trail-club", Sender: "cometchat-uid-2", ReceiverType: "group", Receiver: "trail-club",
				Category: "message", Type: "text", Text: "Anyone up for the ridge \u2014 \"sunrise\" run?\nMeet at 5.",
				Tags: []string{"outdoors", "planning"}, SentAt: 1712345678, UpdatedAt: 1712345678},
			Sender:   rules.User{UID: "cometchat-uid-2", Name: "George Alan", Role: "moderator", Status: "available", Metadata: map[string]any{"tier": "gold", "karma": 12.0}},
			Receiver: rules.Receiver{UID: "trail-club", Name: "Trail Club", Avatar: "https://cdn.example/trail-club.png", EntityType: "group", GroupType: "password", MembersCount: 120},
			Text:     "Anyone up for the ridge \u2014 \"sunrise\" run?\nMeet at 5.",
		}},
		{"before_message_group_guid_receiver.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ConversationID: "group_cometchat-guid-9", Sender: "cometchat-uid-1", ReceiverType: "group", Receiver: "cometchat-guid-9",
				Category: "message", Type: "text", Text: "Read the pinned post before posting links.", SentAt: 1586435925, UpdatedAt: 1586435925},
			Sender: rules.User{UID: "cometchat-uid-1", Name: "Andrew Joseph", Role: "admin"},
			// no entityType: taken from receiverType; membersCount sent as a string
			Receiver: rules.Receiver{UID: "cometchat-guid-9", Name: "Announcements", Metadata: map[string]any{"readOnly": true}, EntityType: "group", GroupType: "public", MembersCount: 2048},
			Text:     "Read the pinned post before posting links.",
		}},
		{"before_message_thread_reply_group.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ConversationID: "group_cometchat-guid-1", Sender: "cometchat-uid-3", ReceiverType: "group", Receiver: "cometchat-guid-1",
				Category: "message", Type: "text", ParentID: "4021", Text: "<@uid:cometchat-uid-7> <@uid:cometchat-uid-8> see the thread",
				Mentions: []string{"cometchat-uid-7", "cometchat-uid-8"}, // data.mentions in order, then mentionedUsers, without repeats
				Tags:     []string{"thread"}, SentAt: 1586436000, UpdatedAt: 1586436000},
			Sender:   rules.User{UID: "cometchat-uid-3", Name: "Nancy Grace"},
			Receiver: rules.Receiver{UID: "cometchat-guid-1", Name: "Cometchat-Guid-1", EntityType: "group", GroupType: "public", MembersCount: 37},
			Text:     "<@uid:cometchat-uid-7> <@uid:cometchat-uid-8> see the thread",
		}},
		{"before_message_custom_data_snake.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.Category, m.Type = "custom", "poll"
				m.CustomData = map[string]any{"question": "Lunch?", "options": []any{"yes", "no"}, "anonymous": false}
				m.Metadata = map[string]any{"incrementUnreadCount": true}
			}),
			Sender:   rules.User{UID: "cometchat-uid-5", Name: "John Paul"},
			Receiver: rules.Receiver{UID: "cometchat-uid-4", Name: "Jane Doe", EntityType: "user"},
		}},
		{"after_message_action_edited.json", rules.Env{
			Trigger: "after_message", AppID: "167ab1529", Webhook: "send-message",
			// an action has no sender and receiver entities: the uids come
			// from the message; an edit's text is the edited message's
			Message: with(johnToJane, func(m *rules.Message) {
				m.ID, m.Category, m.Type, m.Action, m.Text = "312", "action", "message", "edited", "edited text"
				m.SentAt, m.UpdatedAt = 1586436100, 1586436100
			}),
			Sender:   rules.User{UID: "cometchat-uid-5"},
			Receiver: rules.Receiver{UID: "cometchat-uid-4", EntityType: "user"},
			Text:     "edited text",
		}},
		{"message_edited_modern_envelope.json", rules.Env{
			Trigger: "message_edited", AppID: "167ab1529", Webhook: "edit-hook",
			Message: rules.Message{ID: "902", ConversationID: "group_cometchat-guid-1", Sender: "cometchat-uid-5", ReceiverType: "group", Receiver: "cometchat-guid-1",
				Category: "action", Type: "message", Action: "edited", Text: "now with a link to cheap-pills.example",
				SentAt: 1700000500, UpdatedAt: 1700000500},
			Sender:   rules.User{UID: "cometchat-uid-5", Name: "John Paul", Role: "default"},
			Receiver: rules.Receiver{UID: "cometchat-guid-1", Name: "Hikers", EntityType: "group", GroupType: "public", MembersCount: 12},
			Text:     "now with a link to cheap-pills.example",
		}},
		{"sdk_shape_sender_object.json", rules.Env{
			Trigger: "message_sent", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ID: "77", ConversationID: "group_cometchat-guid-3", Sender: "cometchat-uid-6", ReceiverType: "group", Receiver: "cometchat-guid-3",
				Category: "message", Type: "text", Text: "SDK-shaped message",
				Attachments: []rules.Attachment{{URL: "https://cdn.example/cover.jpg", Name: "cover.jpg", MimeType: "image/jpeg", Extension: "jpg", Size: 2048}},
				SentAt:      1700000000, UpdatedAt: 1700000001},
			Sender:   rules.User{UID: "cometchat-uid-6", Name: "Mike Ross", Avatar: "https://cdn.example/6.png", Role: "default", Status: "online"},
			Receiver: rules.Receiver{UID: "cometchat-guid-3", Name: "Book Club", EntityType: "group", GroupType: "private", MembersCount: 9},
			Text:     "SDK-shaped message",
		}},
		{"tolerant_number_id.json", rules.Env{
			Trigger: "after_message", AppID: "167", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.ID, m.Category, m.Type, m.Text = "4021", "message", "text", "42"
			}),
			Sender:   rules.User{UID: "cometchat-uid-5", Name: "John Paul"},
			Receiver: rules.Receiver{UID: "cometchat-uid-4", Name: "Jane Doe", EntityType: "user"},
			Text:     "42",
		}},
		{"tolerant_string_size.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.Category, m.Type = "message", "file"
				m.Attachments = []rules.Attachment{
					{URL: "https://data-us.cometchat.io/a/report.pdf", Name: "report.pdf", MimeType: "application/pdf", Extension: "pdf", Size: 402852},
					{URL: "https://data-us.cometchat.io/a/notes.txt", Name: "notes.txt", MimeType: "text/plain", Extension: "txt", Size: 1500},
					{URL: "https://data-us.cometchat.io/a/x.bin"},
				}
			}),
			Sender:   rules.User{UID: "cometchat-uid-5", Name: "John Paul"},
			Receiver: rules.Receiver{UID: "cometchat-uid-4", Name: "Jane Doe", EntityType: "user"},
		}},
		{"tolerant_metadata_string.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: with(johnToJane, func(m *rules.Message) {
				m.Category, m.Type = "message", "text"
				m.Attachments = []rules.Attachment{{URL: "https://data-us.cometchat.io/a/one.png", Name: "one.png", MimeType: "image/png", Extension: "png", Size: 10}}
				m.Mentions = []string{"cometchat-uid-7", "cometchat-uid-8"}
				m.Tags = []string{"a", "c"}
				m.SentAt, m.UpdatedAt = 0, 0
			}),
			Sender:   rules.User{UID: "cometchat-uid-5", Name: "John Paul"},
			Receiver: rules.Receiver{UID: "cometchat-uid-4", Name: "Jane Doe", EntityType: "user"},
		}},
		{"tolerant_null_entities.json", rules.Env{
			Trigger: "before_message", AppID: "167ab1529", Webhook: "send-message",
			Message: rules.Message{ConversationID: "group_cometchat-guid-1", Sender: "cometchat-uid-5", ReceiverType: "group", Receiver: "cometchat-guid-1",
				Category: "message", Type: "text", Text: "no entities here", SentAt: 1586435925, UpdatedAt: 1586435925},
			Sender:   rules.User{UID: "cometchat-uid-5"},
			Receiver: rules.Receiver{UID: "cometchat-guid-1", EntityType: "group"},
			Text:     "no entities here",
		}},
		{"tolerant_entities_array.json", rules.Env{
			Trigger:  "before_message",
			Message:  rules.Message{Sender: "cometchat-uid-5", ReceiverType: "user", Receiver: "cometchat-uid-4", Category: "message", Type: "text", Text: "entities as a list"},
			Sender:   rules.User{UID: "cometchat-uid-5"},
			Receiver: rules.Receiver{UID: "cometchat-uid-4", EntityType: "user"},
			Text:     "entities as a list",
		}},
	}

	// A used Env, to check that decoding overwrites every field.
	var dirty rules.Env
	if err := DecodeWebhook(readTestdata(t, "before_message_modern_envelope.json"), &dirty, true); err != nil {
		t.Fatal(err)
	}
	dirty.Lists = map[string][]string{"banned": {"x"}}
	dirty.Context = []rules.ContextMessage{{Sender: "a", Text: "b"}}

	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			body := readTestdata(t, tt.file)
			for _, reuse := range []bool{false, true} {
				var env rules.Env
				if reuse {
					env = dirty
				}
				if err := DecodeWebhook(body, &env, false); err != nil {
					t.Fatalf("DecodeWebhook: %v", err)
				}
				if got := normalize(env, false); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("reuse=%v:\n got %+v\nwant %+v", reuse, got, tt.want)
				}
			}

			// With the payload: the same, plus the whole envelope as encoding/json sees it.
			var env rules.Env
			if err := DecodeWebhook(body, &env, true); err != nil {
				t.Fatalf("DecodeWebhook with payload: %v", err)
			}
			if want := refPayload(body); !reflect.DeepEqual(env.Payload, want) {
				t.Errorf("payload:\n got %v\nwant %v", env.Payload, want)
			}
			env.Payload = nil
			if got := normalize(env, false); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("with payload:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeModeration(t *testing.T) {
	tests := []struct {
		file string
		want rules.Env
	}{
		{"moderation_docs_example.json", rules.Env{
			Trigger: "moderation_api",
			Message: rules.Message{ID: "13", MUID: "_mnlmy5j8v", ConversationID: "cometchat-uid-1_user_cometchat-uid-2", Sender: "cometchat-uid-1", ReceiverType: "user", Receiver: "cometchat-uid-2",
				Category: "message", Type: "text", Text: "Let's meet at 5, my number is 555-0100", SentAt: 1744100000, UpdatedAt: 1744100000},
			Sender:   rules.User{UID: "cometchat-uid-1", Name: "Andrew Joseph", Avatar: "https://assets.cometchat.io/sampleapp/v2/users/cometchat-uid-1.webp", Role: "default", Status: "available"},
			Receiver: rules.Receiver{UID: "cometchat-uid-2", Name: "George Alan", Avatar: "https://assets.cometchat.io/sampleapp/v2/users/cometchat-uid-2.webp", Role: "default", Status: "available", EntityType: "user"},
			Text:     "Let's meet at 5, my number is 555-0100",
			Context: []rules.ContextMessage{
				{Sender: "cometchat-uid-1", Text: "Hello there!"},
				{Sender: "cometchat-uid-2", Text: "Hey, how are you?"},
				{Sender: "cometchat-uid-1", Text: "I'm good, thanks! What about you?"},
			},
		}},
		{"moderation_no_sender.json", rules.Env{
			Trigger: "moderation_api",
			// no sender: the element's key is the sender
			Message:  rules.Message{Sender: "cometchat-uid-9", ReceiverType: "group", Receiver: "cometchat-guid-1", Category: "message", Type: "text", Text: "buy followers at spam.example"},
			Sender:   rules.User{UID: "cometchat-uid-9"},
			Receiver: rules.Receiver{UID: "cometchat-guid-1", EntityType: "group"},
			Text:     "buy followers at spam.example",
			// an earlier message object counts as context; a number as its text;
			// null is skipped; an element with two keys is two messages
			Context: []rules.ContextMessage{
				{Sender: "cometchat-uid-9", Text: "first draft"},
				{Sender: "cometchat-uid-2", Text: "7"},
				{Sender: "cometchat-uid-3", Text: "two in one"},
			},
		}},
	}
	var dirty rules.Env
	if err := DecodeWebhook(readTestdata(t, "before_message_thread_reply_group.json"), &dirty, true); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			body := readTestdata(t, tt.file)
			for _, reuse := range []bool{false, true} {
				var env rules.Env
				if reuse {
					env = dirty
				}
				if err := DecodeModeration(body, &env, false); err != nil {
					t.Fatalf("DecodeModeration: %v", err)
				}
				if got := normalize(env, false); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("reuse=%v:\n got %+v\nwant %+v", reuse, got, tt.want)
				}
			}
			var env rules.Env
			if err := DecodeModeration(body, &env, true); err != nil {
				t.Fatalf("DecodeModeration with payload: %v", err)
			}
			if want := refPayload(body); !reflect.DeepEqual(env.Payload, want) {
				t.Errorf("payload:\n got %v\nwant %v", env.Payload, want)
			}
		})
	}
}

// A message in the newer envelope, to build bodies around.
const okData = `{"message":{"sender":"u1","data":{"text":"hi"}}}`

func TestDecodeWebhookErrors(t *testing.T) {
	// Two objects and this many arrays nest one level deeper than encoding/json allows.
	deep := strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1)
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "body is empty"},
		{"white space", " \r\n\t ", "body is empty"},
		{"null", `null`, "body must be a JSON object, got null"},
		{"array", `[]`, "body must be a JSON object, got array"},
		{"number", `42`, "body must be a JSON object, got number"},
		{"string", ` "before_message" `, "body must be a JSON object, got string"},
		{"boolean", `true`, "body must be a JSON object, got boolean"},
		{"trigger number", `{"trigger":1}`, "trigger must be a string"},
		{"trigger null", `{"trigger":null,"data":{}}`, "trigger must be a string"},
		{"no trigger", `{"data":{}}`, "trigger is missing"},
		{"trigger empty", `{"trigger":"","data":{}}`, "trigger is empty"},
		{"no data", `{"trigger":"before_message"}`, "data is missing"},
		{"data string", `{"trigger":"before_message","data":"x"}`, "data holds no message: expected an object at data or data.message"},
		{"data null", `{"trigger":"before_message","data":null}`, "data holds no message: expected an object at data or data.message"},
		{"data array", `{"trigger":"before_message","data":[` + okData + `]}`, "data holds no message: expected an object at data or data.message"},
		{"last data wins", `{"trigger":"t","data":` + okData + `,"data":1}`, "data holds no message: expected an object at data or data.message"},

		// Not JSON: the syntax error wins over everything else.
		{"truncated", `{"trigger":"before_message","data":{"text":`, "body is not valid JSON: unexpected end of input at offset 43"},
		{"truncated string", `{"trigger":"before_m`, "body is not valid JSON: unexpected end of input at offset 20"},
		{"truncated escape", `{"trigger":"\u00`, "body is not valid JSON: unexpected end of input at offset 16"},
		{"truncated number", `{"a":-`, "body is not valid JSON: unexpected end of input at offset 6"},
		{"trailing garbage", `{"trigger":"t","data":{}} x`, "body is not valid JSON: invalid character 'x' after top-level value at offset 26"},
		{"two objects", `{"trigger":"t","data":{}}{}`, "body is not valid JSON: invalid character '{' after top-level value at offset 25"},
		{"trailing comma", `{"trigger":"t",}`, "body is not valid JSON: invalid character '}' looking for beginning of object key string at offset 15"},
		{"missing colon", `{"trigger" "t"}`, `body is not valid JSON: invalid character '"' after object key at offset 11`},
		{"missing comma", `{"trigger":"t" "data":{}}`, `body is not valid JSON: invalid character '"' after object key:value pair at offset 15`},
		{"bare key", `{trigger:"t"}`, "body is not valid JSON: invalid character 't' looking for beginning of object key string at offset 1"},
		{"single quotes", `{'trigger':'t'}`, `body is not valid JSON: invalid character '\'' looking for beginning of object key string at offset 1`},
		{"bad literal", `{"trigger":tru}`, "body is not valid JSON: invalid character '}' in literal true (expecting 'e') at offset 14"},
		{"control character", "{\"trigger\":\"a\x01\"}", `body is not valid JSON: invalid character '\x01' in string literal at offset 13`},
		{"bad escape", `{"trigger":"\q"}`, "body is not valid JSON: invalid character 'q' in string escape code at offset 13"},
		{"bad unicode escape", `{"trigger":"\u12G4"}`, `body is not valid JSON: invalid character 'G' in \u hexadecimal character escape at offset 16`},
		{"leading zero", `{"a":01}`, "body is not valid JSON: invalid character '1' after object key:value pair at offset 6"},
		{"minus alone", `{"a":-}`, "body is not valid JSON: invalid character '}' in numeric literal at offset 6"},
		{"bare decimal point", `{"a":1.}`, "body is not valid JSON: invalid character '}' after decimal point in numeric literal at offset 7"},
		{"bare exponent", `{"a":1e}`, "body is not valid JSON: invalid character '}' in exponent of numeric literal at offset 7"},
		{"array trailing comma", `{"a":[1,]}`, "body is not valid JSON: invalid character ']' looking for beginning of value at offset 8"},
		{"array missing comma", `{"a":[1 2]}`, "body is not valid JSON: invalid character '2' after array element at offset 8"},
		{"not an object and bad", `[1,]`, "body is not valid JSON: invalid character ']' looking for beginning of value at offset 3"},
		{"bad after structural error", `{"trigger":1,"data":{"x":}}`, "body is not valid JSON: invalid character '}' looking for beginning of value at offset 25"},
		{"byte order mark", "\xef\xbb\xbf{}", "body is not valid JSON: invalid character byte 0xef looking for beginning of value at offset 0"},
		{"too deep", `{"trigger":"t","data":{"x":` + deep + `}}`, "body is not valid JSON: nesting deeper than 10000 levels at offset 10025"},
		{"nul", "{\"trigger\":\"t\",\"data\":{}}\x00", `body is not valid JSON: invalid character '\x00' after top-level value at offset 25`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := rules.Env{Trigger: "stale"}
			err := DecodeWebhook([]byte(tt.body), &env, true)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error = %#v, want a *DecodeError", err)
			}
			if de.Msg != tt.want || err.Error() != tt.want {
				t.Errorf("error = %q, want %q", de.Msg, tt.want)
			}
			if env.Trigger != "" {
				t.Errorf("env.Trigger = %q after an error, want it reset", env.Trigger)
			}
		})
	}

	// encoding/json's nesting limit exactly: one level fewer is fine.
	for _, body := range []string{
		`{"trigger":"t","data":{"x":` + deep[1:len(deep)-1] + `}}`,
		`{"trigger":"t","data":{"x":` + deep + `}}`,
	} {
		checkWebhookAgainstReference(t, []byte(body))
	}
	var env rules.Env
	if err := DecodeWebhook([]byte(`{"trigger":"t","data":{"x":`+deep[1:len(deep)-1]+`}}`), &env, true); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
}

func TestDecodeModerationErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "body is empty"},
		{"array", `[{"u":{}}]`, "body must be a JSON object, got array"},
		{"missing", `{}`, "contextMessages is missing"},
		{"object", `{"contextMessages":{"u":{}}}`, "contextMessages must be an array"},
		{"null", `{"contextMessages":null}`, "contextMessages must be an array"},
		{"empty list", `{"contextMessages":[]}`, "contextMessages holds no message object"},
		{"only text", `{"contextMessages":[{"u":"hi"},{"u":1},{}]}`, "contextMessages holds no message object"},
		{"element not an object", `{"contextMessages":[{"u":"hi"},{"u":{}},"x",{"u":{}},[]]}`, "contextMessages[2] must be an object mapping a sender uid to a message"},
		{"element null", `{"contextMessages":[null]}`, "contextMessages[0] must be an object mapping a sender uid to a message"},
		{"last member wins", `{"contextMessages":[{"u":{}}],"contextMessages":[]}`, "contextMessages holds no message object"},
		{"truncated", `{"contextMessages":[{"u":{}}`, "body is not valid JSON: unexpected end of input at offset 28"},
		{"trailing garbage", `{"contextMessages":[{"u":{}}]} x`, "body is not valid JSON: invalid character 'x' after top-level value at offset 31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env rules.Env
			err := DecodeModeration([]byte(tt.body), &env, false)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error = %#v, want a *DecodeError", err)
			}
			if de.Msg != tt.want {
				t.Errorf("error = %q, want %q", de.Msg, tt.want)
			}
		})
	}
}

// TestDecodeWebhookEdges covers shapes that are legal JSON but odd, each
// checked against the reference decoder.
func TestDecodeWebhookEdges(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(t *testing.T, env rules.Env)
	}{
		{"escapes and invalid UTF-8", `{"trigger":"t","data":{"data":{"te\u0078t":"a\ud83d\ude00b\ud800c\u00e9\/\b\f\r\t\u00C9é` + "\xff\xfe" + `"}}}`, func(t *testing.T, env rules.Env) {
			if want := "a\U0001F600b\uFFFDcé/\b\f\r\tÉé\uFFFD\uFFFD"; env.Text != want {
				t.Errorf("text = %q, want %q", env.Text, want)
			}
		}},
		{"data.message not an object", `{"trigger":"t","data":{"message":"hello","sender":"u1"}}`, func(t *testing.T, env rules.Env) {
			if env.Message.Sender != "u1" {
				t.Errorf("sender = %q, want data itself read as the message", env.Message.Sender)
			}
		}},
		{"data.message then a non-object message", `{"trigger":"t","data":{"sender":"outer","message":{"sender":"inner"},"message":1}}`, func(t *testing.T, env rules.Env) {
			if env.Message.Sender != "outer" {
				t.Errorf("sender = %q, want outer: the last message member is not an object", env.Message.Sender)
			}
		}},
		{"data.message beside message fields", `{"trigger":"t","data":{"sender":"outer","message":{"sender":"inner"},"receiver":"outer"}}`, func(t *testing.T, env rules.Env) {
			if env.Message.Sender != "inner" || env.Message.Receiver != "" {
				t.Errorf("sender, receiver = %q, %q, want inner and nothing", env.Message.Sender, env.Message.Receiver)
			}
		}},
		{"repeated keys", `{"trigger":"a","trigger":"b","data":{"data":{"text":"x","tags":[1]},"data":{"text":"y"},"tags":["p"],"tags":"q"}}`, func(t *testing.T, env rules.Env) {
			if env.Trigger != "b" || env.Text != "y" || len(env.Message.Tags) != 0 {
				t.Errorf("trigger, text, tags = %q, %q, %q, want the last of each", env.Trigger, env.Text, env.Message.Tags)
			}
		}},
		{"keys match exactly", `{"trigger":"t","Trigger":"x","data":{"Sender":"u1","data":{"TEXT":"x"}}}`, func(t *testing.T, env rules.Env) {
			if env.Message.Sender != "" || env.Text != "" {
				t.Errorf("sender, text = %q, %q, want empty", env.Message.Sender, env.Text)
			}
		}},
		{"numbers out of range", `{"trigger":"t","data":{"sentAt":1e400,"updatedAt":-1e19,"id":-0.5e-3,"data":{"metadata":{"big":1e400}}}}`, func(t *testing.T, env rules.Env) {
			m := env.Message
			if m.SentAt != 0 || m.UpdatedAt != 0 || m.ID != "-0.5e-3" {
				t.Errorf("sentAt, updatedAt, id = %d, %d, %q", m.SentAt, m.UpdatedAt, m.ID)
			}
			if v, ok := m.Metadata["big"]; !ok || v != nil {
				t.Errorf("metadata.big = %v, %v, want nil as encoding/json gives", v, ok)
			}
		}},
		{"receiver entity type inferred from guid", `{"trigger":"t","data":{"data":{"entities":{"receiver":{"entity":{"guid":"g1","type":"public"}}}}}}`, func(t *testing.T, env rules.Env) {
			if want := (rules.Receiver{UID: "g1", EntityType: "group", GroupType: "public"}); !reflect.DeepEqual(env.Receiver, want) {
				t.Errorf("receiver = %+v, want %+v", env.Receiver, want)
			}
		}},
		{"singular attachment loses to attachments", `{"trigger":"t","data":{"data":{"attachment":{"url":"a"},"attachments":[{"url":"b"}]}}}`, func(t *testing.T, env rules.Env) {
			if len(env.Message.Attachments) != 1 || env.Message.Attachments[0].URL != "b" {
				t.Errorf("attachments = %+v, want b only", env.Message.Attachments)
			}
		}},
		{"many mentions, repeated", manyMentions(), func(t *testing.T, env rules.Env) {
			if got := env.Message.Mentions; len(got) != 20 || got[0] != "u0" || got[19] != "u19" {
				t.Errorf("mentions = %q, want u0…u19 once each, in order", got)
			}
		}},
		{"customData wins over custom_data", `{"trigger":"t","data":{"data":{"custom_data":{"a":1},"customData":{}}}}`, func(t *testing.T, env rules.Env) {
			if env.Message.CustomData == nil || len(env.Message.CustomData) != 0 {
				t.Errorf("customData = %v, want the empty customData", env.Message.CustomData)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env rules.Env
			if err := DecodeWebhook([]byte(tt.body), &env, true); err != nil {
				t.Fatal(err)
			}
			tt.check(t, env)
			checkWebhookAgainstReference(t, []byte(tt.body))
		})
	}
}

func TestToInt(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 0}, {"402852", 402852}, {"-7", -7}, {"1.9", 1}, {"-1.9", -1}, {"1e3", 1000},
		{"9223372036854775807", 9223372036854775807}, {"9223372036854775808", 0}, {"-9223372036854775808", -9223372036854775808},
		{"1e19", 0}, {"abc", 0}, {"", 0}, {"NaN", 0}, {"Inf", 0}, {" 5", 0},
		{"007", 7}, {"+5", 5}, {"123456789012345678", 123456789012345678}, {"1234567890123456789", 1234567890123456789},
	}
	for _, tt := range tests {
		if got := toInt([]byte(tt.in)); got != tt.want {
			t.Errorf("toInt(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestMatchesReference decodes every testdata file, whole and cut short at
// every length, with both decoders and compares the answers.
func TestMatchesReference(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata", err)
	}
	for _, f := range files {
		body := readTestdata(t, filepath.Base(f))
		for n := 0; n <= len(body); n++ {
			checkWebhookAgainstReference(t, body[:n])
			checkModerationAgainstReference(t, body[:n])
		}
	}
}

// manyMentions is a webhook mentioning u0…u19 in data.mentions and again,
// partly, in mentionedUsers.
func manyMentions() string {
	var keys, users []string
	for i := range 20 {
		keys = append(keys, fmt.Sprintf(`"u%d":{}`, i))
		users = append(users, fmt.Sprintf(`{"uid":"u%d"}`, 19-i%5))
	}
	return `{"trigger":"t","data":{"mentionedUsers":[` + strings.Join(users, ",") + `],"data":{"mentions":{` + strings.Join(keys, ",") + `}}}}`
}
