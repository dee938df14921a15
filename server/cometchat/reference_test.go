package cometchat

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/modgate/modgate/rules"
)

// This file holds a reference decoder: the mapping of SPEC §6 written as a
// plain walk over what encoding/json makes of the body. It is slow and
// obviously right, and the tests and fuzz targets check that the decoder
// agrees with it on every input.

// refResult is what the reference makes of a body: the Env, or the error
// message. syntax marks a body that is not valid JSON, whose message the
// reference does not predict.
type refResult struct {
	env    rules.Env
	errMsg string
	syntax bool
}

func refFail(msg string) refResult { return refResult{errMsg: msg} }

// refTop checks what both endpoints check first and returns the top-level
// object with numbers as json.Number.
func refTop(body []byte) (map[string]any, *refResult) {
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		r := refFail("body is empty")
		return nil, &r
	}
	if !json.Valid(body) {
		return nil, &refResult{syntax: true}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic("valid JSON failed to decode: " + err.Error())
	}
	top, ok := v.(map[string]any)
	if !ok {
		r := refFail("body must be a JSON object, got " + refKind(v))
		return nil, &r
	}
	return top, nil
}

func refKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

func refWebhook(body []byte, withPayload bool) refResult {
	top, r := refTop(body)
	if r != nil {
		return *r
	}
	t, ok := top["trigger"]
	if !ok {
		return refFail("trigger is missing")
	}
	trigger, ok := t.(string)
	switch {
	case !ok:
		return refFail("trigger must be a string")
	case trigger == "":
		return refFail("trigger is empty")
	}
	data, ok := top["data"]
	if !ok {
		return refFail("data is missing")
	}
	holder, ok := data.(map[string]any)
	if !ok {
		return refFail("data holds no message: expected an object at data or data.message")
	}
	env := rules.Env{Trigger: trigger, AppID: refString(top["appId"]), Webhook: refString(top["webhook"])}
	refHolder(&env, holder, "")
	if withPayload {
		env.Payload = refPayload(body)
	}
	return refResult{env: env}
}

func refModeration(body []byte, withPayload bool) refResult {
	top, r := refTop(body)
	if r != nil {
		return *r
	}
	if _, ok := top["contextMessages"]; !ok {
		return refFail("contextMessages is missing")
	}
	// Walk contextMessages again as tokens: an element's keys are ordered.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		panic(err)
	}
	var elems []json.RawMessage
	if list := raw["contextMessages"]; list[0] != '[' || json.Unmarshal(list, &elems) != nil {
		return refFail("contextMessages must be an array")
	}
	env := rules.Env{Trigger: "moderation_api"}
	var (
		msg    map[string]any
		msgUID string
		msgAt  = -1
	)
	for i, el := range elems {
		if el[0] != '{' {
			return refFail("contextMessages[" + strconv.Itoa(i) + "] must be an object mapping a sender uid to a message")
		}
		dec := json.NewDecoder(bytes.NewReader(el))
		dec.UseNumber()
		dec.Token() // {
		for dec.More() {
			k, _ := dec.Token()
			var v any
			if err := dec.Decode(&v); err != nil {
				panic(err)
			}
			uid := k.(string)
			switch v := v.(type) {
			case string, json.Number:
				env.Context = append(env.Context, rules.ContextMessage{Sender: uid, Text: refString(v)})
			case map[string]any:
				var e rules.Env
				refHolder(&e, v, uid)
				env.Context = append(env.Context, rules.ContextMessage{Sender: uid, Text: e.Text})
				msg, msgUID, msgAt = v, uid, len(env.Context)-1
			}
		}
	}
	// Later contextMessages members replace earlier ones; any element that is
	// not an object was reported above, in the last one as in the others, so
	// check that the last one is the one walked.
	if msgAt < 0 {
		return refFail("contextMessages holds no message object")
	}
	env.Context = slices.Delete(env.Context, msgAt, msgAt+1)
	refHolder(&env, msg, msgUID)
	if withPayload {
		env.Payload = refPayload(body)
	}
	return refResult{env: env}
}

func refPayload(body []byte) map[string]any {
	var p map[string]any
	json.Unmarshal(body, &p) // an out-of-range number is an error, but p has the rest
	return p
}

func refString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	}
	return ""
}

func refInt(v any) int {
	switch v := v.(type) {
	case string:
		return refParseInt(v)
	case json.Number:
		return refParseInt(string(v))
	}
	return 0
}

func refParseInt(s string) int {
	if n, err := strconv.ParseInt(s, 10, strconv.IntSize); err == nil {
		return int(n)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f < -(1<<(strconv.IntSize-1)) || f >= 1<<(strconv.IntSize-1) {
		return 0
	}
	return int(f)
}

// refMap returns v as a map with numbers as float64, as encoding/json would
// decode it into an any.
func refMap(v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return refGeneric(m).(map[string]any)
}

func refGeneric(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil
		}
		return f
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = refGeneric(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = refGeneric(e)
		}
		return a
	}
	return v
}

func refUser(v any) (rules.User, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return rules.User{}, false
	}
	return rules.User{
		UID:      refString(m["uid"]),
		Name:     refString(m["name"]),
		Avatar:   refString(m["avatar"]),
		Role:     refString(m["role"]),
		Status:   refString(m["status"]),
		Metadata: refMap(m["metadata"]),
	}, true
}

func refUIDs(v any) []string {
	a, _ := v.([]any)
	var uids []string
	for _, e := range a {
		var uid string
		switch e := e.(type) {
		case string:
			uid = e
		case map[string]any:
			uid = refString(e["uid"])
		}
		if uid != "" {
			uids = append(uids, uid)
		}
	}
	return uids
}

