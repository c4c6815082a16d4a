"""Signs the requests described on stdin with botocore's SigV4 signers (header and presigned
query forms) and prints them as sent: the test feeds them to lambdagate's verifier."""
import json
import sys

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for case in json.load(sys.stdin):
    creds = Credentials(case["access_key"], case["secret"], case.get("token"))
    body = case.get("body", "").encode()
    request = AWSRequest(
        method=case["method"], url=case["url"], data=body, headers=case.get("headers", {})
    )
    if case.get("presign"):
        SigV4QueryAuth(creds, "execute-api", case["region"], expires=case["expires"]).add_auth(request)
    else:
        SigV4Auth(creds, "execute-api", case["region"]).add_auth(request)
    prepared = request.prepare()
    out.append(
        {
            "method": prepared.method,
            "url": prepared.url,
            "headers": [[k, v] for k, v in prepared.headers.items()],
            "body": case.get("body", ""),
        }
    )
json.dump(out, sys.stdout)
