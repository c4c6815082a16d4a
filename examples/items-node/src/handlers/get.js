// GET /items/{id}: one item, 404 when there is none. CORS headers come from the HTTP API's
// CorsConfiguration, so the handler sends none itself.
'use strict';

const { getItem } = require('../lib/store');

exports.handler = async (event) => {
  const id = event.pathParameters?.id;

  if (!id) {
    return {
      statusCode: 400,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ error: 'Missing id parameter' }),
    };
  }

  const item = await getItem(id);

  if (!item) {
    return {
      statusCode: 404,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ error: 'Item not found' }),
    };
  }

  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(item),
  };
};
