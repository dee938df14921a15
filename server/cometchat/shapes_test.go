package cometchat

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// shapeChildren gives, for each kind of object in the payloads, its keys and
// the kind of object each holds ("" for a scalar or anything).
var shapeChildren = map[string]map[string]string{
	"top":        {"trigger": "", "appId": "", "webhook": "", "data": "holder", "contextMessages": "list"},
	"holder":     {"message": "msg", "id": "", "sender": "user", "data": "data", "receiver": "entity", "text": ""},
	"msg":        {"id": "", "muid": "", "conversationId": "", "category": "", "type": "", "receiverType": "", "receiver": "entity", "sender": "user", "parentId": "", "data": "data", "tags": "", "sentAt": "", "updatedAt": "", "mentionedUsers": "uids", "message": "msg"},
	"data":       {"text": "", "te\\u0078t": "", "Text": "", "attachments": "attachments", "attachment": "attachment", "metadata": "any", "customData": "any", "custom_data": "any", "mentions": "mentions", "mentionedUsers": "uids", "entities": "entities"},
	"entities":   {"sender": "entHolder", "receiver": "entHolder", "by": "entHolder"},
	"entHolder":  {"entity": "entity", "entityType": ""},
	"entity":     {"uid": "", "guid": "", "name": "", "avatar": "", "icon": "", "role": "", "status": "", "type": "", "metadata": "any", "membersCount": ""},
	"user":       {"uid": "", "name": "", "avatar": "", "role": "", "status": "", "metadata": "any"},
	"attachment": {"url": "", "name": "", "mimeType": "", "extension": "", "size": ""},
	"mentions":   {"u1": "", "u2": "", "": "", "u\\u0031": ""},
	"uid":        {"uid": "", "name": ""},
	"any":        {"a": "any", "b": "", "": ""},
}

// shapeLists gives the element kind of the lists.
var shapeLists = map[string]string{"attachments": "attachment", "uids": "uid", "list": "ctx", "mentions": ""}

var shapeScalars = []string{
	`"user"`, `"group"`, `"u1"`, `"g1"`, `""`, `"402852"`, `"1.5e3"`, `"x\"y\\z\n"`, `"\ud83d\ude00"`, `"\ud800"`,
	"\"\xff\"", `"é"`, `0`, `-0`, `42`, `-7`, `1.9`, `1e3`, `1E+2`, `-2.5e-3`, `1e400`, `9223372036854775808`,
	`true`, `false`, `null`,
}

type shapeGen struct{ r *rand.Rand }

// value writes a value of the given kind, or, now and then, of any other.
func (g shapeGen) value(b *strings.Builder, kind string, depth int) {
	if depth > 5 || kind == "" && g.r.IntN(3) > 0 || g.r.IntN(12) == 0 {
		if depth > 5 || g.r.IntN(3) > 0 {
			b.WriteString(shapeScalars[g.r.IntN(len(shapeScalars))])
			return
		}
		kind = []string{"any", "attachments", "entity", "uids"}[g.r.IntN(4)]
	}
	if kind == "ctx" {
		g.object(b, "ctx", depth+1)
		return
	}
	if elem, ok := shapeLists[kind]; ok {
		if kind == "mentions" && g.r.IntN(2) == 0 {
			g.object(b, "mentions", depth+1)
			return
		}
		b.WriteByte('[')
		for i := range g.r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			g.value(b, elem, depth+1)
		}
		b.WriteByte(']')
		return
	}
	g.object(b, kind, depth+1)
}

func (g shapeGen) object(b *strings.Builder, kind string, depth int) {
	children := shapeChildren[kind]
	keys := make([]string, 0, len(children))
	for k := range children {
		keys = append(keys, k)
	}
	b.WriteByte('{')
	for i := range g.r.IntN(6) {
		if i > 0 {
			b.WriteString(", ")
		}
		var k, child string
		switch {
		case kind == "ctx":
			k, child = []string{"u1", "u2", "u3"}[g.r.IntN(3)], "holder"
			if g.r.IntN(2) == 0 {
				child = ""
			}
		case len(keys) == 0 || g.r.IntN(10) == 0:
			k = []string{"x", "trigger", "data", "message", "sender", "text"}[g.r.IntN(6)]
		default:
			// keys in a random order, some repeated
			k = keys[g.r.IntN(len(keys))]
			child = children[k]
		}
		b.WriteString(`"` + k + `": `)
		g.value(b, child, depth)
	}
	b.WriteByte('}')
}

// TestRandomShapesMatchReference builds random payloads of mostly the right
// structure with values of every type, and compares both decoders on them.
func TestRandomShapesMatchReference(t *testing.T) {
	g := shapeGen{rand.New(rand.NewPCG(1, 2))}
	n := 4000
	if testing.Short() {
		n = 400
	}
	for range n {
		var b strings.Builder
		g.object(&b, "top", 0)
		body := []byte(b.String())
		checkWebhookAgainstReference(t, body)
		checkModerationAgainstReference(t, body)
	}
}
