-- A direct Lambda Invoke API call (POST /2015-03-31/functions/NAME/invocations) with an HTTP API
-- v2 event of the size the gateway would build, so the comparison with a gateway route is fair.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"version":"2.0","routeKey":"GET /rust","rawPath":"/rust","rawQueryString":"","headers":{"host":"127.0.0.1","user-agent":"wrk","accept":"*/*"},"requestContext":{"accountId":"123456789012","apiId":"abcdef1234","domainName":"127.0.0.1","domainPrefix":"127","http":{"method":"GET","path":"/rust","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"wrk"},"requestId":"JKJaXmPLvHcESHA=","routeKey":"GET /rust","stage":"$default","time":"10/Mar/2026:12:00:00 +0000","timeEpoch":1773144000000},"isBase64Encoded":false}]]
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
