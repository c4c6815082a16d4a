// The products table, kept in a local JSON file.
//
// The seed keeps its products in DynamoDB through @aws-sdk/lib-dynamodb (GetCommand, PutCommand,
// ScanCommand, UpdateCommand, DeleteCommand). This module offers those operations over one JSON
// file, so the example runs with nothing installed. Every warm instance re-reads the file on each
// call and replaces it atomically (write a temporary file, then rename), so all instances see each
// other's writes; writers take a lock file first, so concurrent writes cannot lose one another.
//
// To run on DynamoDB instead, replace this file with one exporting the same functions over a
// DynamoDBDocumentClient on process.env.TABLE_NAME; app.mjs does not change.

import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The table's partition key, as in the template's KeySchema. */
export const KEY = 'productId';

const LOCK_WAIT_MS = 5000;
// A lock older than this was left by an instance that died mid-write.
const LOCK_STALE_MS = 10000;

/** The JSON file: STORAGE_PATH when set, else a file named for TABLE_NAME in the temp folder. */
export function storagePath() {
  if (process.env.STORAGE_PATH) return process.env.STORAGE_PATH;
  const table = (process.env.TABLE_NAME || 'Products').replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(tmpdir(), `lambdagate-${table}.json`);
}

async function readItems(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  const data = JSON.parse(text);
  return Array.isArray(data.items) ? data.items : [];
}

async function writeItems(file, items) {
  const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, JSON.stringify({ items }));
  await rename(temp, file);
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
      handle = await open(lock, 'wx');
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await rm(lock, { force: true });
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
    await rm(lock, { force: true });
  }
}

/** The item with this key, or undefined (GetCommand). */
export async function getItem(key) {
  return (await readItems(storagePath())).find((item) => item[KEY] === key);
}

/** Every item, oldest first (ScanCommand). */
export async function scan() {
  return readItems(storagePath());
}

/** Stores the item under its key, replacing any item with that key (PutCommand). */
export async function putItem(item) {
  return update((items) => [[...items.filter((other) => other[KEY] !== item[KEY]), item], item]);
}

/**
 * Merges `changes` into an existing item and returns the result; undefined when there is no such
 * item (UpdateCommand with `attribute_exists` as its condition).
 */
export async function updateItem(key, changes) {
  return update((items) => {
    const index = items.findIndex((item) => item[KEY] === key);
    if (index < 0) return [null, undefined];
    const merged = { ...items[index], ...changes, [KEY]: key };
    const next = items.slice();
    next[index] = merged;
    return [next, merged];
  });
}

/** Removes the item and returns it; undefined when there was none (DeleteCommand, ALL_OLD). */
export async function deleteItem(key) {
  return update((items) => {
    const old = items.find((item) => item[KEY] === key);
    return old ? [items.filter((item) => item[KEY] !== key), old] : [null, undefined];
  });
}
