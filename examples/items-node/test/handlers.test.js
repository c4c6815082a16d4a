// The handlers' logic, called directly with the sample events (no server, nothing to install).
// Run from the example folder: node --test
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');

const example = path.join(__dirname, '..');
const event = (name, changes = {}) => ({
  ...JSON.parse(fs.readFileSync(path.join(example, 'events', `${name}.json`), 'utf8')),
  ...changes,
});

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'items-node-test-'));
process.env.STORAGE_PATH = path.join(folder, 'items.json');
test.after(() => fs.rmSync(folder, { recursive: true, force: true }));

const get = require('../src/handlers/get');
const create = require('../src/handlers/create');

test('create then get', async () => {
  const created = await create.handler(event('create-item'));
  assert.equal(created.statusCode, 201);
  const item = JSON.parse(created.body);
  assert.equal(item.name, 'Test');
  assert.match(item.id, /^[0-9a-f-]{36}$/);

  const fetched = await get.handler(event('get-item', { pathParameters: { id: item.id } }));
  assert.equal(fetched.statusCode, 200);
  assert.deepEqual(JSON.parse(fetched.body), item);
});

test('unknown id is 404, missing id is 400', async () => {
  const missing = await get.handler(event('get-item', { pathParameters: { id: 'nope' } }));
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(JSON.parse(missing.body), { error: 'Item not found' });
  const noId = await get.handler(event('get-item', { pathParameters: undefined }));
  assert.equal(noId.statusCode, 400);
});

test('bad bodies are 400', async () => {
  for (const body of ['{oops', '[1]', '7', 'null']) {
    const answer = await create.handler(event('create-item', { body }));
    assert.equal(answer.statusCode, 400, body);
  }
});

test('concurrent writers in separate processes lose nothing', async () => {
  process.env.STORAGE_PATH = path.join(folder, 'concurrent.json');
  const writer = `
    const store = require(${JSON.stringify(path.join(example, 'src/lib/store.js'))});
    (async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) =>
        store.putItem({ id: process.pid + '-' + i })));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const run = promisify(execFile);
  await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['-e', writer])));
  const store = require('../src/lib/store');
  assert.equal((await store.scan()).length, 40);
  assert.equal(fs.readdirSync(folder).filter((name) => name.endsWith('.lock')).length, 0);
});
