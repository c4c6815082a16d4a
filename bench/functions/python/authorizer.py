"""The features bench's TOKEN authorizer: allows `Bearer bench`, denies anything else."""


def handler(event, context):
    allowed = event.get("authorizationToken") == "Bearer bench"
    return {
        "principalId": "bench-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if allowed else "Deny",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": {"tier": "gold"},
    }
