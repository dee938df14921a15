// Package cometchat decodes CometChat's webhook and Moderation Custom API
// payloads into the rule environment. No HTTP here.
//
// Decoding is a single pass over the body straight into a rules.Env, without
// encoding/json (which measured five to ten times slower, with thirty-odd
// allocations a message). It accepts exactly the bodies encoding/json
// accepts, with the same string decoding; the tests compare the two.
//
// Only structural problems are errors: a body that is empty, not JSON, not an
// object, or lacks the trigger or the message. Inside the message, a value of
// an unexpected type never fails the request; it is read as well as it can be:
//
//   - a string field holding a number reads as the number's text ("id": 42
//     gives "42"); any other non-string reads as "";
//   - an int field (size, sentAt, updatedAt, membersCount) holding a string
//     reads the number in it ("402852"); a fraction is truncated; anything
//     else, or a number outside int's range, reads as 0;
//   - a map field (metadata, customData) holding a non-object reads as nil;
//   - list elements of the wrong type are skipped (a number among the tags);
//     attachments sent as one object read as a list of one; mentions sent as
//     an array read as its uid strings or the uid of its objects;
//   - entities, sender or receiver of the wrong type read as absent.
//
// Keys match exactly (encoding/json would also match "TEXT" to "text"); when
// a key repeats, the last one counts, as with encoding/json.
package cometchat

import (
	"slices"
	"strconv"

	"github.com/modgate/modgate/rules"
)

// DecodeError is a body the client got wrong. Msg says what, in lower case,
// and is meant for the client.
type DecodeError struct{ Msg string }

func (e *DecodeError) Error() string { return e.Msg }

// triggerModeration is the trigger of every Moderation Custom API request.
const triggerModeration = "moderation_api"

// DecodeWebhook decodes a webhook envelope (SPEC §4) into env. The message is
// data itself (legacy webhooks), or data.message when that is an object
// (newer webhooks).
//
// It overwrites every field of env, keeping only the capacity of its slices,
// so env may be a pooled value; Lists is left nil for the caller to set.
// With withPayload it also sets env.Payload to the whole envelope as generic
// JSON; otherwise Payload is nil.
//
// The error is a *DecodeError when the body is empty, not valid JSON, not an
// object, has no non-empty string trigger, or holds no message object.
func DecodeWebhook(body []byte, env *rules.Env, withPayload bool) error {
	env.Reset()
	d := decoder{s: body, strs: newArena(body, withPayload, false)}
	if err := d.topObject(); err != nil {
		return err
	}
	var (
		st      msgState
		trigger string
		trigSet bool // trigger present
		trigStr bool // trigger is a string
		data    byte // first byte of data's value, 0 when absent
	)
	d.open()
	var n int
	for {
		k, ok := d.member(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "trigger":
			trigSet, trigStr = true, d.peek() == '"'
			if trigStr {
				trigger, ok = d.str()
			} else {
				ok = d.skip()
			}
		case "appId":
			env.AppID, ok = d.flexString()
		case "webhook":
			env.Webhook, ok = d.flexString()
		case "data":
			data = d.peek()
			if data == '{' {
				ok = d.holder(env, &st, "")
			} else {
				ok = d.skip()
			}
		default:
			ok = d.skip()
		}
		if !ok {
			return d.err
		}
	}
	if !d.end() {
		return d.err
	}
	switch {
	case !trigSet:
		return &DecodeError{Msg: "trigger is missing"}
	case !trigStr:
		return &DecodeError{Msg: "trigger must be a string"}
	case trigger == "":
		return &DecodeError{Msg: "trigger is empty"}
	case data == 0:
		return &DecodeError{Msg: "data is missing"}
	case data != '{':
		return &DecodeError{Msg: "data holds no message: expected an object at data or data.message"}
	}
	env.Trigger = trigger
	if withPayload {
		env.Payload = d.payload()
	}
	return nil
}