func refAttachment(v any) rules.Attachment {
	m := v.(map[string]any)
	return rules.Attachment{
		URL:       refString(m["url"]),
		Name:      refString(m["name"]),
		MimeType:  refString(m["mimeType"]),
		Extension: refString(m["extension"]),
		Size:      refInt(m["size"]),
	}
}

// refHolder fills the message part of env from the object under data.
func refHolder(env *rules.Env, holder map[string]any, fallbackUID string) {
	msg := holder
	if inner, ok := holder["message"].(map[string]any); ok {
		msg = inner
	}
	data, _ := msg["data"].(map[string]any)
	m := rules.Message{
		ID:             refString(msg["id"]),
		MUID:           refString(msg["muid"]),
		ConversationID: refString(msg["conversationId"]),
		Category:       refString(msg["category"]),
		Type:           refString(msg["type"]),
		ReceiverType:   refString(msg["receiverType"]),
		Receiver:       refString(msg["receiver"]),
		Sender:         refString(msg["sender"]),
		ParentID:       refString(msg["parentId"]),
		Text:           refString(data["text"]),
		Action:         refString(data["action"]),
		Metadata:       refMap(data["metadata"]),
		CustomData:     refMap(data["customData"]),
		SentAt:         refInt(msg["sentAt"]),
		UpdatedAt:      refInt(msg["updatedAt"]),
	}
	if m.CustomData == nil {
		m.CustomData = refMap(data["custom_data"])
	}
	switch a := data["attachments"].(type) {
	case map[string]any:
		m.Attachments = append(m.Attachments, refAttachment(a))
	case []any:
		for _, e := range a {
			if _, ok := e.(map[string]any); ok {
				m.Attachments = append(m.Attachments, refAttachment(e))
			}
		}
	}
	if a, ok := data["attachment"].(map[string]any); ok && len(m.Attachments) == 0 {
		m.Attachments = append(m.Attachments, refAttachment(a))
	}
	switch mentions := data["mentions"].(type) {
	case map[string]any:
		for uid := range mentions {
			if uid != "" {
				m.Mentions = append(m.Mentions, uid)
			}
		}
	case []any:
		m.Mentions = refUIDs(mentions)
	}
	m.Mentions = append(m.Mentions, refUIDs(data["mentionedUsers"])...)
	m.Mentions = append(m.Mentions, refUIDs(msg["mentionedUsers"])...)
	slices.Sort(m.Mentions) // the order of data.mentions is lost in a map
	m.Mentions = slices.Compact(m.Mentions)
	tags, _ := msg["tags"].([]any)
	for _, t := range tags {
		if t, ok := t.(string); ok {
			m.Tags = append(m.Tags, t)
		}
	}

	senderObj, hasSenderObj := refUser(msg["sender"])
	if hasSenderObj {
		m.Sender = senderObj.UID
	}
	recvObj, hasRecvObj := msg["receiver"].(map[string]any)
	if hasRecvObj {
		m.Receiver = first(refString(recvObj["guid"]), refString(recvObj["uid"]))
	}
	if m.Sender == "" {
		m.Sender = fallbackUID
	}

	entities, _ := data["entities"].(map[string]any)
	senderEnt, _ := entities["sender"].(map[string]any)
	sender, ok := refUser(senderEnt["entity"])
	if !ok && hasSenderObj {
		sender = senderObj
	}
	if sender.UID == "" {
		sender.UID = m.Sender
	}

	recvEnt, _ := entities["receiver"].(map[string]any)
	re, ok := recvEnt["entity"].(map[string]any)
	if !ok && hasRecvObj {
		re = recvObj
	}
	recv := rules.Receiver{EntityType: first(refString(recvEnt["entityType"]), m.ReceiverType)}
	if re != nil {
		uid, guid := refString(re["uid"]), refString(re["guid"])
		if recv.EntityType == "" {
			recv.EntityType = "user"
			if guid != "" {
				recv.EntityType = "group"
			}
		}
		recv.Name = refString(re["name"])
		recv.Avatar = first(refString(re["avatar"]), refString(re["icon"]))
		recv.Role = refString(re["role"])
		recv.Status = refString(re["status"])
		recv.Metadata = refMap(re["metadata"])
		recv.MembersCount = refInt(re["membersCount"])
		if recv.EntityType == "group" {
			recv.UID, recv.GroupType = first(guid, uid), refString(re["type"])
		} else {
			recv.UID = first(uid, guid)
		}
	}
	if recv.UID == "" {
		recv.UID = m.Receiver
	}

	on, _ := entities["on"].(map[string]any)
	onEntity, _ := on["entity"].(map[string]any)
	onData, _ := onEntity["data"].(map[string]any)
	if t, ok := onData["text"]; ok && m.Text == "" && m.Action == "edited" {
		m.Text = refString(t)
	}

	env.Message, env.Sender, env.Receiver, env.Text = m, sender, recv, m.Text
}

// normalize makes an Env comparable with reflect.DeepEqual: empty slices
// become nil (a reused Env keeps their capacity) and, when sortMentions is
// set, mentions are sorted, for the reference loses their order.
func normalize(env rules.Env, sortMentions bool) rules.Env {
	m := &env.Message
	if len(m.Attachments) == 0 {
		m.Attachments = nil
	}
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
	if len(env.Context) == 0 {
		env.Context = nil
	}
	if len(m.Mentions) == 0 {
		m.Mentions = nil
	} else if sortMentions {
		m.Mentions = slices.Sorted(slices.Values(m.Mentions))
	}
	return env
}

func isSyntaxMsg(msg string) bool { return strings.HasPrefix(msg, "body is not valid JSON: ") }
