"""GET /items: every item of the table, with boto3 as Lambda's Python runtimes carry it."""
import json
import os
from decimal import Decimal

import boto3

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table(os.environ["TABLE_NAME"])


class DecimalEncoder(json.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, Decimal):
            return float(obj)
        return super().default(obj)


def get_all_items():
    return table.scan()["Items"]


def handler(event, context):
    items = sorted(get_all_items(), key=lambda item: item.get("createdAt", ""))
    return {"statusCode": 200, "body": json.dumps(items, cls=DecimalEncoder)}