// DecodeModeration decodes a Moderation Custom API request (SPEC §9):
//
//	{"contextMessages": [{"uid-1": "text"}, …, {"uid-2": {message object}}]}
//
// Each element maps a sender uid to the text of an earlier message or to a
// message object. The message moderated is the last message object; earlier
// ones count as context with their data.text. env.Context gets the earlier
// messages in the order sent (string and number values, and message objects
// but the last; values of other types are skipped). An element with several
// keys counts as several messages, in order; an empty one counts as none.
// The message object is read as the data of a webhook (SPEC §4), and when it
// names no sender, the element's key is the sender's uid.
//
// env.Trigger is "moderation_api"; AppID and Webhook are "". env and
// withPayload are as for DecodeWebhook.
//
// The error is a *DecodeError when the body is empty, not valid JSON, not an
// object, contextMessages is missing or not an array, an element of it is not
// an object, or none of its values is a message object.
func DecodeModeration(body []byte, env *rules.Env, withPayload bool) error {
	env.Reset()
	d := decoder{s: body, strs: newArena(body, withPayload, true)}
	if err := d.topObject(); err != nil {
		return err
	}
	var (
		st    msgState
		list  byte // first byte of contextMessages' value, 0 when absent
		bad   = -1 // index of the first element that is not an object
		found bool // a message object was seen
		msgAt int  // index in env.Context of the last message object's text
	)
	d.open()
	var n int
	for {
		k, ok := d.member(&n)
		if !ok {
			break
		}
		if string(k) != "contextMessages" {
			if !d.skip() {
				return d.err
			}
			continue
		}
		env.Context, bad, found = env.Context[:0], -1, false
		resetMessage(env, &st)
		list = d.peek()
		if list != '[' {
			if !d.skip() {
				return d.err
			}
			continue
		}
		d.open()
		var ne int
		for idx := 0; d.elem(&ne); idx++ {
			if d.peek() != '{' {
				if bad < 0 {
					bad = idx
				}
				if !d.skip() {
					return d.err
				}
				continue
			}
			d.open()
			var nk int
			for {
				k, ok := d.member(&nk)
				if !ok {
					break
				}
				switch c := d.peek(); {
				case c == '"' || isNumberStart(c):
					uid := d.keepKey(k)
					var text string
					text, ok = d.flexString()
					env.Context = append(env.Context, rules.ContextMessage{Sender: uid, Text: text})
				case c == '{':
					uid := d.keepKey(k)
					ok = d.holder(env, &st, uid)
					env.Context = append(env.Context, rules.ContextMessage{Sender: uid, Text: env.Message.Text})
					msgAt, found = len(env.Context)-1, true
				default:
					ok = d.skip()
				}
				if !ok {
					return d.err
				}
			}
			if d.err != nil {
				return d.err
			}
		}
		if d.err != nil {
			return d.err
		}
	}
	if !d.end() {
		return d.err
	}
	switch {
	case list == 0:
		return &DecodeError{Msg: "contextMessages is missing"}
	case list != '[':
		return &DecodeError{Msg: "contextMessages must be an array"}
	case bad >= 0:
		return &DecodeError{Msg: "contextMessages[" + strconv.Itoa(bad) + "] must be an object mapping a sender uid to a message"}
	case !found:
		return &DecodeError{Msg: "contextMessages holds no message object"}
	}
	env.Context = slices.Delete(env.Context, msgAt, msgAt+1)
	env.Trigger = triggerModeration
	if withPayload {
		env.Payload = d.payload()
	}
	return nil
}

// topObject moves to the body's top-level object or says why there is none.
func (d *decoder) topObject() error {
	d.ws()
	if d.i == len(d.s) {
		return &DecodeError{Msg: "body is empty"}
	}
	if c := d.s[d.i]; c != '{' {
		if !d.skip() || !d.end() {
			return d.err
		}
		return &DecodeError{Msg: "body must be a JSON object, got " + kindOf(c)}
	}
	return nil
}

// newArena makes room for the strings of body, to hold them in one
// allocation most of the time without making it much larger than needed.
func newArena(body []byte, withPayload, moderation bool) arena {
	switch {
	case withPayload:
		// Every string of the body is kept: copy it whole.
		return arena{mirror: string(body)}
	case moderation:
		// The context messages are kept whole, and their uids.
		return arena{hint: len(body)/2 + 16}
	}
	// Mostly the values are kept; the keys, the white space and what
	// nobody reads are the rest. A third holds the fixtures' messages; a
	// long text makes the arena grow once.
	return arena{hint: len(body)/3 + 16}
}

