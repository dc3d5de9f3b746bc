-- Shared by every wrk script of the benchmark: prints one machine-readable line
-- when the run ends, so run.sh never has to scrape wrk's human-oriented output
-- (whose units change between "us", "ms" and "s" depending on the value).
--
--   BENCH_RESULT rps=<requests/s> p50_us=<int> p99_us=<int> requests=<int> duration_us=<int> non2xx=<int> socket_errors=<int>
--
-- If BENCH_HISTOGRAM names a file, the latency histogram is also appended to it,
-- one "<latency in us> <count>" line per non-empty bucket, so that run.sh can
-- merge the histograms of several short runs and take one exact percentile.
--
-- wrk calls done() once, in its main Lua state, after all threads stopped.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6            -- summary.duration is in microseconds
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d duration_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests / seconds,
    latency:percentile(50),
    latency:percentile(99),
    summary.requests,
    summary.duration,
    e.status,                                        -- HTTP status >= 400
    e.connect + e.read + e.write + e.timeout))
  local path = os.getenv("BENCH_HISTOGRAM") or ""
  if path ~= "" then
    local file = assert(io.open(path, "a"))
    -- latency(i) is the i-th non-empty bucket: its latency (us) and its count.
    for i = 1, #latency do
      local value, count = latency(i)
      file:write(string.format("%d %d\n", value, count))
    end
    file:close()
  end
end
