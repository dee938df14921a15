# The policy of bench/rules/realistic13.yaml in Rego, for the load test's
# comparison with OPA (bench/run.sh). OPA answers POST
# /v1/data/modgate/verdict with {"input": <the CometChat envelope>}: it reads
# the envelope as modgate's decoder does and returns the verdict and tags.
package modgate

import rego.v1

msg := object.get(input, "data", {})

text := object.get(msg, ["data", "text"], "")

sender := object.get(msg, ["data", "entities", "sender", "entity"], {})

receiver := object.get(msg, ["data", "entities", "receiver", "entity"], {})

staff_roles := {"moderator", "admin", "owner"}

banned_phrases := ["wire me money", "buy followers", "free crypto", "send bitcoin", "click this link", "dm me for prices"]

blocked_words := {"scam", "scammer", "spam", "idiot", "moron", "loser", "nsfw", "xxx"}

# Words as modgate's words(): lower-cased runs of letters and digits.
words := [w | some w in regex.split(`[^\pL\pN\pM']+`, lower(text)); w != ""]

allow if object.get(sender, "role", "") in staff_roles

drop if {
	some p in banned_phrases
	contains(lower(text), p)
}

drop if {
	some w in words
	w in blocked_words
}

drop if contains(sprintf("%v", [object.get(msg, ["data", "customData", "question"], "")]), "crypto")

drop if object.get(input, "appId", "") == "not-our-app"

drop if {
	sent := object.get(msg, "sentAt", 0)
	sent > 0
	sent < 1000000000
}

drop if count(object.get(msg, ["data", "mentionedUsers"], [])) > 5

tags contains "link" if regex.match(`https?://`, text)

tags contains "media" if {
	object.get(msg, "type", "") in {"image", "video", "file"}
	count(object.get(msg, ["data", "attachments"], [])) > 0
}

tags contains "shouting" if {
	count(text) >= 8
	upper(text) == text
	lower(text) != text
}

tags contains "priority" if object.get(msg, ["data", "metadata", "priority"], "") == "high"

tags contains "edited" if {
	object.get(input, "webhook", "") == "edit-message"
	object.get(msg, "type", "") == "text"
}

default verdict := {"action": "pass"}

verdict := {"action": "allow"} if allow
else := {"action": "drop"} if drop
else := {"action": "tag", "tags": tags} if count(tags) > 0
