-- GET the same URL on every request, with coffer's bearer token.
-- The nginx baseline uses this script too, so both servers receive byte-identical
-- requests (nginx simply ignores the Authorization header).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("COFFER_TOKEN") or "")
