"""The items table, kept in a local SQLite file.

The seed keeps its items in DynamoDB through boto3 (`table.scan()`, `put_item`, `get_item`,
`delete_item`). This module offers the same five operations over a SQLite file, so the example
runs with nothing installed. Every warm instance of the function opens the same file, so they all
see each other's writes, as they would with one DynamoDB table.

To run on DynamoDB instead, replace this module with one of the same names over
`boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])`; `app.py` does not change.
"""

import json
import os
import sqlite3
import tempfile

_connection = None
_connection_path = None


def storage_path():
    """The SQLite file: STORAGE_PATH when set, else a file named for TABLE_NAME in the temp folder."""
    configured = os.environ.get("STORAGE_PATH", "")
    if configured:
        return configured
    table = os.environ.get("TABLE_NAME") or "Items"
    return os.path.join(tempfile.gettempdir(), f"lambdagate-{table}.sqlite3")


def _db():
    # One connection per warm instance, reopened if the configured path changes (tests do that).
    global _connection, _connection_path
    path = storage_path()
    if _connection is None or _connection_path != path:
        if _connection is not None:
            _connection.close()
        # Several instances write at once: wait for the lock rather than failing at once.
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, item TEXT NOT NULL)"
        )
        _connection, _connection_path = conn, path
    return _connection


def scan():
    """Every item, oldest first (DynamoDB's scan order is unspecified; this one is stable)."""
    rows = _db().execute("SELECT item FROM items ORDER BY rowid").fetchall()
    return [json.loads(row[0]) for row in rows]


def get_item(item_id):
    """The item with this id, or None."""
    row = _db().execute("SELECT item FROM items WHERE id = ?", (item_id,)).fetchone()
    return json.loads(row[0]) if row else None


def put_item(item):
    """Stores the item under item["id"], replacing any item with that id (as PutItem does)."""
    _db().execute(
        "INSERT INTO items (id, item) VALUES (?, ?) "
        "ON CONFLICT(id) DO UPDATE SET item = excluded.item",
        (item["id"], json.dumps(item)),
    )
    return item


def update_item(item_id, changes):
    """Merges `changes` into an existing item and returns it; None when there is no such item."""
    db = _db()
    # BEGIN IMMEDIATE takes the write lock first, so two concurrent updates cannot lose one.
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT item FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            db.execute("ROLLBACK")
            return None
        item = {**json.loads(row[0]), **changes, "id": item_id}
        db.execute("UPDATE items SET item = ? WHERE id = ?", (json.dumps(item), item_id))
        db.execute("COMMIT")
        return item
    except BaseException:
        db.execute("ROLLBACK")
        raise


def delete_item(item_id):
    """Removes the item; deleting a missing item is not an error (as with DeleteItem)."""
    _db().execute("DELETE FROM items WHERE id = ?", (item_id,))
