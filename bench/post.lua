-- wrk script: POST one CometChat payload, with Basic auth, on every request.
-- BODY_FILE names the payload; AUTH is "user:password" (optional).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then
  -- wrk's Lua has no base64; the caller passes the header value pre-encoded.
  wrk.headers["Authorization"] = "Basic " .. auth
end
