"""AWS service clients for the functions.

They are made from botocore's session directly. `import boto3` also imports
s3transfer and the resource layer, about 100 ms of every cold start that these
functions never use; the client they get is the same one boto3 would build,
with the same credential, region and AWS_ENDPOINT_URL handling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import botocore.session

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient


def dynamodb_client() -> DynamoDBClient:
    return cast("DynamoDBClient", botocore.session.get_session().create_client("dynamodb"))


def events_client() -> EventBridgeClient:
    return cast("EventBridgeClient", botocore.session.get_session().create_client("events"))


def management_api_client(endpoint_url: str) -> ApiGatewayManagementApiClient:
    """The @connections API of one WebSocket stage: its https:// (locally http://) URL."""
    client = botocore.session.get_session().create_client(
        "apigatewaymanagementapi", endpoint_url=endpoint_url
    )
    return cast("ApiGatewayManagementApiClient", client)
