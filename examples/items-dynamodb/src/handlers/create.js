// src/handlers/create.js
const { randomUUID } = require('node:crypto');
const { putItem } = require('../lib/dynamodb');

exports.handler = async (event) => {
  let data;
  try {
    data = JSON.parse(event.body || '{}');
  } catch {
    data = undefined;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return {
      statusCode: 400,
      body: JSON.stringify({ error: 'The body must be a JSON object' })
    };
  }

  const item = await putItem({ ...data, id: randomUUID(), createdAt: new Date().toISOString() });

  return {
    statusCode: 201,
    body: JSON.stringify(item)
  };
};
