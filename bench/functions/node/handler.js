// The benchmark's hello world: the same answer under every tool, so only the tools differ.
'use strict';

exports.handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain' },
  body: 'hello',
});
