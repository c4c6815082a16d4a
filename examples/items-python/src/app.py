"""Seed 001's items API: one function behind a REST API (proxy integration, payload v1).

Routes: GET/POST /items, GET/DELETE /items/{id}, and OPTIONS on both for browser preflights.
A REST API adds no CORS headers to proxy responses, so every answer carries them from here.
"""

import base64
import json
import uuid

import storage

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,DELETE,OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type,Authorization",
}


def lambda_handler(event, context):
    method = event.get("httpMethod")
    # Route on the matched resource, not the raw path: the path differs with stages, custom
    # domains and base paths, and the id arrives decoded in pathParameters.
    resource = event.get("resource")
    item_id = (event.get("pathParameters") or {}).get("id")

    if method == "OPTIONS":
        return {"statusCode": 200, "headers": dict(CORS_HEADERS), "body": ""}

    if resource == "/items" and method == "GET":
        return response(200, storage.scan())

    if resource == "/items" and method == "POST":
        data, problem = parse_object_body(event)
        if problem:
            return response(400, {"error": problem})
        # As in the seed, a client-supplied id wins over the generated one.
        item = {"id": str(uuid.uuid4()), **data}
        return response(201, storage.put_item(item))

    if resource == "/items/{id}" and method == "GET":
        item = storage.get_item(item_id)
        if not item:
            return response(404, {"error": "Not found"})
        return response(200, item)

    if resource == "/items/{id}" and method == "DELETE":
        storage.delete_item(item_id)
        return response(204, None)

    return response(404, {"error": "Route not found"})


def parse_object_body(event):
    """The request body as a JSON object, or (None, reason) when it is not one."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except ValueError:
            return None, "Body is not valid base64-encoded UTF-8"
    if not raw.strip():
        return {}, None
    try:
        data = json.loads(raw)
    except ValueError:
        return None, "Body is not valid JSON"
    if not isinstance(data, dict):
        return None, "Body must be a JSON object"
    return data, None


def response(status_code, body):
    """A proxy response: JSON body (empty for None) with the CORS headers."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json", **CORS_HEADERS},
        "body": json.dumps(body) if body is not None else "",
    }
