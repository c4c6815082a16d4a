// POST /items: stores the JSON object in the body under a new id and answers 201 with it.
'use strict';

const { randomUUID } = require('node:crypto');
const { putItem } = require('../lib/store');

const json = (statusCode, body) => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

exports.handler = async (event) => {
  let text = event.body || '';
  if (event.isBase64Encoded) text = Buffer.from(text, 'base64').toString('utf8');

  let data;
  try {
    data = text.trim() ? JSON.parse(text) : {};
  } catch {
    return json(400, { error: 'Body is not valid JSON' });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return json(400, { error: 'Body must be a JSON object' });
  }

  const item = { ...data, id: randomUUID(), createdAt: new Date().toISOString() };
  await putItem(item);
  return json(201, item);
};
