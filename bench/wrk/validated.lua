-- A POST that passes the features bench's request validation: the required header and a body
-- that matches the Order model.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Tenant"] = "bench"
wrk.body = [[{"item":"tea","quantity":2}]]
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
