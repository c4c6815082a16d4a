-- Prints one machine-readable line after a wrk run:
-- RESULT requests duration_us p50_us p99_us non2xx socket_errors
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
