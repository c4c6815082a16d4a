// The items table, kept in a local JSON file.
//
// The seed keeps its items in DynamoDB through the AWS SDK. This module offers the same operations
// (getItem, putItem, scan, updateItem, deleteItem) over one JSON file, so the example runs with
// nothing installed. Every warm instance re-reads the file on each call and replaces it atomically
// (write a temporary file, then rename), so all instances see each other's writes; writers take a
// lock file first, so two concurrent writes cannot lose one another.
//
// To run on DynamoDB instead, replace this file with one exporting the same functions over
// @aws-sdk/lib-dynamodb (GetCommand, PutCommand, ScanCommand, UpdateCommand, DeleteCommand) on
// process.env.TABLE_NAME; the handlers do not change.
'use strict';

const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const LOCK_WAIT_MS = 5000;
// A lock older than this was left by an instance that died mid-write.
const LOCK_STALE_MS = 10000;

/** The JSON file: STORAGE_PATH when set, else a file named for TABLE_NAME in the temp folder. */
function storagePath() {
  if (process.env.STORAGE_PATH) return process.env.STORAGE_PATH;
  const table = (process.env.TABLE_NAME || 'Items').replace(/[^A-Za-z0-9_.-]/g, '_');
  return path.join(os.tmpdir(), `lambdagate-${table}.json`);
}

async function readItems(file) {
  let text;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  const data = JSON.parse(text);
  return Array.isArray(data.items) ? data.items : [];
}

async function writeItems(file, items) {
  const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(temp, JSON.stringify({ items }));
  await fs.rename(temp, file);
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `change(items)` under the lock; it returns [newItems or null to keep, result]. */
async function update(change) {
  const file = storagePath();
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let handle;
  for (;;) {
    try {
      handle = await fs.open(lock, 'wx');
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = await fs.stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await fs.rm(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`storage lock ${lock} is busy`);
      else await pause(2 + Math.random() * 8);
    }
  }
  try {
    const [items, result] = change(await readItems(file));
    if (items) await writeItems(file, items);
    return result;
  } finally {
    await handle.close();
    await fs.rm(lock, { force: true });
  }
}

/** The item with this id, or undefined. */
async function getItem(id) {
  return (await readItems(storagePath())).find((item) => item.id === id);
}

/** Every item, oldest first. */
async function scan() {
  return readItems(storagePath());
}

/** Stores the item under item.id, replacing any item with that id (as PutItem does). */
async function putItem(item) {
  return update((items) => [[...items.filter((other) => other.id !== item.id), item], item]);
}

/** Merges `changes` into an existing item and returns it; undefined when there is no such item. */
async function updateItem(id, changes) {
  return update((items) => {
    const index = items.findIndex((item) => item.id === id);
    if (index < 0) return [null, undefined];
    const merged = { ...items[index], ...changes, id };
    const next = items.slice();
    next[index] = merged;
    return [next, merged];
  });
}

/** Removes the item; deleting a missing item is not an error (as with DeleteItem). */
async function deleteItem(id) {
  return update((items) => [items.filter((item) => item.id !== id), undefined]);
}

module.exports = { storagePath, getItem, scan, putItem, updateItem, deleteItem };
