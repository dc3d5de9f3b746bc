-- Durable writes: each request PUTs a fresh value to one of NAME_COUNT credential
-- names, cycling over them, so the server keeps updating existing rows (as a real
-- vault does) instead of only appending, and no request is a no-op rewrite of the
-- previous value. The body has the same shape and about the same size as the
-- credential that the GET benchmark reads.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local NAME_COUNT = 100
local token = os.getenv("COFFER_TOKEN") or ""
local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}

-- setup() runs in wrk's main Lua state once per thread: give each thread a
-- distinct id so that values stay unique across threads.
local next_thread_id = 0
function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

-- Everything below runs inside each thread's own Lua state.
local sequence = 0
function request()
  sequence = sequence + 1
  local id = thread_id or 0
  -- Threads start at different offsets so that they do not all hit the same name.
  local name = string.format("bench-put-%03d", (sequence + id * 37) % NAME_COUNT)
  -- sk_live_ + 32 characters: thread id, sequence, fixed filler. Unique per request.
  local key = string.format("sk_live_t%02dn%010dABCDEFGHIJKLMNOPQRST", id, sequence)
  local body = string.format(
    '{"type":"API_KEY","data":{"key":"%s"},' ..
    '"metadata":{"service":"stripe","env":"production","owner":"billing-agent"}}',
    key)
  return wrk.format("PUT", "/v0/vault/" .. name, headers, body)
end