// payload decodes the whole body, already validated, as generic JSON.
func (d *decoder) payload() map[string]any {
	d.i, d.depth = 0, 0
	d.ws()
	m, _ := d.object()
	return m
}

// msgState is what decoding a message gathers besides what goes straight
// into the Env, to settle fallbacks once the whole message is read.
type msgState struct {
	senderObj    rules.User // the message's sender when sent as an object
	hasSenderObj bool
	receiverObj  entity // the message's receiver when sent as an object
	hasRecvObj   bool
	data         dataState
	// mentionedUsers of the message: offset and depth of the array, or -1
	mentionedAt, mentionedDepth int
}

// dataState is what the message's data member contributes besides fields
// of the Env.
type dataState struct {
	hasSenderEnt bool   // data.entities.sender.entity, decoded into Env.Sender
	receiverEnt  entity // data.entities.receiver.entity
	hasRecvEnt   bool
	entityType   string // data.entities.receiver.entityType
	attachment   rules.Attachment
	hasAttach    bool
	customData   map[string]any // data.custom_data
	// data.entities.on.entity.data.text: the text of the message an
	// action (an edit) is about
	onText    string
	hasOnText bool
	// data.mentionedUsers: offset and depth of the array, or -1
	mentionedAt, mentionedDepth int
}

// entity is a user or group as CometChat sends it.
type entity struct {
	uid, guid, name, avatar, icon, role, status, typ string
	metadata                                         map[string]any
	membersCount                                     int
}

func resetMessage(env *rules.Env, st *msgState) {
	m := &env.Message
	*m = rules.Message{Attachments: m.Attachments[:0], Mentions: m.Mentions[:0], Tags: m.Tags[:0]}
	env.Sender = rules.User{}
	env.Receiver = rules.Receiver{}
	env.Text = ""
	*st = msgState{mentionedAt: -1, data: dataState{mentionedAt: -1}}
}

// holder decodes the object at d.i as a message, unless its "message" member
// is an object: then that is the message. fallbackUID is the sender's uid
// when the message names none.
func (d *decoder) holder(env *rules.Env, st *msgState, fallbackUID string) bool {
	start, depth := d.i, d.depth
	redo, ok := d.message(env, st, true)
	if !ok {
		return false
	}
	if redo {
		// Read the object again; that ends where the first reading did.
		d.i, d.depth = start, depth
		if _, ok := d.message(env, st, false); !ok {
			return false
		}
	}
	d.finish(env, st, fallbackUID)
	return true
}

// message decodes the message object at d.i. When holder is set and a
// "message" member holds an object, that object is decoded as the message
// instead and the other members are skipped. Should a later "message" member
// then hold something else, the object is the message after all, and redo
// asks the caller to decode it again with holder unset.
func (d *decoder) message(env *rules.Env, st *msgState, holder bool) (redo, ok bool) {
	resetMessage(env, st)
	m := &env.Message
	wrapped := false
	d.open()
	var n int
	for {
		k, ok := d.member(&n)
		if !ok {
			return redo, d.err == nil
		}
		if wrapped && string(k) != "message" {
			if !d.skip() {
				return false, false
			}
			continue
		}
		switch string(k) {
		case "id":
			m.ID, ok = d.flexString()
		case "muid":
			m.MUID, ok = d.flexString()
		case "conversationId":
			m.ConversationID, ok = d.flexString()
		case "category":
			m.Category, ok = d.flexString()
		case "type":
			m.Type, ok = d.flexString()
		case "receiverType":
			m.ReceiverType, ok = d.flexString()
		case "parentId":
			m.ParentID, ok = d.flexString()
		case "sender":
			st.hasSenderObj = d.peek() == '{'
			if st.hasSenderObj {
				ok = d.user(&st.senderObj)
				m.Sender = st.senderObj.UID
			} else {
				m.Sender, ok = d.flexString()
			}
		case "receiver":
			st.hasRecvObj = d.peek() == '{'
			if st.hasRecvObj {
				ok = d.entity(&st.receiverObj)
				m.Receiver = first(st.receiverObj.guid, st.receiverObj.uid)
			} else {
				m.Receiver, ok = d.flexString()
			}
		case "data":
			ok = d.data(env, &st.data)
		case "tags":
			ok = d.tags(m)
		case "sentAt":
			m.SentAt, ok = d.flexInt()
		case "updatedAt":
			m.UpdatedAt, ok = d.flexInt()
		case "mentionedUsers":
			st.mentionedAt, st.mentionedDepth = d.arrayAt()
			ok = d.skip()
		case "message":
			switch {
			case !holder:
				ok = d.skip()
			case d.peek() == '{':
				wrapped, redo = true, false
				_, ok = d.message(env, st, false)
			default:
				redo = redo || wrapped
				wrapped = false
				ok = d.skip()
			}
		default:
			ok = d.skip()
		}
		if !ok {
			return false, false
		}
	}
}

