// The items table through the AWS SDK for JavaScript v3's document client. Lambda's Node.js
// runtimes carry the SDK, so it is not in package.json; lambdagate provides it the same way.
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, PutCommand } = require('@aws-sdk/lib-dynamodb');

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TableName = process.env.TABLE_NAME;

async function getItem(id) {
  const result = await client.send(new GetCommand({ TableName, Key: { id } }));
  return result.Item;
}

async function putItem(item) {
  await client.send(new PutCommand({ TableName, Item: item }));
  return item;
}

module.exports = { getItem, putItem };
