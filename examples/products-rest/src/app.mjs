// Seed 003's products API: a single function behind a REST API (proxy integration, payload v1)
// that routes internally instead of one function per endpoint.
//
//   /products                GET -> list (scan)       POST -> create (put)
//   /products/{productId}    GET -> get   PUT -> update   DELETE -> delete
//
// A REST API adds no CORS headers to proxy responses, so every answer carries them from here.

import { randomUUID } from 'node:crypto';
import { KEY, deleteItem, getItem, putItem, scan, updateItem } from './lib/store.mjs';

const HEADERS = {
  'Content-Type': 'application/json',
  'Access-Control-Allow-Origin': '*',
};

const reply = (statusCode, body) => ({
  statusCode,
  headers: HEADERS,
  body: body === undefined ? '' : JSON.stringify(body),
});

// Fields the client may not set: the key is the path's, the timestamps are the server's.
const OWN_FIELDS = [KEY, 'createdAt', 'updatedAt'];

/** The body as a JSON object without the server-owned fields, or an error message. */
function parseBody(event) {
  let text = event.body ?? '';
  if (event.isBase64Encoded) text = Buffer.from(text, 'base64').toString('utf8');
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return { error: 'Body is not valid JSON' };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { error: 'Body must be a JSON object' };
  }
  for (const field of OWN_FIELDS) delete data[field];
  return { data };
}

function checkFields(data, { partial }) {
  if (!partial || 'name' in data) {
    if (typeof data.name !== 'string' || !data.name.trim()) return 'name must be a non-empty string';
  }
  if ('price' in data && (typeof data.price !== 'number' || !(data.price >= 0))) {
    return 'price must be a number at least 0';
  }
  return null;
}

async function listProducts() {
  return reply(200, await scan());
}

async function createProduct(event) {
  const { data, error } = parseBody(event);
  if (error) return reply(400, { error });
  const problem = checkFields(data, { partial: false });
  if (problem) return reply(400, { error: problem });
  const now = new Date().toISOString();
  const product = { [KEY]: randomUUID(), ...data, createdAt: now, updatedAt: now };
  return reply(201, await putItem(product));
}

async function getProduct(id) {
  const product = await getItem(id);
  return product ? reply(200, product) : reply(404, { error: 'Product not found' });
}

async function updateProduct(id, event) {
  const { data, error } = parseBody(event);
  if (error) return reply(400, { error });
  const problem = checkFields(data, { partial: true });
  if (problem) return reply(400, { error: problem });
  const product = await updateItem(id, { ...data, updatedAt: new Date().toISOString() });
  return product ? reply(200, product) : reply(404, { error: 'Product not found' });
}

async function deleteProduct(id) {
  const old = await deleteItem(id);
  return old ? reply(204) : reply(404, { error: 'Product not found' });
}

export const handler = async (event) => {
  const method = event.httpMethod;
  // Route on the matched resource: the raw path changes with stages and custom domains.
  const id = event.pathParameters?.productId;
  switch (`${method} ${event.resource}`) {
    case 'GET /products':
      return listProducts();
    case 'POST /products':
      return createProduct(event);
    case 'GET /products/{productId}':
      return getProduct(id);
    case 'PUT /products/{productId}':
      return updateProduct(id, event);
    case 'DELETE /products/{productId}':
      return deleteProduct(id);
    default:
      return reply(404, { error: `No route for ${method} ${event.path}` });
  }
};
