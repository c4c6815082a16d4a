// The handler's logic, called directly with the sample events (no server, nothing to install).
// Run from the example folder: node --test
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const example = new URL('..', import.meta.url).pathname;
const event = (name, changes = {}) => ({
  ...JSON.parse(readFileSync(join(example, 'events', `${name}.json`), 'utf8')),
  ...changes,
});

const folder = mkdtempSync(join(tmpdir(), 'products-rest-test-'));
process.env.STORAGE_PATH = join(folder, 'products.json');
test.after(() => rmSync(folder, { recursive: true, force: true }));

const { handler } = await import('../src/app.mjs');
const at = (id) => ({ pathParameters: { productId: id }, path: `/products/${id}` });

test('create, list, get, update, delete', async () => {
  const created = await handler(event('create-product'));
  assert.equal(created.statusCode, 201);
  assert.equal(created.headers['Access-Control-Allow-Origin'], '*');
  const product = JSON.parse(created.body);
  assert.equal(product.name, 'Desk lamp');
  assert.equal(product.price, 24.5);

  const listed = await handler(event('list-products'));
  assert.deepEqual(JSON.parse(listed.body), [product]);

  const fetched = await handler(event('get-product', at(product.productId)));
  assert.deepEqual(JSON.parse(fetched.body), product);

  const updated = await handler(event('update-product', at(product.productId)));
  assert.equal(updated.statusCode, 200);
  const after = JSON.parse(updated.body);
  assert.equal(after.price, 19.99);
  assert.equal(after.name, 'Desk lamp');
  assert.equal(after.createdAt, product.createdAt);

  const deleted = await handler(event('delete-product', at(product.productId)));
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');
  const gone = await handler(event('get-product', at(product.productId)));
  assert.equal(gone.statusCode, 404);
  assert.equal((await handler(event('delete-product', at(product.productId)))).statusCode, 404);
  assert.equal((await handler(event('update-product', at(product.productId)))).statusCode, 404);
});

test('invalid bodies are 400', async () => {
  for (const body of ['{', '[]', '{"price": 3}', '{"name": "x", "price": -1}', '{"name": ""}']) {
    const answer = await handler(event('create-product', { body }));
    assert.equal(answer.statusCode, 400, body);
  }
});

test('the key cannot be changed through the body', async () => {
  const product = JSON.parse((await handler(event('create-product'))).body);
  const body = JSON.stringify({ productId: 'other', name: 'Renamed' });
  const updated = JSON.parse((await handler(event('update-product', { ...at(product.productId), body }))).body);
  assert.equal(updated.productId, product.productId);
  assert.equal(updated.name, 'Renamed');
});

test('unknown routes are 404', async () => {
  const answer = await handler(event('list-products', { httpMethod: 'PATCH' }));
  assert.equal(answer.statusCode, 404);
});
