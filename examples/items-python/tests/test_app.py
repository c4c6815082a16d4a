"""The handler's logic, called directly with the sample events (no server, nothing to install).

Run from the example folder: python3 -m unittest discover -s tests
"""

import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(EXAMPLE / "src"))

import app  # noqa: E402


def event(name, **changes):
    data = json.loads((EXAMPLE / "events" / f"{name}.json").read_text())
    data.update(changes)
    return data


class ItemsHandlerTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        os.environ["STORAGE_PATH"] = os.path.join(self.folder.name, "items.sqlite3")

    def tearDown(self):
        os.environ.pop("STORAGE_PATH", None)
        self.folder.cleanup()

    def test_create_list_get_delete(self):
        created = app.lambda_handler(event("create-item"), None)
        self.assertEqual(created["statusCode"], 201)
        item = json.loads(created["body"])
        self.assertEqual(item["name"], "Test")
        self.assertEqual(created["headers"]["Access-Control-Allow-Origin"], "*")

        listed = app.lambda_handler(event("list-items"), None)
        self.assertEqual(listed["statusCode"], 200)
        self.assertEqual(json.loads(listed["body"]), [item])

        get = event("get-item", pathParameters={"id": item["id"]})
        fetched = app.lambda_handler(get, None)
        self.assertEqual((fetched["statusCode"], json.loads(fetched["body"])), (200, item))

        delete = event("delete-item", pathParameters={"id": item["id"]})
        deleted = app.lambda_handler(delete, None)
        self.assertEqual((deleted["statusCode"], deleted["body"]), (204, ""))

        missing = app.lambda_handler(get, None)
        self.assertEqual(missing["statusCode"], 404)
        self.assertEqual(json.loads(missing["body"]), {"error": "Not found"})

    def test_preflight_answers_cors(self):
        answer = app.lambda_handler(event("preflight"), None)
        self.assertEqual(answer["statusCode"], 200)
        self.assertEqual(answer["headers"]["Access-Control-Allow-Methods"], "GET,POST,DELETE,OPTIONS")

    def test_bad_bodies_are_400(self):
        for body in ["{not json", "[1, 2]", "42"]:
            answer = app.lambda_handler(event("create-item", body=body), None)
            self.assertEqual(answer["statusCode"], 400, body)

    def test_base64_body_is_decoded(self):
        answer = app.lambda_handler(
            event("create-item", body="eyJuYW1lIjogIkI2NCJ9", isBase64Encoded=True), None
        )
        self.assertEqual(answer["statusCode"], 201)
        self.assertEqual(json.loads(answer["body"])["name"], "B64")

    def test_unknown_route_is_404(self):
        answer = app.lambda_handler(event("list-items", httpMethod="PATCH"), None)
        self.assertEqual(answer["statusCode"], 404)


if __name__ == "__main__":
    unittest.main()
