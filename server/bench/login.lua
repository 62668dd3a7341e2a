-- wrk script: every request is a fresh grant JSON v1 (distinct code and idempotency key), so the
-- backend's replay guard sees a new login each time. FLOW / CLIENT_ID / SCOPE come from the environment.
local flow = os.getenv("FLOW") or "legacy_sdk"
local client_id = os.getenv("CLIENT_ID")
local scope = os.getenv("SCOPE") or "sns_login"
local counter = 0
tid = 0 -- global: setup() counts threads here, thread:set() gives each thread its own
local threads = {}

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local code = string.format("bench-%d-%d-%d", tid, os.time(), counter)
  local key = string.format("k%02d%010d%030d", tid, os.time(), counter)
  local body = string.format(
    '{"version":1,"flow":"%s","client_id":"%s","platform":"android","code":"%s","scope":"%s","issued_at_ms":1700000000000,"idempotency_key":"%s"}',
    flow, client_id, code, scope, key)
  return wrk.format("POST", "/v1/login",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }, body)
end

local non200 = 0
function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if non200 <= 3 then io.stderr:write("non-200: " .. status .. " " .. body .. "\n") end
  end
end
