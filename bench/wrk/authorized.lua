-- A GET with the token the features bench's authorizer allows.
wrk.headers["Authorization"] = "Bearer bench"
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
