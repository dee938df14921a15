package cometchat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modgate/modgate/rules"
)

// The CometChat fixtures, one of each kind of webhook.
var benchWebhooks = []string{
	"before_message_text_user.json",
	"before_message_text_group.json",
	"before_message_image.json",
	"before_message_custom_location.json",
	"before_message_thread_reply_mentions.json",
	"after_message_text_group.json",
	"message_sent_modern_envelope.json",
}

func BenchmarkDecodeWebhook(b *testing.B) {
	for _, name := range benchWebhooks {
		body, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		for _, withPayload := range []bool{false, true} {
			sub := strings.TrimSuffix(name, ".json")
			if withPayload {
				sub += "/payload"
			}
			b.Run(sub, func(b *testing.B) {
				var env rules.Env // reused, as the server pools it
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if err := DecodeWebhook(body, &env, withPayload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecodeModeration(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "moderation_docs_example.json"))
	if err != nil {
		b.Fatal(err)
	}
	var env rules.Env
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeModeration(body, &env, false); err != nil {
			b.Fatal(err)
		}
	}
}
