"""The benchmark's hello world: the same answer under every tool, so only the tools differ."""


def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hello"}