// arrayAt returns the offset and depth of the array at d.i, or -1.
func (d *decoder) arrayAt() (int, int) {
	if d.peek() == '[' {
		return d.i, d.depth
	}
	return -1, 0
}

// The readers of objects below loop over member directly rather than take a
// callback per member: a closure called for each member cost more than the
// switch on its key.

// data decodes the message's data member.
func (d *decoder) data(env *rules.Env, ds *dataState) bool {
	m := &env.Message
	m.Text, m.Attachments, m.Metadata, m.CustomData, m.Mentions = "", m.Attachments[:0], nil, nil, m.Mentions[:0]
	m.Action = ""
	env.Sender = rules.User{}
	*ds = dataState{mentionedAt: -1}
	if d.peek() != '{' {
		return d.skip()
	}
	if !d.open() {
		return false
	}
	var n int
	for {
		k, more := d.member(&n)
		if !more {
			return d.err == nil
		}
		var ok bool
		switch string(k) {
		case "text":
			m.Text, ok = d.flexString()
		case "attachments":
			ok = d.attachments(m)
		case "attachment":
			ds.hasAttach = d.peek() == '{'
			if ds.hasAttach {
				ok = d.attachment(&ds.attachment)
			} else {
				ok = d.skip()
			}
		case "metadata":
			m.Metadata, ok = d.objectOrNil()
		case "customData":
			m.CustomData, ok = d.objectOrNil()
		case "custom_data":
			ds.customData, ok = d.objectOrNil()
		case "action":
			m.Action, ok = d.flexString()
		case "mentions":
			ok = d.mentions(m)
		case "mentionedUsers":
			ds.mentionedAt, ds.mentionedDepth = d.arrayAt()
			ok = d.skip()
		case "entities":
			ok = d.entities(env, ds)
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

func (d *decoder) entities(env *rules.Env, ds *dataState) bool {
	env.Sender = rules.User{}
	ds.hasSenderEnt = false
	ds.receiverEnt, ds.hasRecvEnt, ds.entityType = entity{}, false, ""
	if d.peek() != '{' {
		return d.skip()
	}
	if !d.open() {
		return false
	}
	var n int
	for {
		k, more := d.member(&n)
		if !more {
			return d.err == nil
		}
		var ok bool
		switch string(k) {
		case "sender":
			env.Sender, ds.hasSenderEnt = rules.User{}, false
			ok = d.entityHolder(&env.Sender, nil, &ds.hasSenderEnt, nil)
		case "receiver":
			ds.receiverEnt, ds.hasRecvEnt, ds.entityType = entity{}, false, ""
			ok = d.entityHolder(nil, &ds.receiverEnt, &ds.hasRecvEnt, &ds.entityType)
		case "on":
			ok = d.onEntity(ds)
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

// onEntity reads the text of data.entities.on.entity, the message an
// action message is about: for an edit, the message as edited.
func (d *decoder) onEntity(ds *dataState) bool {
	ds.onText, ds.hasOnText = "", false
	// As encoding/json does, the last of repeated keys wins: each entity
	// and data member starts afresh.
	return d.within("entity", func() bool {
		ds.onText, ds.hasOnText = "", false
		return d.within("data", func() bool {
			ds.onText, ds.hasOnText = "", false
			return d.within("text", func() (ok bool) {
				ds.onText, ok = d.flexString()
				ds.hasOnText = ok
				return ok
			})
		})
	})
}

// within reads the value at d.i, calling read at the value of each member
// key when it is an object, and skipping anything else. Only onEntity uses
// it, for the rare action messages, so the callback costs nothing that
// matters.
func (d *decoder) within(key string, read func() bool) bool {
	if d.peek() != '{' {
		return d.skip()
	}
	if !d.open() {
		return false
	}
	var n int
	for {
		k, more := d.member(&n)
		if !more {
			return d.err == nil
		}
		var ok bool
		if string(k) == key {
			ok = read()
		} else {
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

// entityHolder reads {"entity": {…}, "entityType": "…"}. The entity (the
// last "entity" member that is an object) goes to u when u is not nil, else
// to e, and has reports whether there was one. entityType, when not nil,
// receives the entity type.
func (d *decoder) entityHolder(u *rules.User, e *entity, has *bool, entityType *string) bool {
	if d.peek() != '{' {
		return d.skip()
	}
	if !d.open() {
		return false
	}
	var n int
	for {
		k, more := d.member(&n)
		if !more {
			return d.err == nil
		}
		var ok bool
		switch {
		case string(k) == "entity":
			*has = d.peek() == '{'
			switch {
			case !*has:
				if u != nil {
					*u = rules.User{}
				} else {
					*e = entity{}
				}
				ok = d.skip()
			case u != nil:
				ok = d.user(u)
			default:
				ok = d.entity(e)
			}
		case string(k) == "entityType" && entityType != nil:
			*entityType, ok = d.flexString()
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

// user decodes the user object at d.i into u: an entity, of which a sender
// has fewer fields.
func (d *decoder) user(u *rules.User) bool {
	var e entity
	ok := d.entity(&e)
	*u = rules.User{UID: e.uid, Name: e.name, Avatar: e.avatar, Role: e.role, Status: e.status, Metadata: e.metadata}
	return ok
}

// entity decodes the user or group object at d.i into e.
func (d *decoder) entity(e *entity) bool {
	*e = entity{}
	if !d.open() {
		return false
	}
	var n int
	for {
		k, more := d.member(&n)
		if !more {
			return d.err == nil
		}
		var ok bool
		switch string(k) {
		case "uid":
			e.uid, ok = d.flexString()
		case "guid":
			e.guid, ok = d.flexString()
		case "name":
			e.name, ok = d.flexString()
		case "avatar":
			e.avatar, ok = d.flexString()
		case "icon":
			e.icon, ok = d.flexString()
		case "role":
			e.role, ok = d.flexString()
		case "status":
			e.status, ok = d.flexString()
		case "type":
			e.typ, ok = d.flexString()
		case "metadata":
			e.metadata, ok = d.objectOrNil()
		case "membersCount":
			e.membersCount, ok = d.flexInt()
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

func (d *decoder) attachments(m *rules.Message) bool {
	m.Attachments = m.Attachments[:0]
	switch d.peek() {
	case '{':
		var a rules.Attachment
		ok := d.attachment(&a)
		m.Attachments = append(m.Attachments, a)
		return ok
	case '[':
		d.open()
		var n int
		for d.elem(&n) {
			if d.peek() != '{' {
				if !d.skip() {
					return false
				}
				continue
			}
			var a rules.Attachment
			if !d.attachment(&a) {
				return false
			}
			m.Attachments = append(m.Attachments, a)
		}
		return d.err == nil
	}
	return d.skip()
}

// attachment decodes the attachment object at d.i into a.
func (d *decoder) attachment(a *rules.Attachment) bool {
	*a = rules.Attachment{}
	if !d.open() {
		return false
	}
	var n int
	for {
		k, more := d.member(&n)
		if !more {
			return d.err == nil
		}
		var ok bool
		switch string(k) {
		case "url":
			a.URL, ok = d.flexString()
		case "name":
			a.Name, ok = d.flexString()
		case "mimeType":
			a.MimeType, ok = d.flexString()
		case "extension":
			a.Extension, ok = d.flexString()
		case "size":
			a.Size, ok = d.flexInt()
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

func (d *decoder) tags(m *rules.Message) bool {
	m.Tags = m.Tags[:0]
	if d.peek() != '[' {
		return d.skip()
	}
	d.open()
	var n int
	for d.elem(&n) {
		if d.peek() != '"' {
			if !d.skip() {
				return false
			}
			continue
		}
		t, ok := d.str()
		if !ok {
			return false
		}
		m.Tags = append(m.Tags, t)
	}
	return d.err == nil
}

// mentions reads data.mentions: an object keyed by uid, or, tolerated, an
// array of uids or of objects with a uid.
func (d *decoder) mentions(m *rules.Message) bool {
	m.Mentions = m.Mentions[:0]
	switch d.peek() {
	case '{':
		d.open()
		var n int
		for {
			k, ok := d.member(&n)
			if !ok {
				return d.err == nil
			}
			if len(k) > 0 {
				m.Mentions = append(m.Mentions, d.keepKey(k))
			}
			if !d.skip() {
				return false
			}
		}
	case '[':
		return d.uids(&m.Mentions)
	}
	return d.skip()
}

// uids appends the uids listed by the array at d.i: its strings, and the
// uid member of its objects.
func (d *decoder) uids(dst *[]string) bool {
	d.open()
	var n int
	for d.elem(&n) {
		var uid string
		ok := true
		switch d.peek() {
		case '"':
			uid, ok = d.str()
		case '{':
			d.open()
			var nk int
			for {
				var k []byte
				if k, ok = d.member(&nk); !ok {
					ok = d.err == nil
					break
				}
				if string(k) == "uid" {
					uid, ok = d.flexString()
				} else {
					ok = d.skip()
				}
				if !ok {
					break
				}
			}
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
		if uid != "" {
			*dst = append(*dst, uid)
		}
	}
	return d.err == nil
}

// finish settles what depends on more than one member of the message.
func (d *decoder) finish(env *rules.Env, st *msgState, fallbackUID string) {
	m := &env.Message
	ds := &st.data
	if m.CustomData == nil {
		m.CustomData = ds.customData
	}
	if len(m.Attachments) == 0 && ds.hasAttach {
		m.Attachments = append(m.Attachments, ds.attachment)
	}
	// d is past the message: go back to the arrays, and return. (A
	// decoder of its own for each would cost the arena an allocation:
	// escape analysis does not tell the fields of a struct apart.)
	i, depth := d.i, d.depth
	for _, at := range [2][2]int{{ds.mentionedAt, ds.mentionedDepth}, {st.mentionedAt, st.mentionedDepth}} {
		if at[0] >= 0 {
			d.i, d.depth = at[0], at[1]
			d.uids(&m.Mentions)
		}
	}
	d.i, d.depth = i, depth
	m.Mentions = dedupe(m.Mentions)
	if m.Sender == "" {
		m.Sender = fallbackUID
	}

	if !ds.hasSenderEnt && st.hasSenderObj {
		env.Sender = st.senderObj
	}
	if env.Sender.UID == "" {
		env.Sender.UID = m.Sender
	}

	var e *entity
	switch {
	case ds.hasRecvEnt:
		e = &ds.receiverEnt
	case st.hasRecvObj:
		e = &st.receiverObj
	}
	r := &env.Receiver
	r.EntityType = first(ds.entityType, m.ReceiverType)
	if e != nil {
		if r.EntityType == "" {
			r.EntityType = "user"
			if e.guid != "" {
				r.EntityType = "group"
			}
		}
		r.Name, r.Avatar, r.Role, r.Status, r.Metadata = e.name, first(e.avatar, e.icon), e.role, e.status, e.metadata
		r.MembersCount = e.membersCount
		if r.EntityType == "group" {
			r.UID, r.GroupType = first(e.guid, e.uid), e.typ
		} else {
			r.UID = first(e.uid, e.guid)
		}
	}
	if r.UID == "" {
		r.UID = m.Receiver
	}
	if m.Text == "" && ds.hasOnText && m.Action == "edited" {
		// An edit carries the edited message under data.entities.on: its
		// new text is what the rules must see, or editing would evade them.
		m.Text = ds.onText
	}
	env.Text = m.Text
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// dedupe drops repeated strings from s, in place, keeping the first of each.
func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	if len(s) <= 16 {
		out := s[:1]
		for _, v := range s[1:] {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		clear(s[len(out):])
		return out
	}
	seen := make(map[string]struct{}, len(s))
	out := s[:0]
	for _, v := range s {
		if _, dup := seen[v]; !dup {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	clear(s[len(out):])
	return out
}
