package cometchat

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/modgate/modgate/rules"
)

// seed adds every testdata file and a few bad bodies to the corpus.
func seed(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	for _, s := range []string{``, `null`, `[]`, `{"trigger":1}`, `{"data":{}}`, `{"trigger":"t","data":"x"}`, `{"trigger":"t","data":{}} x`, `{"contextMessages":[{"u":"a"},"x"]}`} {
		f.Add([]byte(s))
	}
}

func FuzzDecodeWebhook(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkWebhookAgainstReference(t, body)
	})
}

func FuzzDecodeModeration(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkModerationAgainstReference(t, body)
	})
}

func checkWebhookAgainstReference(t *testing.T, body []byte) {
	t.Helper()
	checkAgainstReference(t, body, DecodeWebhook, refWebhook)
}

func checkModerationAgainstReference(t *testing.T, body []byte) {
	t.Helper()
	checkAgainstReference(t, body, DecodeModeration, refModeration)
}

// checkAgainstReference decodes body with decode, into a fresh Env and into a
// used one, with and without the payload, and checks the outcome against ref.
func checkAgainstReference(t *testing.T, body []byte, decode func([]byte, *rules.Env, bool) error, ref func([]byte, bool) refResult) {
	t.Helper()
	orig := string(body)
	for _, withPayload := range []bool{false, true} {
		want := ref(body, withPayload)
		var fresh rules.Env
		used := rules.Env{
			Trigger: "old", Lists: map[string][]string{"l": nil}, Payload: map[string]any{"old": 1.0},
			Message: rules.Message{Attachments: make([]rules.Attachment, 1, 4), Tags: []string{"old"}, Mentions: []string{"old"}, Metadata: map[string]any{}},
			Sender:  rules.User{UID: "old"}, Receiver: rules.Receiver{UID: "old", MembersCount: 3}, Context: []rules.ContextMessage{{Sender: "old"}},
		}
		for _, env := range []*rules.Env{&fresh, &used} {
			// The server reuses the body's buffer after the request, while
			// the decoded strings may live on: scribble over the buffer
			// before looking at them.
			buf := []byte(orig)
			err := decode(buf, env, withPayload)
			if string(buf) != orig {
				t.Fatalf("%q: the decoder changed the body", orig)
			}
			for i := range buf {
				buf[i] = '#'
			}
			switch {
			case err == nil && (want.syntax || want.errMsg != ""):
				t.Fatalf("%q: no error, want %q (syntax error: %v)", body, want.errMsg, want.syntax)
			case err != nil:
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("%q: error %#v is not a *DecodeError", body, err)
				}
				if want.syntax != isSyntaxMsg(de.Msg) || !want.syntax && de.Msg != want.errMsg {
					t.Fatalf("%q: error %q, want %q (syntax error: %v)", body, de.Msg, want.errMsg, want.syntax)
				}
				continue
			}
			if env.Trigger == "" {
				t.Fatalf("%q: decoded without a trigger", body)
			}
			if got, want := normalize(*env, true), normalize(want.env, true); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q (payload %v):\n got %#v\nwant %#v", body, withPayload, got, want)
			}
		}
	}
}
